// Settings of the workflow worker that decide its memory, shared by workers/main.ts, the tests
// and the bench so all three measure the same worker.
import type { WorkerOptions } from '@temporalio/worker';

/**
 * Runs kept in the worker's cache. Every cached run holds its own instance of Arbiter's workflow
 * modules (only the stateless libraries in workflows/shared-modules.ts are shared), so the SDK's
 * default, sized from the heap, lets thousands of waiting runs take gigabytes. Past this many,
 * the least recently used run is evicted and replayed from history when its next event arrives:
 * a waiting run costs the server's storage, not the worker's memory (`npm run bench` held 10,000
 * waiting refunds under 900 MiB for the whole bench process). 100 is twice the concurrency the
 * bench drives.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

export function workflowWorkerTuning(env: NodeJS.ProcessEnv = process.env): Pick<WorkerOptions, 'maxCachedWorkflows'> {
  const fromEnv = Number(env.ARBITER_MAX_CACHED_WORKFLOWS);
  return { maxCachedWorkflows: Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_CACHED_WORKFLOWS };
}
