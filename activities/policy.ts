// Loads a process policy once at the start of a run. The activity result lands in the run's
// history, so the run (and every replay of it) uses exactly the policy it started with.
import { ApplicationFailure } from '@temporalio/activity';
import { POLICY_INVALID } from '../common/error-types';
import { DEFAULT_POLICY_DIR, pinBundle, PolicyValidationError, readPolicyFiles } from '../policies/load';
import type { PolicyBundle } from '../policies/schema';

export interface PolicyDeps {
  /** Folder of the policy files; tests point it at a copy they can change mid-run. */
  policyDir?: string;
}

export function createPolicyActivities(deps: PolicyDeps = {}) {
  const dir = deps.policyDir ?? DEFAULT_POLICY_DIR;
  return {
    async loadPolicy(process: string): Promise<PolicyBundle> {
      try {
        return pinBundle(readPolicyFiles(dir, process));
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
