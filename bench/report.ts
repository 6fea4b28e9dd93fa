// The results file and the tables printed from it (Markdown, so they paste into the README as they are).
import type { ApprovalFigures } from './approval-latency';
import type { ClusterFigures, ClusterRow } from './cluster';
import type { LlmFigures } from './llm-overhead';
import type { BenchOptions } from './options';
import type { PersistenceRow } from './persistence';
import type { SagaFigures, ThroughputFigures } from './saga-throughput';
import type { BenchKind } from './harness';
import type { SingleRunFigures } from './single-run';
import type { ToolFigures } from './tool-loop';
import { ratio as divide, type Percentiles } from './stats';
import type { WaitingFigures } from './waiting-scale';
import type { WorkflowCpuFigures } from './workflow-cpu';
import type { CpuSetting } from './workflow-cpu-attribution';

export interface BenchResults {
  date: string;
  machine: {
    cores: number;
    cpuModel: string;
    totalMemoryGiB: number;
    node: string;
    platform: string;
    v8HeapLimitMiB: number;
    /** The workflow worker's default cache size on this heap: runs beyond it are evicted and replayed. */
    defaultMaxCachedWorkflows: number;
  };
  versions: { temporalCli: string; temporalSdk: string };
  parameters: Omit<BenchOptions, 'only'> & { measurements: BenchOptions['only']; serverArgs: string[] };
  single?: SingleRunFigures;
  saga?: SagaFigures;
  workflowCpu?: WorkflowCpuFigures;
  llm?: LlmFigures;
  tools?: ToolFigures;
  approval?: ApprovalFigures;
  waiting?: WaitingFigures;
  persistence?: PersistenceRow[];
  cluster?: ClusterFigures;
  /** Set when a measurement failed; the figures before it are kept. */
  error?: string;
}

export function renderTables(results: BenchResults): string {
  const p = results.parameters;
  const out: string[] = [
    `Arbiter bench, ${results.date}: ${results.machine.cores} cores (${results.machine.cpuModel}), ${results.machine.totalMemoryGiB} GiB, Node ${results.machine.node}, ` +
      `Temporal CLI ${results.versions.temporalCli}, SDK ${results.versions.temporalSdk}; dev server ${p.persistence}, systems ${p.systems}${p.quick ? ', --quick' : ''}`,
    '',
    `Dev server flags: \`${p.serverArgs.join(' ')}\``,
    '',
  ];
  const { single, saga, workflowCpu, approval, waiting, llm, persistence } = results;
  if (single) {
    const pair = (name: string, f: SingleRunFigures['autoStartToResultMs']) =>
      `| ${name} p50 / p95 (ms) | ${f.arbiter.p50} / ${f.arbiter.p95} | ${f.bare.p50} / ${f.bare.p95} | ${f.ratioP50} / ${divide(f.arbiter.p95, f.bare.p95)} |`;
    out.push(
      ...kindTable(`One run at a time: ${single.runs} runs of each kind and path, taking turns`, [
        pair('auto refund, start → result', single.autoStartToResultMs),
        pair('one approval, decision sent → result', single.approvedToResultMs),
      ]),
    );
  }
  if (saga) {
    const { arbiter, bare, ratio } = saga;
    out.push(
      ...kindTable(`Saga throughput: ${p.runs} refunds of 20 EUR on the auto path, ${p.concurrency} at a time${saga.rounds && saga.rounds > 1 ? `, each kind's median of ${saga.rounds} rounds` : ''}`, [
        row('completed runs/s', arbiter.runsPerSecond, bare.runsPerSecond, ratio.runsPerSecond),
        row('start → result p50 (ms)', arbiter.latencyMs.p50, bare.latencyMs.p50, ratio.p50),
        row('start → result p95 (ms)', arbiter.latencyMs.p95, bare.latencyMs.p95, ratio.p95),
        row('start → result p99 (ms)', arbiter.latencyMs.p99, bare.latencyMs.p99, ratio.p99),
        `| history events per run | ${events(arbiter.history)} | ${events(bare.history)} | ${ratio.eventsPerRun} |`,
        row('history bytes per run', arbiter.history.bytesPerRun, bare.history.bytesPerRun, divide(arbiter.history.bytesPerRun, bare.history.bytesPerRun)),
        cpuRow('CPU per run: dev server (ms)', arbiter.cpu.serverMsPerRun, bare.cpu.serverMsPerRun),
        cpuRow('CPU per run: bench process, i.e. client, workers, activities (ms)', arbiter.cpu.benchProcessMsPerRun, bare.cpu.benchProcessMsPerRun),
      ]),
    );
  }
  if (workflowCpu) {
    const { cpuMsPerRun: cpu, eventsPerRun: events } = workflowCpu;
    out.push(
      ...kindTable(`Workflow CPU: one auto refund's history replayed ${workflowCpu.replaysPerRound} times, median of ${workflowCpu.rounds} rounds`, [
        row('CPU per replayed run (ms)', cpu.arbiter, cpu.bare, workflowCpu.ratio),
        row('history events', events.arbiter, events.bare, divide(events.arbiter, events.bare)),
        ...workflowCpuAttributionRows(workflowCpu),
      ]),
    );
  }
  out.push(...floorTable(saga, workflowCpu, p.concurrency));
  if (approval) {
    out.push(
      `### Approval latency: ${approval.decisions} decisions through the endpoint, one at a time`,
      '',
      '| | p50 | p95 | p99 |',
      '| --- | ---: | ---: | ---: |',
      percentileRow('POST sent → reserveFunds started (ms)', approval.decisionToNextActivityMs),
      percentileRow('POST sent → 202 received (ms)', approval.endpointRoundTripMs),
      '',
    );
  }
  if (waiting) {
    const { arbiter: a, bare: b } = waiting;
    const both = (name: string, pick: (batch: typeof a) => number | string | undefined) => `| ${name} | ${pick(a) ?? '—'} | ${pick(b) ?? '—'} |`;
    out.push(
      `### Waiting scale: ${waiting.waiting} runs waiting for approval at once`,
      '',
      '| | Arbiter `refund` | bare saga |',
      '| --- | ---: | ---: |',
      both(`all waiting after, ${waiting.lanes} lanes (s)`, (x) => x.secondsUntilAllWaiting),
      both('bench process RSS before → while waiting (MiB)', (x) => `${x.memory.rssBeforeMiB} → ${x.memory.rssWaitingMiB}`),
      `| RSS growth (MiB) | ${a.memory.rssDeltaMiB} | ${b.memory.rssDeltaMiB} (Arbiter / bare ${waiting.ratio.rssDelta}) |`,
      both('RSS growth per waiting run (KiB)', (x) => x.memory.rssDeltaKiBPerRun),
      both('RSS peak (MiB)', (x) => x.memory.rssPeakMiB),
      both(`approve all, ${waiting.lanes} lanes → all completed (s)`, (x) => x.secondsToApproveAndFinish),
      both('approved runs completed per s', (x) => x.approvedRunsPerSecond),
      '',
    );
  }
  if (llm) {
    out.push(
      `### Model call: ${llm.calls} proposeRefund calls to the stand-in model server, no delay, one at a time`,
      '',
      '| | p50 (ms) | p95 (ms) | p50 / direct | p95 / direct |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| \`openai\` client, direct | ${llm.directClientMs.p50} | ${llm.directClientMs.p95} | 1 | 1 |`,
      `| activity function, no Temporal | ${llm.activityFunctionMs.p50} | ${llm.activityFunctionMs.p95} | ${divide(llm.activityFunctionMs.p50, llm.directClientMs.p50)} | ${divide(llm.activityFunctionMs.p95, llm.directClientMs.p95)} |`,
      `| Temporal activity, scheduled → completed | ${llm.temporalActivityMs.p50} | ${llm.temporalActivityMs.p95} | ${llm.ratio.activityP50} | ${llm.ratio.activityP95} |`,
      `| an empty activity, scheduled → completed | ${llm.emptyActivityMs.p50} | ${llm.emptyActivityMs.p95} | ${divide(llm.emptyActivityMs.p50, llm.directClientMs.p50)} | ${divide(llm.emptyActivityMs.p95, llm.directClientMs.p95)} |`,
      `| … of which scheduled → started (the server hands it to a poller) | ${llm.emptyActivitySplitMs.scheduledToStarted.p50} | ${llm.emptyActivitySplitMs.scheduledToStarted.p95} | | |`,
      `| … of which started → completed (the worker runs it and reports) | ${llm.emptyActivitySplitMs.startedToCompleted.p50} | ${llm.emptyActivitySplitMs.startedToCompleted.p95} | | |`,
      `| Temporal workflow, start → result | ${llm.temporalWorkflowMs.p50} | ${llm.temporalWorkflowMs.p95} | ${llm.ratio.workflowP50} | ${llm.ratio.workflowP95} |`,
      '',
    );
  }
  if (results.tools) out.push(...toolTables(results.tools));
  if (persistence) {
    out.push(
      `### Dev server persistence: the bare saga, ${p.runs} runs, ${p.concurrency} at a time`,
      '',
      '| persistence | server flags | runs/s | p50 (ms) | p95 (ms) | runs/s vs memory |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
      ...persistence.map(
        (r) => `| ${r.persistence} | ${r.serverArgs.length ? `\`${r.serverArgs.join(' ')}\`` : '(none)'} | ${r.bare.runsPerSecond} | ${r.bare.latencyMs.p50} | ${r.bare.latencyMs.p95} | ${r.ratioToMemory} |`,
      ),
      '',
    );
  }
  if (results.cluster) out.push(...clusterTables(results.cluster, p));
  if (results.error) out.push(`Stopped early: ${results.error}`, '');
  return out.join('\n');
}

/** Measurement 9: a read tool call each way, history per turn with and without the blob store, one long investigation. */
function toolTables(tools: ToolFigures): string[] {
  const { call: c, historyPerTurn: h, longRun: l } = tools;
  const way = (name: string, f: Percentiles) => `| ${name} | ${f.p50} | ${f.p95} | ${divide(f.p50, c.directMs.p50)} | ${divide(f.p95, c.directMs.p95)} |`;
  const turns = (name: string, t: ToolFigures['historyPerTurn']['withStore']) =>
    `| ${name} | ${t.turns} | ${t.bytesPerTurn.mean} | ${t.meanTurnBytesBy.agentTurn} / ${t.meanTurnBytesBy.callReadTool} / ${t.meanTurnBytesBy.other} | ${t.bytesPerTurn.max} | ${t.events} | ${t.bytes} |`;
  return [
    `### Tool loop: ${c.calls} ${c.tool} calls (${c.resultBytes}-byte result) each way, in rounds of ${c.callsPerRound}, taking turns`,
    '',
    '| | p50 (ms) | p95 (ms) | p50 / direct | p95 / direct |',
    '| --- | ---: | ---: | ---: | ---: |',
    way('lookup client, direct', c.directMs),
    way('callReadTool function, no Temporal', c.activityFunctionMs),
    way('Temporal activity, scheduled → completed', c.temporalActivityMs),
    way('in the workflow: one call scheduled → the next scheduled', c.temporalLoopMs),
    '',
    `#### History per turn: an investigating refund of ${h.lookUps} look-ups (results of ${h.resultBytes.refundHistory} and ${h.resultBytes.caseNotes} bytes)`,
    '',
    '| tool results | turns | bytes per turn, mean | of which agentTurn / callReadTool / other | bytes per turn, max | events | history bytes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    turns(`over ${h.withStore.inlineBytes} bytes to the blob store`, h.withStore),
    turns('all in history (the transcript still by digest)', h.withoutStore),
    `| without / with the store | | ${h.ratio} | | | | ${divide(h.withoutStore.bytes, h.withStore.bytes)} |`,
    '',
    `#### One long investigation: ${l.lookUps} look-ups, continueAsNew ${JSON.stringify(l.continueAsNew)}`,
    '',
    '| wall time (s) | turns | read calls | runs | events | history bytes | bytes per turn |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    `| ${l.wallSeconds} | ${l.turns} | ${l.readCalls} | ${l.runs.length}${l.continuedAsNew ? ` (${l.runs.map((r) => r.bytes).join(' + ')} bytes)` : ', did not continue as new'} | ${l.events} | ${l.bytes} | ${l.bytesPerTurn} |`,
    '',
  ];
}

const SERVER_NAMES: Record<ClusterRow['server'], string> = { 'dev-server': 'dev server', postgres: 'temporal-server, PostgreSQL' };

/** Measurement 8: throughput and latency per server and worker count, then where each run's CPU went. */
function clusterTables(cluster: ClusterFigures, p: BenchResults['parameters']): string[] {
  const both = (a: number, b: number, r: number) => `${a} / ${b} (${r})`;
  const ms = (n: number | undefined) => (n === undefined ? '—' : String(n));
  const cpuRowOf = (row: ClusterRow, kind: 'arbiter' | 'bare') => {
    const c = row[kind].cpu;
    const total = [c.serverMsPerRun, c.postgresMsPerRun, c.postgresSharedMsPerRun, c.workersMsPerRun, c.benchProcessMsPerRun].reduce<number>((sum, n) => sum + (n ?? 0), 0);
    const cells = [c.serverMsPerRun, c.postgresMsPerRun, c.postgresSharedMsPerRun, c.workersMsPerRun, c.benchProcessMsPerRun].map(ms);
    return `| ${SERVER_NAMES[row.server]} | ${row.workerProcesses} | ${kind === 'arbiter' ? 'Arbiter' : 'bare'} | ${cells.join(' | ')} | ${Math.round(total * 10) / 10} | ${c.coresBusy ?? '—'} |`;
  };
  const { postgres } = cluster;
  return [
    `### Cluster: ${p.runs} refunds of 20 EUR on the auto path, ${p.concurrency} at a time, workers in processes of their own`,
    '',
    `Dev server: \`${cluster.devServer.serverArgs.join(' ')}\`. temporal-server ${postgres.temporalServer} (${postgres.deployFiles.join(', ')}) on PostgreSQL ${postgres.postgresql} (${postgres.durability}).`,
    '',
    '| server | worker processes | runs/s: Arbiter / bare (ratio) | p50 (ms): Arbiter / bare (ratio) | p95 (ms): Arbiter / bare (ratio) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...cluster.rows.map(
      (row) =>
        `| ${SERVER_NAMES[row.server]} | ${row.workerProcesses} | ${both(row.arbiter.runsPerSecond, row.bare.runsPerSecond, row.ratio.runsPerSecond)} | ` +
        `${both(row.arbiter.latencyMs.p50, row.bare.latencyMs.p50, row.ratio.p50)} | ${both(row.arbiter.latencyMs.p95, row.bare.latencyMs.p95, row.ratio.p95)} |`,
    ),
    '',
    '#### Where a run\'s CPU goes (ms per completed run)',
    '',
    '| server | worker processes | saga | Temporal server | PostgreSQL: its backends | PostgreSQL: shared background | worker processes | bench process (client, model stand-in) | total | cores busy |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...cluster.rows.flatMap((row) => [cpuRowOf(row, 'arbiter'), cpuRowOf(row, 'bare')]),
    '',
  ];
}

/** A table of Arbiter against the bare saga: its heading, header and rows, then a blank line. */
function kindTable(title: string, rows: string[]): string[] {
  return [`### ${title}`, '', '| | Arbiter `refund` | bare saga | Arbiter / bare |', '| --- | ---: | ---: | ---: |', ...rows, ''];
}

function row(name: string, arbiter: number, bare: number, ratio: number): string {
  return `| ${name} | ${arbiter} | ${bare} | ${ratio} |`;
}

/** A CPU figure that /proc may not have (off Linux): a dash then. */
/** The same replays with the SDK's per-run costs switched off one at a time, and what each is paid per. */
function workflowCpuAttributionRows(figures: WorkflowCpuFigures): string[] {
  const { cpuMsPerRunBySetting: by, counts } = figures;
  const settingRow = (setting: CpuSetting, name: string) => row(name, by[setting].arbiter, by[setting].bare, divide(by[setting].arbiter, by[setting].bare));
  return [
    settingRow('no call timeout', 'CPU per replayed run, no watchdog per call into the workflow (ms)'),
    settingRow('no promise hook', 'CPU per replayed run, no stack trace per workflow promise (ms)'),
    settingRow('neither', 'CPU per replayed run, neither (ms)'),
    row('calls into the workflow context per run', counts.arbiter.contextCallsPerRun, counts.bare.contextCallsPerRun, divide(counts.arbiter.contextCallsPerRun, counts.bare.contextCallsPerRun)),
    row('promises created in workflow code per run', counts.arbiter.workflowPromisesPerRun, counts.bare.workflowPromisesPerRun, divide(counts.arbiter.workflowPromisesPerRun, counts.bare.workflowPromisesPerRun)),
  ];
}

/**
 * Arbiter, the two floors under it (the bare saga plus what Arbiter's guarantees add, none of
 * Arbiter's code, in Arbiter's commands and in the fewest: bench/workflows/floor-refund.ts) and
 * the bare saga, from the same runs as the tables above.
 */
function floorTable(saga: SagaFigures | undefined, workflowCpu: WorkflowCpuFigures | undefined, concurrency: number): string[] {
  type Cells = Partial<Record<BenchKind, number>>;
  const over = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? String(divide(a, b)) : '—');
  const line = (name: string, c: Cells) =>
    `| ${name} | ${c.arbiter ?? '—'} | ${c.floor ?? '—'} | ${c.minimal ?? '—'} | ${c.bare ?? '—'} | ${over(c.floor, c.bare)} | ${over(c.minimal, c.bare)} | ${over(c.arbiter, c.floor)} |`;
  const rows: string[] = [];
  if (saga?.floor && saga.minimal) {
    const kinds = { arbiter: saga.arbiter, floor: saga.floor, minimal: saga.minimal, bare: saga.bare };
    const each = (figure: (f: ThroughputFigures) => number | undefined): Cells =>
      Object.fromEntries(Object.entries(kinds).map(([kind, f]) => [kind, figure(f)]));
    const byRound = saga.runsPerSecondByRound;
    rows.push(
      line(`completed runs/s, ${concurrency} at a time`, each((f) => f.runsPerSecond)),
      ...(byRound && (saga.rounds ?? 1) > 1
        ? [`| … every round, in order | ${byRound.arbiter.join(', ')} | ${byRound.floor.join(', ')} | ${byRound.minimal.join(', ')} | ${byRound.bare.join(', ')} | | | |`]
        : []),
      line('history events per run', each((f) => f.history.eventsPerRun)),
      line('history bytes per run', each((f) => f.history.bytesPerRun)),
      line('CPU per run: dev server (ms)', each((f) => f.cpu.serverMsPerRun)),
      line('CPU per run: bench process (ms)', each((f) => f.cpu.benchProcessMsPerRun)),
    );
  }
  if (workflowCpu?.cpuMsPerRun.floor !== undefined) {
    const { cpuMsPerRunBySetting: by, counts } = workflowCpu;
    rows.push(
      line('CPU per replayed run (ms)', by['as shipped']),
      line('… no watchdog per call into the workflow (ms)', by['no call timeout']),
      line('… no stack trace per workflow promise (ms)', by['no promise hook']),
      line('… neither (ms)', by.neither),
      line('calls into the workflow context per run', Object.fromEntries(Object.entries(counts).map(([kind, c]) => [kind, c.contextCallsPerRun]))),
      line('promises created in workflow code per run', Object.fromEntries(Object.entries(counts).map(([kind, c]) => [kind, c.workflowPromisesPerRun]))),
    );
  }
  if (rows.length === 0) return [];
  return [
    '### The floors: the bare saga plus what Arbiter\'s guarantees add, without Arbiter\'s code',
    '',
    '| | Arbiter `refund` | floor, Arbiter\'s commands | floor, fewest commands | bare saga | floor / bare | fewest / bare | Arbiter / floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

function cpuRow(name: string, arbiter: number | undefined, bare: number | undefined): string {
  const ratioText = arbiter !== undefined && bare !== undefined ? String(divide(arbiter, bare)) : '—';
  return `| ${name} | ${arbiter ?? '—'} | ${bare ?? '—'} | ${ratioText} |`;
}

/** The mean, with the range when the sampled histories differ. */
function events(h: SagaFigures['bare']['history']): string {
  return h.eventsMin === h.eventsMax ? String(h.eventsPerRun) : `${h.eventsPerRun} (${h.eventsMin}–${h.eventsMax})`;
}

function percentileRow(name: string, p: Percentiles): string {
  return `| ${name} | ${p.p50} | ${p.p95} | ${p.p99} |`;
}
