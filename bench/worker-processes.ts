// Worker processes for the cluster measurement: N processes of worker-process.ts polling one task
// queue, as a deployment scales workers out, so their CPU is read from /proc apart from the bench's
// own (client, model stand-in). Each set is stopped when its batch ends, and killed with the bench
// however the bench ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasExited, killGroup } from '../runtime/dev-server';
import { REPO_ROOT } from '../runtime/temporal-cli';
import { WORKER_HEAP_FLAG } from '../runtime/worker-tuning';
import { uniqueQueue } from '../test/helpers/temporal';
import { singleCallPolicyDir, type BenchContext, type SagaKind } from './harness';
import type { WorkerProcessMessage, WorkerProcessSpec } from './worker-process';

const WORKER_SCRIPT = path.join(__dirname, 'worker-process.ts');
/** Loading the code and the bundle on 2 busy cores takes seconds; this is for a machine that stalls. */
const READY_TIMEOUT_MS = 120_000;
/** A worker drains its tasks before it exits; between batches there are none left. */
const STOP_GRACE_MS = 15_000;

const running = new Set<ChildProcess>();

// Synchronous, so it also runs on an uncaught error or process.exit(): a worker must never outlive the bench.
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** Starts `count` worker processes on a fresh task queue with the `kind` bundle, hands their pids to `fn`, and stops them whatever `fn` does. */
export async function withWorkerProcesses<T>(ctx: BenchContext, kind: SagaKind, count: number, fn: (taskQueue: string, pids: number[]) => Promise<T>): Promise<T> {
  const taskQueue = uniqueQueue(kind);
  const spec = (i: number): WorkerProcessSpec => ({
    address: ctx.server.address,
    taskQueue,
    bundleFiles: bundleFiles(ctx, kind),
    modelUrl: ctx.modelUrl,
    systems: ctx.options.systems,
    standInsUrl: ctx.standInsUrl,
    policyDir: singleCallPolicyDir(),
    scratchDir: mkdtempSync(path.join(ctx.scratchDir, `worker-${i}-`)),
  });
  const children: ChildProcess[] = [];
  try {
    for (let i = 1; i <= count; i++) children.push(startWorkerProcess(spec(i)));
    await Promise.all(children.map(ready));
    return await fn(taskQueue, children.map((child) => child.pid!));
  } finally {
    await Promise.all(children.map(stopWorkerProcess));
  }
}

/** The bundle the bench built, written once per kind where worker processes read it. */
function bundleFiles(ctx: BenchContext, kind: SagaKind): WorkerProcessSpec['bundleFiles'] {
  const files = { code: path.join(ctx.scratchDir, `${kind}-bundle.js`), sourceMap: path.join(ctx.scratchDir, `${kind}-bundle.js.map`) };
  if (!existsSync(files.code)) {
    writeFileSync(files.sourceMap, ctx.bundles[kind].sourceMap);
    writeFileSync(files.code, ctx.bundles[kind].code);
  }
  return files;
}

const stderrTail = new WeakMap<ChildProcess, string[]>();

function startWorkerProcess(spec: WorkerProcessSpec): ChildProcess {
  // Node itself with tsx's loader, not the tsx launcher, so the pid is the worker's own; the heap
  // limit of every Arbiter worker (runtime/worker-tuning.ts).
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_HEAP_FLAG, WORKER_SCRIPT, JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Its own process group: Ctrl-C reaches the bench, which stops the workers in order.
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const tail: string[] = [];
  stderrTail.set(child, tail);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail.push(chunk);
    if (tail.length > 50) tail.shift();
  });
  child.once('error', (err) => tail.push(String(err)));
  return child;
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start polling within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`a worker process ${why}: ${(stderrTail.get(child) ?? []).join('').slice(-2000)}`));
    };
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
    child.once('message', (message: WorkerProcessMessage) => {
      clearTimeout(timer);
      if (message.ready) resolve();
    });
  });
}

/** Asks the worker to stop (it drains and exits), and kills its group if it has not after the grace. */
async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  else child.kill('SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Stops every worker process still running, for the signal handlers. */
export async function stopAllWorkerProcesses(): Promise<void> {
  await Promise.all([...running].map(stopWorkerProcess));
}
