// Measurement 1: refund sagas on the auto path, Arbiter's real workflow against the bare one, on
// the same workers: completed runs per second, start-to-result latency, history events per run.
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cpuMeter, type CpuReading, type CpuSplit } from './cpu-time';
import { withDevServer } from './dev-server';
import { batchTag, expectCompleted, refundRequest, startRun, withWorkers, type BenchContext, type BenchKind } from './harness';
import { elapsedMs, percentiles, pool, ratio, round1, type Percentiles } from './stats';

/** Under the policy's auto limit (50), so no run waits for a person. */
export const AUTO_AMOUNT = 20;

export interface ThroughputFigures {
  runs: number;
  concurrency: number;
  wallSeconds: number;
  runsPerSecond: number;
  latencyMs: Percentiles;
  /** CPU per counted run, split between the server and this process (client, workers, activities), and in the cluster measurement the worker processes and PostgreSQL. */
  cpu: CpuSplit;
  /** Over the first few runs; Arbiter's count varies a little with timing (how completions share workflow tasks). */
  history: { sampled: number; eventsPerRun: number; eventsMin: number; eventsMax: number; bytesPerRun: number };
}

export interface SagaFigures {
  arbiter: ThroughputFigures;
  bare: ThroughputFigures;
  /** The floors under Arbiter: the bare saga plus what Arbiter's guarantees add (bench/workflows/floor-refund.ts). */
  floor?: ThroughputFigures;
  minimal?: ThroughputFigures;
  /** Arbiter over bare: above 1 for latency and history, below 1 for throughput. */
  ratio: SagaRatio;
  /** The floors over bare: the most of the target the guarantees alone leave. */
  floorRatio?: SagaRatio;
  minimalRatio?: SagaRatio;
  /** Rounds measured; each kind's figures are its median round's. */
  rounds?: number;
  /** Every round's runs per second, by kind, in the order they ran. */
  runsPerSecondByRound?: Record<BenchKind, number[]>;
}

export interface SagaRatio {
  runsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  eventsPerRun: number;
}

/**
 * Each kind on a dev server of its own and on fresh workers of the same settings, after its own
 * warm-up. On one shared server the second batch paid for the first one's finished runs: with
 * Arbiter first, the bare batch after it cost the server 101 ms a run against Arbiter's 92, and
 * the other way round Arbiter paid the extra. The kinds take turns for `--saga-rounds` rounds and
 * each kind's median round (by runs per second) is reported: on this shared machine the same code
 * ran one batch at 15.6 runs/s and the next at 12.1 (2026-12-07), more than the differences measured.
 */
export async function measureSagas(ctx: Omit<BenchContext, 'server'>): Promise<SagaFigures> {
  const { runs, concurrency, warmup, sagaRounds } = ctx.options;
  const batch = (kind: BenchKind) =>
    withDevServer(ctx.options, (server) => withWorkers({ ...ctx, server }, kind, (taskQueue) => runBatch({ ...ctx, server }, taskQueue, kind, { runs, concurrency, warmup })));
  const kinds: BenchKind[] = ['bare', 'floor', 'minimal', 'arbiter'];
  const rounds: Record<BenchKind, ThroughputFigures[]> = { bare: [], floor: [], minimal: [], arbiter: [] };
  for (let round = 0; round < sagaRounds; round++) {
    for (const kind of kinds) rounds[kind].push(await batch(kind));
  }
  const [bare, floor, minimal, arbiter] = kinds.map((kind) => medianRound(rounds[kind])) as [ThroughputFigures, ThroughputFigures, ThroughputFigures, ThroughputFigures];
  const runsPerSecondByRound = Object.fromEntries(kinds.map((kind) => [kind, rounds[kind].map((f) => f.runsPerSecond)])) as Record<BenchKind, number[]>;
  return { arbiter, bare, floor, minimal, ratio: sagaRatio(arbiter, bare), floorRatio: sagaRatio(floor, bare), minimalRatio: sagaRatio(minimal, bare), rounds: sagaRounds, runsPerSecondByRound };
}

/** The round with the median throughput (the lower middle one of an even count), whole, so its figures belong together. */
function medianRound(figures: ThroughputFigures[]): ThroughputFigures {
  const sorted = [...figures].sort((a, b) => a.runsPerSecond - b.runsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function sagaRatio(arbiter: ThroughputFigures, bare: ThroughputFigures): SagaRatio {
  return {
    runsPerSecond: ratio(arbiter.runsPerSecond, bare.runsPerSecond),
    p50: ratio(arbiter.latencyMs.p50, bare.latencyMs.p50),
    p95: ratio(arbiter.latencyMs.p95, bare.latencyMs.p95),
    p99: ratio(arbiter.latencyMs.p99, bare.latencyMs.p99),
    eventsPerRun: ratio(arbiter.history.eventsPerRun, bare.history.eventsPerRun),
  };
}

/**
 * Starts `runs` sagas, `concurrency` at a time, each awaited to its result; warm-up runs are not
 * counted. `startCpuMeter` counts the CPU of the processes involved (by default the server and this process).
 */
export async function runBatch(
  ctx: BenchContext,
  taskQueue: string,
  kind: BenchKind,
  size: { runs: number; concurrency: number; warmup: number },
  startCpuMeter: () => Promise<CpuReading> = async () => {
    const meter = cpuMeter(ctx.server.pid);
    return async (runs) => meter(runs);
  },
): Promise<ThroughputFigures> {
  const tag = batchTag(kind);
  const runOne = async (i: number): Promise<WorkflowHandle> => {
    const request = refundRequest(tag, i, AUTO_AMOUNT);
    const client = ctx.server.env.client;
    const handle = await startRun(kind, client, taskQueue, request);
    await expectCompleted(handle);
    return handle;
  };

  await pool(size.warmup, size.concurrency, async (i) => void (await runOne(-1 - i)));
  const latencies: number[] = [];
  const handles: WorkflowHandle[] = [];
  const cpu = await startCpuMeter();
  const startedAt = performance.now();
  await pool(size.runs, size.concurrency, async (i) => {
    const t0 = performance.now();
    const handle = await runOne(i);
    latencies.push(elapsedMs(t0));
    if (handles.length < ctx.options.histories) handles.push(handle);
  });
  const wallMs = elapsedMs(startedAt);
  const cpuPerRun = await cpu(size.runs, wallMs);
  return {
    runs: size.runs,
    concurrency: size.concurrency,
    wallSeconds: round1(wallMs / 1000),
    runsPerSecond: round1(size.runs / (wallMs / 1000)),
    latencyMs: percentiles(latencies),
    cpu: cpuPerRun,
    history: await historySize(handles),
  };
}

/** Events and encoded bytes per history over the sampled runs. */
async function historySize(handles: WorkflowHandle[]): Promise<ThroughputFigures['history']> {
  const events: number[] = [];
  let bytes = 0;
  for (const handle of handles) {
    const history = await handle.fetchHistory();
    events.push(history.events?.length ?? 0);
    bytes += temporal.api.history.v1.History.encode(history).finish().length;
  }
  const n = Math.max(1, handles.length);
  return {
    sampled: handles.length,
    eventsPerRun: round1(events.reduce((sum, e) => sum + e, 0) / n),
    eventsMin: Math.min(...events),
    eventsMax: Math.max(...events),
    bytesPerRun: Math.round(bytes / n),
  };
}
