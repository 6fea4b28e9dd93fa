// Loads a process policy once at the start of a run. The activity result lands in the run's
// history, so the run (and every replay of it) uses exactly the policy it started with.
import { statSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { POLICY_INVALID } from '../common/error-types';
import { DEFAULT_POLICY_DIR, pinBundle, policyFilesOf, PolicyValidationError, readPolicyFiles } from '../policies/load';
import type { PolicyBundle } from '../policies/schema';

export interface PolicyDeps {
  /** Folder of the policy files; tests point it at a copy they can change mid-run. */
  policyDir?: string;
}

export function createPolicyActivities(deps: PolicyDeps = {}) {
  const dir = deps.policyDir ?? DEFAULT_POLICY_DIR;
  // Every run starts by pinning its policy, so parsing and validating the same files each time
  // was most of a run's start. A bundle is reused while its files are unchanged on disk: any
  // write or replacement of a file changes its stamp, and the next run reads it afresh.
  const pinned = new Map<string, { stamp: string; bundle: PolicyBundle }>();
  return {
    async loadPolicy(process: string): Promise<PolicyBundle> {
      try {
        // Stamped from the same list the reader reads, so a file added to a bundle is watched too.
        const stamp = filesStamp(Object.values(policyFilesOf(dir, process)));
        const cached = pinned.get(process);
        if (stamp && cached?.stamp === stamp) return cached.bundle;
        const bundle = pinBundle(readPolicyFiles(dir, process));
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
  };
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
