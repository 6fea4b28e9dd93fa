// Loads a process policy once at the start of a run. The activity result lands in the run's
// history, so the run (and every replay of it) uses exactly the policy it started with.
import { statSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { POLICY_INVALID } from '../common/error-types';
import type { DecisionKey } from '../common/decision-receipt';
import { DEFAULT_POLICY_DIR, pinBundle, policyFilesOf, PolicyValidationError, readPolicyFiles, type LoadedFiles } from '../policies/load';
import type { PolicyBundle } from '../policies/schema';
import { DecisionKeyConfigError, decisionPublicKeysFromEnv, mergeDecisionKeys } from '../runtime/decision-key';
import { checkCarriedOrigin, describeWithWorkerClient, type CarriedOriginQuestion, type CarriedOriginVerdict, type DescribeRun } from './carried-origin';

export interface PolicyDeps {
  /** Folder of the policy files; tests point it at a copy they can change mid-run. */
  policyDir?: string;
  /**
   * Public keys trusted beside trust.yaml's (by default ARBITER_DECISION_PUBLIC_KEYS): the local
   * endpoint's generated key under `npm start`. Pinned into the bundle, so history shows them.
   */
  decisionKeys?: DecisionKey[];
  /** How a continued run's previous run is described; by default the worker's own client (Context.current().client). */
  describeRun?: DescribeRun;
}

export function createPolicyActivities(deps: PolicyDeps = {}) {
  const dir = deps.policyDir ?? DEFAULT_POLICY_DIR;
  const extraKeys = deps.decisionKeys ?? decisionPublicKeysFromEnv();
  // Every run starts by pinning its policy, so parsing and validating the same files each time
  // was most of a run's start. A bundle is reused while its files are unchanged on disk: any
  // write or replacement of a file changes its stamp, and the next run reads it afresh.
  const pinned = new Map<string, { stamp: string; bundle: PolicyBundle }>();
  const activities = {
    async loadPolicy(process: string): Promise<PolicyBundle> {
      try {
        // Stamped from the same list the reader reads, so a file added to a bundle is watched too.
        const stamp = filesStamp(Object.values(policyFilesOf(dir, process)));
        const cached = pinned.get(process);
        if (stamp && cached?.stamp === stamp) return cached.bundle;
        const bundle = pinBundle(withTrustedKeys(readPolicyFiles(dir, process), extraKeys));
        if (stamp) pinned.set(process, { stamp, bundle });
        return bundle;
      } catch (err) {
        if (err instanceof PolicyValidationError) {
          // Retrying cannot fix a bad file: fail at once, with every issue named.
          throw ApplicationFailure.nonRetryable(`policy for ${process} is invalid:\n${err.message}`, POLICY_INVALID, err.issues);
        }
        throw err;
      }
    },

    /** Asked by a continued run before it takes its carried state (activities/carried-origin.ts). */
    async checkCarriedOrigin(question: CarriedOriginQuestion): Promise<CarriedOriginVerdict> {
      return checkCarriedOrigin(question, { describe: deps.describeRun ?? describeWithWorkerClient, loadPolicy: activities.loadPolicy });
    },
  };
  return activities;
}

/** trust.yaml's keys plus the environment's; one id naming two different keys is a policy error. */
function withTrustedKeys(files: LoadedFiles, extra: DecisionKey[]): LoadedFiles {
  if (extra.length === 0) return files;
  try {
    return { ...files, trust: { ...files.trust, decisionKeys: mergeDecisionKeys(files.trust.decisionKeys, extra) } };
  } catch (err) {
    if (!(err instanceof DecisionKeyConfigError)) throw err;
    throw new PolicyValidationError([{ file: 'trust.yaml', field: 'decisionKeys', message: err.message, severity: 'error' }]);
  }
}

/** Size, modification time (in nanoseconds) and inode of each file; undefined if one is missing, so it is read and reported. */
function filesStamp(files: string[]): string | undefined {
  try {
    return files
      .map((file) => {
        const stat = statSync(file, { bigint: true });
        return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
      })
      .join('|');
  } catch {
    return undefined;
  }
}
