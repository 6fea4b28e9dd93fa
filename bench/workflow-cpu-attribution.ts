// Where a replayed run's workflow CPU goes, one setting at a time. The SDK pays two costs per run
// that grow with what the workflow code does, not with what it computes:
// - every call from the worker into the workflow's V8 context is run with a timeout (the worker
//   option `isolateExecutionTimeout`, which turns a workflow stuck in a loop into a failed task),
//   and Node serves a timeout with a watchdog thread started and stopped for that one call;
// - a promise hook records a stack trace for every promise created in workflow code (for the
//   stack-trace query the Web UI shows), with a source-mapped walk of the stack.
// The bench replays the same history with each switched off in turn, and counts calls and
// promises per run, so the ratio between Arbiter and the bare saga can be told apart into
// "more SDK round trips", "more promises" and "more of our own code". Diagnosis only: the
// switches patch the SDK's internals inside the bench process and are undone after each round.
import v8 from 'node:v8';
import vm from 'node:vm';
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared';

export type CpuSetting = 'as shipped' | 'no call timeout' | 'no promise hook' | 'neither';
export const CPU_SETTINGS: CpuSetting[] = ['as shipped', 'no call timeout', 'no promise hook', 'neither'];

/** What the SDK's promise hook is set and unset through; private in its typings. */
interface PromiseHookSwitch {
  stopPromiseHook(): void;
  setPromiseHook(): void;
}

/** Runs `fn` with the SDK's per-call timeout and/or its promise hook off, and puts both back after. */
export async function withCpuSetting<T>(setting: CpuSetting, fn: () => Promise<T>): Promise<T> {
  const dropTimeout = setting === 'no call timeout' || setting === 'neither';
  const dropHook = setting === 'no promise hook' || setting === 'neither';
  const runInContext = vm.Script.prototype.runInContext;
  const hooks = globalHandlers as unknown as PromiseHookSwitch;
  if (dropTimeout) {
    vm.Script.prototype.runInContext = function (this: vm.Script, context, options) {
      return runInContext.call(this, context, { ...options, timeout: undefined });
    };
  }
  if (dropHook) hooks.stopPromiseHook();
  try {
    return await fn();
  } finally {
    vm.Script.prototype.runInContext = runInContext;
    if (dropHook) hooks.setPromiseHook();
  }
}

export interface ReplayCounts {
  /** Calls from the worker into the workflow's V8 context, each with its own watchdog thread. */
  contextCallsPerRun: number;
  /** Promises created inside the workflow context, each stack-traced by the SDK's hook. */
  workflowPromisesPerRun: number;
}

/** Counts per run over `runs` replays done by `fn`; counting has a cost of its own, so it is a separate, untimed pass. */
export async function countWhileReplaying(runs: number, fn: () => Promise<void>): Promise<ReplayCounts> {
  let contextCalls = 0;
  let workflowPromises = 0;
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (this: vm.Script, context, options) {
    contextCalls++;
    return runInContext.call(this, context, options);
  };
  // A promise made inside a workflow context has that context's Promise as its constructor.
  const stopCounting = v8.promiseHooks.onInit((promise) => {
    if ((promise as Promise<unknown>).constructor !== Promise) workflowPromises++;
  });
  try {
    await fn();
  } finally {
    vm.Script.prototype.runInContext = runInContext;
    stopCounting();
  }
  return { contextCallsPerRun: contextCalls / runs, workflowPromisesPerRun: workflowPromises / runs };
}
