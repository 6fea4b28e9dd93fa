// Measurement 3: many runs waiting for approval at once, Arbiter's refund and then the bare saga
// (which waits for one signal), each on fresh workers and a dev server of its own. The workers
// run in this process, so the memory figure is this process's RSS growth from just before a
// batch starts to while all of it waits (it also holds the client, the stand-in model server and
// the bench's bookkeeping, which stay small). Then every run is approved and the saga finishes.
//
// Both phases work in `--concurrency` lanes, as a backend service and a team of approvers do: a
// lane starts a run and stays with it until it waits, and later decides a run and stays with it
// until it ends. So at most that many runs are on their way at once, and they fit the worker's
// workflow cache. Sending all 10,000 starts or decisions in one burst would instead keep 10,000
// runs busy at once against a cache of 100, and every workflow task would replay its run from the
// start (measured in an earlier round: 2,685 approvals in 20 minutes).
import v8 from 'node:v8';
import { QueryNotRegisteredError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ApprovalDecision } from '../common/approval-schemas';
import { decisionStatement } from '../common/signed-statements';
import { decisionKeyFromEnv } from '../runtime/decision-key';
import { approvalDecisionSignal, approvalQuery } from '../workflows/approval';
import type { refund } from '../workflows/refund';
import { APPROVAL_AMOUNT, APPROVER, readCardHash } from './awaiting-approval';
import { withDevServer } from './dev-server';
import { batchTag, BENCH_TENANT, expectCompleted, refundRequest, startBareRefund, startRefund, withWorkers, type BenchContext, type SagaKind } from './harness';
import { elapsedMs, pool, ratio, round1, sleep, waitUntil } from './stats';
import { approvedSignal, awaitingApprovalQuery } from './workflows/bare-refund';

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
  /** First approval sent → last run completed; for Arbiter each lane reads the run's card (the `approval` query, which replays an evicted run) before it decides. */
  secondsToApproveAndFinish: number;
  approvedRunsPerSecond: number;
}

export interface WaitingFigures {
  waiting: number;
  /** Runs on their way (to their wait, or from their approval to their end) at once. */
  lanes: number;
  arbiter: WaitingBatch;
  bare: WaitingBatch;
  ratio: { rssDelta: number; secondsToApproveAndFinish: number };
}

const MiB = 1024 * 1024;
const SAMPLE_EVERY_MS = 500;
const SETTLE_MS = 30_000;
const PROGRESS_EVERY_MS = 10_000;
/**
 * How often a lane asks its run whether it waits yet: first soon, then less often. Every query
 * is a round trip through the server to the worker, and 50 lanes asking every 100 ms for a run
 * that takes seconds loaded the dev server more than the runs themselves.
 */
const POLL = { firstMs: 100, growth: 1.5, maxMs: 1000 } as const;
const RUN_TIMEOUT_MS = 10 * 60_000;

export async function measureWaiting(ctx: Omit<BenchContext, 'server'>, say: (line: string) => void): Promise<WaitingFigures> {
  // Each batch on a dev server of its own, so neither pays for the other's 10,000 finished runs
  // in the server's store. Arbiter first: RSS rarely falls back after a batch, and the figure the
  // target names is Arbiter's.
  const onFreshServer = (kind: SagaKind) => withDevServer(ctx.options, (server) => waitingBatch({ ...ctx, server }, kind, say));
  const arbiter = await onFreshServer('arbiter');
  const bare = await onFreshServer('bare');
  return {
    waiting: ctx.options.waiting,
    lanes: ctx.options.concurrency,
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
    // A long batch shows how far it got, even if it is stopped before it writes its results.
    const progress = (what: string) => {
      if (performance.now() - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = performance.now();
      say(`  ${kind}: ${what} (${Math.round(process.memoryUsage().rss / MiB)} MiB RSS)`);
    };
    const lanes = kind === 'arbiter' ? arbiterLanes(client, taskQueue) : bareLanes(client, taskQueue);
    const tag = batchTag(`waiting-${kind}`);
    const startedAt = performance.now();
    let waitingNow = 0;
    await pool(waiting, concurrency, async (i) => {
      await lanes.bringToWait(refundRequest(tag, i, APPROVAL_AMOUNT));
      progress(`${++waitingNow} of ${waiting} waiting`);
    }).finally(() => clearInterval(sampler));
    const secondsUntilAllWaiting = round1(elapsedMs(startedAt) / 1000);
    const during = await settledMemory();
    peak = Math.max(peak, during.highestRss);
    say(`  ${kind}: all ${waiting} waiting after ${secondsUntilAllWaiting} s (${Math.round(during.rss / MiB)} MiB RSS); approving them`);

    const approveAt = performance.now();
    let completed = 0;
    await pool(waiting, concurrency, async (i) => {
      await lanes.approveAndFinish(i);
      progress(`${++completed} of ${waiting} approved and completed after ${round1(elapsedMs(approveAt) / 1000)} s`);
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

interface WaitingLanes {
  /** Starts the run for `request` and resolves once it waits for its approval. */
  bringToWait(request: ReturnType<typeof refundRequest>): Promise<void>;
  /** Approves the `i`th run brought to its wait and resolves once it completed. */
  approveAndFinish(i: number): Promise<void>;
}

/** Arbiter's refund: it waits once its `approval` query shows a pending card; the decision names that card's hash. */
function arbiterLanes(client: Client, taskQueue: string): WaitingLanes {
  const handles: WorkflowHandle<typeof refund>[] = [];
  const signer = decisionKeyFromEnv();
  return {
    async bringToWait(request) {
      const handle = await startRefund(client, taskQueue, request);
      handles.push(handle);
      const waits = async () => {
        try {
          return (await handle.query(approvalQuery))?.status === 'pending';
        } catch (err) {
          // The gate registers its query once the policy is pinned; before that the run is not waiting yet.
          if (err instanceof QueryNotRegisteredError) return false;
          throw err;
        }
      };
      await waitUntil(waits, `${handle.workflowId} waiting`, RUN_TIMEOUT_MS, POLL);
    },
    async approveAndFinish(i) {
      const handle = handles[i]!;
      const decision: ApprovalDecision = { decision: 'approve', approver: APPROVER, cardHash: await readCardHash(handle), decisionId: `bench-${i}` };
      // Signed as the endpoint signs (the bench's key, trusted by its workers): the run takes no unsigned decision.
      const at = new Date().toISOString();
      const statement = decisionStatement({ workflowId: handle.workflowId, tenant: BENCH_TENANT }, decision, at);
      await handle.signal(approvalDecisionSignal, { ...decision, signature: signer.sign(statement) });
      await expectCompleted(handle);
    },
  };
}

/** The bare saga with `awaitApproval`: it waits once its `awaitingApproval` query says so, for one signal. */
function bareLanes(client: Client, taskQueue: string): WaitingLanes {
  const handles: WorkflowHandle[] = [];
  return {
    async bringToWait(request) {
      const handle = await startBareRefund(client, taskQueue, request, true);
      handles.push(handle);
      await waitUntil(() => handle.query(awaitingApprovalQuery), `${handle.workflowId} waiting`, RUN_TIMEOUT_MS, POLL);
    },
    async approveAndFinish(i) {
      const handle = handles[i]!;
      await handle.signal(approvedSignal);
      await expectCompleted(handle);
    },
  };
}

/** The worker cache's ceiling in runs, as SDK 1.24 derives it by default from the V8 heap limit (reuseV8Context); beyond it runs are evicted and replayed on their next task. */
export function defaultMaxCachedWorkflows(): number {
  const heapMiB = v8.getHeapStatistics().heap_size_limit / MiB;
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}
