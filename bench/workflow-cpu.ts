// Measurement 6: the CPU a run's workflow code costs, apart from the server and the activities.
// One auto refund of each kind is run, its history fetched, and the history replayed many times
// on a replay worker with the kind's own bundle: a replay runs exactly the workflow code of the
// run (module set-up, every activation, the SDK's own work) and nothing else. Figures are CPU
// time of this process per replayed run, taking turns between the kinds. Each round also replays
// with the SDK's per-call timeout and its promise hook switched off, one at a time
// (workflow-cpu-attribution.ts), to tell where the difference between the kinds comes from.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { batchTag, refundRequest, startRun, withWorkers, type BenchContext, type BenchKind } from './harness';
import { AUTO_AMOUNT } from './saga-throughput';
import { replayTimes } from './replay-diagnosis';
import { percentiles, ratio } from './stats';
import { CPU_SETTINGS, countWhileReplaying, withCpuSetting, type CpuSetting, type ReplayCounts } from './workflow-cpu-attribution';

export interface WorkflowCpuFigures {
  replaysPerRound: number;
  rounds: number;
  /** Median over the rounds of CPU milliseconds per replayed run; `floor` is bench/workflows/floor-refund.ts. */
  cpuMsPerRun: Record<BenchKind, number>;
  eventsPerRun: Record<BenchKind, number>;
  /** Arbiter over bare. */
  ratio: number;
  /** The floors over bare: what Arbiter's guarantees cost without Arbiter's own code. */
  floorRatio: number;
  minimalRatio: number;
  /** Median CPU ms per replayed run with each of the SDK's per-run costs switched off (diagnosis only). */
  cpuMsPerRunBySetting: Record<CpuSetting, Record<BenchKind, number>>;
  counts: Record<BenchKind, ReplayCounts>;
}

const KINDS: BenchKind[] = ['arbiter', 'bare', 'floor', 'minimal'];

export async function measureWorkflowCpu(ctx: BenchContext): Promise<WorkflowCpuFigures> {
  const replays = ctx.options.quick ? 30 : 100;
  const rounds = ctx.options.quick ? 2 : 5;
  const histories = {} as Record<BenchKind, temporal.api.history.v1.IHistory>;
  for (const kind of KINDS) histories[kind] = await recordOneRun(ctx, kind);
  // Kept, outside the scratch folder the bench removes, for bench/profile-replay.ts.
  const kept = path.join(tmpdir(), 'arbiter-bench-histories');
  mkdirSync(kept, { recursive: true });
  for (const kind of KINDS) writeFileSync(path.join(kept, `cpu-${kind}.json`), historyToJSON(histories[kind]));
  console.log(`   histories replayed: ${kept}/cpu-{arbiter,bare,floor,minimal}.json (bench/profile-replay.ts says where their CPU goes)`);

  const samples = Object.fromEntries(CPU_SETTINGS.map((setting) => [setting, Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]]))])) as Record<CpuSetting, Record<BenchKind, number[]>>;
  // Rounds take turns between the settings and the kinds, so drift in the machine's load touches each alike.
  for (let round = 0; round < rounds; round++) {
    for (const setting of CPU_SETTINGS) {
      for (const kind of KINDS) samples[setting][kind].push(await withCpuSetting(setting, () => cpuPerReplay(ctx, kind, histories[kind], replays)));
    }
  }
  const median = (setting: CpuSetting) => Object.fromEntries(KINDS.map((kind) => [kind, percentiles(samples[setting][kind]).p50])) as Record<BenchKind, number>;
  const cpuMsPerRunBySetting = Object.fromEntries(CPU_SETTINGS.map((setting) => [setting, median(setting)])) as Record<CpuSetting, Record<BenchKind, number>>;
  const cpuMsPerRun = cpuMsPerRunBySetting['as shipped'];
  const counted = 10;
  const counts = {} as Record<BenchKind, ReplayCounts>;
  for (const kind of KINDS) counts[kind] = await countWhileReplaying(counted, () => replay(ctx, kind, histories[kind], counted));
  return {
    replaysPerRound: replays,
    rounds,
    cpuMsPerRun,
    eventsPerRun: Object.fromEntries(KINDS.map((kind) => [kind, histories[kind].events?.length ?? 0])) as Record<BenchKind, number>,
    ratio: ratio(cpuMsPerRun.arbiter, cpuMsPerRun.bare),
    floorRatio: ratio(cpuMsPerRun.floor, cpuMsPerRun.bare),
    minimalRatio: ratio(cpuMsPerRun.minimal, cpuMsPerRun.bare),
    cpuMsPerRunBySetting,
    counts,
  };
}

async function recordOneRun(ctx: BenchContext, kind: BenchKind): Promise<temporal.api.history.v1.IHistory> {
  return withWorkers(ctx, kind, async (taskQueue) => {
    const request = refundRequest(batchTag(`cpu-${kind}`), 0, AUTO_AMOUNT);
    const client = ctx.server.env.client;
    const handle = await startRun(kind, client, taskQueue, request);
    await handle.result();
    return handle.fetchHistory();
  });
}

/** CPU milliseconds per run, replaying `history` `count` times on one replay worker (after one uncounted replay). */
async function cpuPerReplay(ctx: BenchContext, kind: BenchKind, history: temporal.api.history.v1.IHistory, count: number): Promise<number> {
  await replay(ctx, kind, history, 1);
  const before = process.cpuUsage();
  await replay(ctx, kind, history, count);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

function replay(ctx: BenchContext, kind: BenchKind, history: temporal.api.history.v1.IHistory, count: number): Promise<void> {
  return replayTimes({ bundle: ctx.bundles[kind], history, replayName: `cpu-${kind}`, workflowId: `cpu-replay-${kind}` }, count);
}
