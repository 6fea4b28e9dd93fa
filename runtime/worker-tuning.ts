// Settings of the workflow worker that decide its memory, shared by workers/main.ts, the tests
// and the bench so all three measure the same worker.
import type { WorkerOptions } from '@temporalio/worker';

/**
 * Runs kept in the worker's cache. Every cached run holds its own instance of Arbiter's workflow
 * modules (only the stateless libraries in workflows/shared-modules.ts are shared), so the SDK's
 * default, sized from the heap, lets thousands of waiting runs take gigabytes. Past this many,
 * the least recently used run is evicted and replayed from history when its next event arrives:
 * a waiting run costs the server's storage, not the worker's memory (`npm run bench` held 10,000
 * waiting refunds in 616 MiB for the whole bench process, with the heap limit below). 100 is
 * twice the concurrency the bench drives.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

/**
 * The V8 heap limit of the worker process, in MiB, which its workflow thread inherits. Node's
 * default here is about 4 GiB, and V8 collects lazily far below its limit: with 10,000 refunds
 * waiting, a workflow cache of 100 and no limit set, the bench process held 1,066 MiB; at 1,500
 * waiting it held 663 MiB with the default and 456 MiB with a 512 MiB limit, at the same speed.
 * 768 leaves the cache three times the room the SDK budgets for it (about 1.7 MiB a run), so
 * heavy runs do not meet the limit. Set on the command line of every worker launcher
 * (package.json, Dockerfile, scripts/platform.ts); `test/worker-heap.test.ts` keeps them equal.
 */
export const WORKER_HEAP_MIB = 768;

/** The Node flag that applies WORKER_HEAP_MIB, for a launcher's argument list. */
export const WORKER_HEAP_FLAG = `--max-old-space-size=${WORKER_HEAP_MIB}`;

export function workflowWorkerTuning(env: NodeJS.ProcessEnv = process.env): Pick<WorkerOptions, 'maxCachedWorkflows'> {
  const fromEnv = Number(env.ARBITER_MAX_CACHED_WORKFLOWS);
  return { maxCachedWorkflows: Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_CACHED_WORKFLOWS };
}
