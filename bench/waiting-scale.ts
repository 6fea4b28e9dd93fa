// Measurement 3: many runs waiting for approval at once, the bare saga (which waits for one
// signal) and then Arbiter's refund, each on fresh workers. The workers run in this process, so
// the memory figure is this process's RSS growth from just before a batch starts to while all of
// it waits (it also holds the client, the stand-in model server and the bench's bookkeeping, which
// stay small). Then every run is approved by signal and the saga finishes.
import v8 from 'node:v8';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ApprovalDecision } from '../common/approval-schemas';
import { approvalDecisionSignal } from '../workflows/approval';
import { APPROVAL_AMOUNT, APPROVER, readCardHashes, startAwaitingApproval } from './awaiting-approval';
import { batchTag, refundRequest, startBareRefund, withWorkers, type BenchContext, type SagaKind } from './harness';
import { elapsedMs, pool, ratio, round1, sleep, waitUntil } from './stats';
import { approvedSignal, awaitingApprovalQuery, type bareRefund } from './workflows/bare-refund';

export interface WaitingBatch {
  /** Start of the first run → every run waiting for approval. */
  secondsUntilAllWaiting: number;
  memory: {
    rssBeforeMiB: number;
    /** The lowest RSS sampled over the settling window after every run waits: workflow threads collect their garbage when they please. */
    rssWaitingMiB: number;
    rssDeltaMiB: number;
    rssDeltaKiBPerRun: number;
    /** The highest RSS sampled from the batch's start to the reading. */
    rssPeakMiB: number;
    /** The bench process's main thread only: workflows run in worker threads, whose heaps count in RSS only. */
    mainHeapUsedDeltaMiB: number;
  };
  /** Arbiter only: every card hash read with the `approval` query (evicted runs are replayed to answer). */
  secondsToReadCards?: number;
  /** First approval signal sent → last run completed. */
  secondsToApproveAndFinish: number;
  approvedRunsPerSecond: number;
}

export interface WaitingFigures {
  waiting: number;
  arbiter: WaitingBatch;
  bare: WaitingBatch;
  ratio: { rssDelta: number; secondsToApproveAndFinish: number };
}

const MiB = 1024 * 1024;
const SAMPLE_EVERY_MS = 500;
const SETTLE_MS = 30_000;
const PROGRESS_EVERY_MS = 10_000;

export async function measureWaiting(ctx: BenchContext, say: (line: string) => void): Promise<WaitingFigures> {
  const bare = await waitingBatch(ctx, 'bare', say);
  const arbiter = await waitingBatch(ctx, 'arbiter', say);
  return {
    waiting: ctx.options.waiting,
    arbiter,
    bare,
    ratio: {
      rssDelta: ratio(arbiter.memory.rssDeltaMiB, bare.memory.rssDeltaMiB),
      secondsToApproveAndFinish: ratio(arbiter.secondsToApproveAndFinish, bare.secondsToApproveAndFinish),
    },
  };
}

async function waitingBatch(ctx: BenchContext, kind: SagaKind, say: (line: string) => void): Promise<WaitingBatch> {
  const { waiting, concurrency } = ctx.options;
  const client = ctx.server.env.client;
  return withWorkers(ctx, kind, async (taskQueue) => {
    const before = process.memoryUsage();
    let peak = before.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), SAMPLE_EVERY_MS);
    let lastReport = performance.now();
    const progress = (n: number) => {
      if (performance.now() - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = performance.now();
      say(`  ${kind}: ${n} of ${waiting} waiting (${Math.round(process.memoryUsage().rss / MiB)} MiB RSS)`);
    };
    const startedAt = performance.now();
    const tag = batchTag(`waiting-${kind}`);
    const started =
      kind === 'arbiter'
        ? startAwaitingApproval(client, taskQueue, tag, waiting, concurrency, progress)
        : startBareAwaitingApproval(client, taskQueue, tag, waiting, concurrency, progress);
    const handles: WorkflowHandle[] = await started.finally(() => clearInterval(sampler));
    const secondsUntilAllWaiting = round1(elapsedMs(startedAt) / 1000);
    const during = await settledMemory();
    peak = Math.max(peak, during.highestRss);
    say(`  ${kind}: all ${waiting} waiting after ${secondsUntilAllWaiting} s; approving them`);

    let secondsToReadCards: number | undefined;
    let hashes: string[] = [];
    if (kind === 'arbiter') {
      const readAt = performance.now();
      hashes = await readCardHashes(handles, concurrency);
      secondsToReadCards = round1(elapsedMs(readAt) / 1000);
    }

    const approveAt = performance.now();
    await pool(handles.length, concurrency, async (i) => {
      if (kind === 'bare') return handles[i]!.signal(approvedSignal);
      const decision: ApprovalDecision = { decision: 'approve', approver: APPROVER, cardHash: hashes[i]!, decisionId: `bench-${i}` };
      await handles[i]!.signal(approvalDecisionSignal, decision);
    });
    let completed = 0;
    await pool(handles.length, concurrency, async (i) => {
      const result = (await handles[i]!.result()) as { outcome: string };
      if (result.outcome !== 'completed') throw new Error(`${handles[i]!.workflowId} ended ${result.outcome}`);
      completed += 1;
      // A long batch shows how far it got, even if it is stopped before it writes its results.
      if (performance.now() - lastReport >= PROGRESS_EVERY_MS) {
        lastReport = performance.now();
        say(`  ${kind}: ${completed} of ${waiting} approved and completed after ${round1(elapsedMs(approveAt) / 1000)} s`);
      }
    });
    const approveSeconds = elapsedMs(approveAt) / 1000;

    return {
      secondsUntilAllWaiting,
      memory: {
        rssBeforeMiB: round1(before.rss / MiB),
        rssWaitingMiB: round1(during.rss / MiB),
        rssDeltaMiB: round1((during.rss - before.rss) / MiB),
        rssDeltaKiBPerRun: round1((during.rss - before.rss) / 1024 / waiting),
        rssPeakMiB: round1(peak / MiB),
        mainHeapUsedDeltaMiB: round1((during.heapUsed - before.heapUsed) / MiB),
      },
      secondsToReadCards,
      secondsToApproveAndFinish: round1(approveSeconds),
      approvedRunsPerSecond: round1(waiting / approveSeconds),
    };
  });
}

/** RSS sampled over the settling window: the lowest, with the main thread's heap at that moment, and the highest. */
async function settledMemory(): Promise<NodeJS.MemoryUsage & { highestRss: number }> {
  let lowest = process.memoryUsage();
  let highestRss = lowest.rss;
  for (let waited = 0; waited < SETTLE_MS; waited += SAMPLE_EVERY_MS) {
    await sleep(SAMPLE_EVERY_MS);
    const now = process.memoryUsage();
    if (now.rss < lowest.rss) lowest = now;
    highestRss = Math.max(highestRss, now.rss);
  }
  return { ...lowest, highestRss };
}

/** The bare saga with `awaitApproval`; a run waits once its `awaitingApproval` query says so. */
async function startBareAwaitingApproval(
  client: Client,
  taskQueue: string,
  tag: string,
  count: number,
  concurrency: number,
  onProgress: (waiting: number) => void,
): Promise<WorkflowHandle<typeof bareRefund>[]> {
  const handles: WorkflowHandle<typeof bareRefund>[] = new Array(count);
  await pool(count, concurrency, async (i) => {
    const request = refundRequest(tag, i, APPROVAL_AMOUNT);
    handles[i] = await startBareRefund(client, taskQueue, request, true);
  });
  let waiting = 0;
  // Runs reach their wait roughly in start order, so each lane polls one run until it waits.
  await pool(count, concurrency, async (i) => {
    await waitUntil(() => handles[i]!.query(awaitingApprovalQuery), `${handles[i]!.workflowId} waiting`, 10 * 60_000, 200);
    onProgress(++waiting);
  });
  return handles;
}

/** The worker cache's ceiling in runs, as SDK 1.24 derives it by default from the V8 heap limit (reuseV8Context); beyond it runs are evicted and replayed on their next task. */
export function defaultMaxCachedWorkflows(): number {
  const heapMiB = v8.getHeapStatistics().heap_size_limit / MiB;
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}
