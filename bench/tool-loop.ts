// Measurement 9: an investigating agent's tool loop. (a) One read tool call three ways, taking
// turns: the reader called directly, the callReadTool activity function without Temporal, and
// callReadTool through Temporal as the agent makes its reads (bench/workflows/read-tool-loop.ts);
// (b) the history bytes per turn of a real investigating refund, with results over 1 KB going to
// the blob store and with every result kept in history; (c) one long investigation (200 look-ups
// by default) on the same dev server: its wall time, history and whether it continued as new.
import { rmSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createMcpToolClient, createToolActivities, DEFAULT_INLINE_BYTES, type CallReadToolInput } from '../activities/tools';
import type { RefundRequest } from '../common/refund-schemas';
import { copyPolicies } from '../test/helpers/policies';
import { withArbiterWorkers } from '../test/helpers/workers';
import { batchTag, benchWorkerSetup, expectCompleted, refundRequest, startRefund, type BenchContext } from './harness';
import { AUTO_AMOUNT } from './saga-throughput';
import { elapsedMs, percentiles, ratio, round1, type Percentiles } from './stats';
import { benchLookups } from './systems';
import type { readToolLoop } from './workflows/read-tool-loop';

export interface ToolFigures {
  call: {
    tool: string;
    /** UTF-8 bytes of the result (it travels in history: under the 1 KB inline limit). */
    resultBytes: number;
    calls: number;
    /** Calls per workflow run: the ways take turns a round of this many calls at a time. */
    callsPerRound: number;
    /** The lookup client's read, in memory: nothing of the tool machinery. */
    directMs: Percentiles;
    /** callReadTool without Temporal: argument check, the read, the result shaped and digested. */
    activityFunctionMs: Percentiles;
    /** ActivityTaskScheduled → ActivityTaskCompleted, from the server's event times. */
    temporalActivityMs: Percentiles;
    /** One call scheduled → the next scheduled: the activity plus the workflow task that takes its result. */
    temporalLoopMs: Percentiles;
    ratio: { functionP50: number; activityP50: number; activityP95: number; loopP50: number; loopP95: number };
  };
  historyPerTurn: {
    lookUps: number;
    /** What the two larger reads answer, in bytes: over the inline limit, so the store takes them. */
    resultBytes: { refundHistory: number; caseNotes: number };
    withStore: TurnHistory;
    withoutStore: TurnHistory;
    /** Mean bytes per turn without the store / with it. */
    ratio: number;
  };
  longRun: {
    lookUps: number;
    /** The refund policy's `agentTools.continueAsNew`, as shipped. */
    continueAsNew: unknown;
    wallSeconds: number;
    turns: number;
    readCalls: number;
    runs: { events: number; bytes: number }[];
    continuedAsNew: boolean;
    events: number;
    bytes: number;
    bytesPerTurn: number;
  };
}

export interface TurnHistory {
  /** Bytes of a shown result that travel in history (activities/tools `inlineBytes`). */
  inlineBytes: number;
  turns: number;
  events: number;
  bytes: number;
  /** Bytes of the events from one agentTurn's scheduling to the next: a model turn and its reads. */
  bytesPerTurn: { mean: number; max: number };
  /**
   * The mean turn's bytes by what they carry: the agentTurn activity's events (its input, with the
   * results since the last turn, and its answer), the callReadTool events (arguments and results),
   * and the rest (workflow tasks, markers).
   */
  meanTurnBytesBy: { agentTurn: number; callReadTool: number; other: number };
}

const { EventType } = temporal.api.enums.v1;
type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Calls per workflow run in (a): the three ways take turns a round at a time. */
const ROUND = 10;
/** Past the content limit: every result the model is shown stays in history. */
const NO_STORE_INLINE_BYTES = 1024 * 1024 * 1024;
const MESSAGE = (lookUps: number) => `The parcel arrived broken. Please run ${lookUps} look-ups before you decide.`;

export async function measureToolLoop(ctx: BenchContext): Promise<ToolFigures> {
  const call = await measureCalls(ctx);
  const { policyDir, continueAsNew } = investigatingPolicies(Math.max(ctx.options.toolTurnLookUps, ctx.options.toolRunLookUps));
  try {
    const tag = batchTag('tools');
    const lookUps = ctx.options.toolTurnLookUps;
    const { withStore, longRun } = await withAgentWorkers(ctx, policyDir, DEFAULT_INLINE_BYTES, async (taskQueue) => ({
      withStore: turnHistory(await investigation(ctx, taskQueue, refundWith(tag, 0, lookUps)), DEFAULT_INLINE_BYTES),
      longRun: await longInvestigation(ctx, taskQueue, refundWith(tag, 1, ctx.options.toolRunLookUps)),
    }));
    const withoutStore = await withAgentWorkers(ctx, policyDir, NO_STORE_INLINE_BYTES, async (taskQueue) =>
      turnHistory(await investigation(ctx, taskQueue, refundWith(tag, 2, lookUps)), NO_STORE_INLINE_BYTES),
    );
    const lookups = benchLookups();
    const request = refundWith(tag, 3, 0);
    return {
      call,
      historyPerTurn: {
        lookUps,
        resultBytes: {
          refundHistory: utf8Bytes(await lookups.getRefundHistory(request.customer.id, 1)),
          caseNotes: utf8Bytes(await lookups.getCaseNotes(request.order.id)),
        },
        withStore,
        withoutStore,
        ratio: ratio(withoutStore.bytesPerTurn.mean, withStore.bytesPerTurn.mean),
      },
      longRun: { ...longRun, lookUps: ctx.options.toolRunLookUps, continueAsNew },
    };
  } finally {
    rmSync(policyDir, { recursive: true, force: true });
  }
}

/** (a): get_order, whose answer travels inline, so every way does the same work but the transport. */
async function measureCalls(ctx: BenchContext): Promise<ToolFigures['call']> {
  const { toolCalls: calls, warmup } = ctx.options;
  const tag = batchTag('read-tool');
  const { order } = refundRequest(tag, 0, AUTO_AMOUNT);
  const lookups = benchLookups();
  const input: CallReadToolInput = { tool: 'get_order', args: { orderId: order.id }, idempotencyKey: `${tag}/tool:get_order`, source: 'builtin' };
  const functions = createToolActivities({ lookups, mcp: createMcpToolClient() });
  const direct: number[] = [];
  const viaFunction: number[] = [];
  const activityMs: number[] = [];
  const loopMs: number[] = [];
  let resultBytes = 0;
  await withArbiterWorkers(ctx.server.env, ctx.bundles.bare, { ...benchWorkerSetup(ctx.scratchDir, ctx.modelUrl, ctx.integrations), lookups }, async (taskQueue) => {
    // An uncounted round first when warming up; then rounds until `calls` are counted each way.
    const rounds = [...(warmup > 0 ? [{ size: Math.min(warmup, ROUND), counted: false }] : [])];
    for (let left = calls; left > 0; left -= ROUND) rounds.push({ size: Math.min(ROUND, left), counted: true });
    for (const [r, { size, counted }] of rounds.entries()) {
      for (let i = 0; i < size; i++) {
        const t0 = performance.now();
        const answer = await lookups.getOrder(order.id, input.idempotencyKey);
        if (counted) direct.push(elapsedMs(t0));
        if (!answer) throw new Error(`the bench lookups do not know order ${order.id}`);
      }
      for (let i = 0; i < size; i++) {
        const t0 = performance.now();
        const result = await functions.callReadTool(input);
        if (counted) viaFunction.push(elapsedMs(t0));
        if (result.status !== 'ok' || result.shown) throw new Error(`callReadTool answered ${JSON.stringify(result).slice(0, 200)}`);
        resultBytes = result.bytes;
      }
      const handle = await ctx.server.env.client.workflow.start<typeof readToolLoop>('readToolLoop', { taskQueue, workflowId: `${tag}-${r}`, args: [input, size] });
      const ok = await handle.result();
      if (ok !== size) throw new Error(`readToolLoop made ${ok} of ${size} reads`);
      if (!counted) continue;
      const reads = activitySpans(await handle.fetchHistory(), 'callReadTool');
      for (const [i, read] of reads.entries()) {
        activityMs.push(read.completed - read.scheduled);
        const next = reads[i + 1];
        if (next) loopMs.push(next.scheduled - read.scheduled);
      }
    }
  });
  const directMs = percentiles(direct);
  const activityFunctionMs = percentiles(viaFunction);
  const temporalActivityMs = percentiles(activityMs);
  const temporalLoopMs = percentiles(loopMs);
  return {
    tool: input.tool,
    resultBytes,
    calls,
    callsPerRound: ROUND,
    directMs,
    activityFunctionMs,
    temporalActivityMs,
    temporalLoopMs,
    ratio: {
      functionP50: ratio(activityFunctionMs.p50, directMs.p50),
      activityP50: ratio(temporalActivityMs.p50, directMs.p50),
      activityP95: ratio(temporalActivityMs.p95, directMs.p95),
      loopP50: ratio(temporalLoopMs.p50, directMs.p50),
      loopP95: ratio(temporalLoopMs.p95, directMs.p95),
    },
  };
}

/** Arbiter's workers with the investigating policies, the bench lookups, and tool results inline up to `inlineBytes`. */
function withAgentWorkers<T>(ctx: BenchContext, policyDir: string, inlineBytes: number, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const setup = { ...benchWorkerSetup(ctx.scratchDir, ctx.modelUrl, ctx.integrations, policyDir), lookups: benchLookups(), toolInlineBytes: inlineBytes };
  return withArbiterWorkers(ctx.server.env, ctx.bundles.arbiter, setup, fn);
}

/**
 * The shipped policies with the refund agent allowed `lookUps` refund-history reads and the turns
 * they take (eight a turn), as test/agent-continue-as-new.test.ts drives a 200-call run; its
 * `continueAsNew` is left as shipped.
 */
function investigatingPolicies(lookUps: number): { policyDir: string; continueAsNew: unknown } {
  let continueAsNew: unknown;
  const policyDir = copyPolicies((refund) => {
    const agentTools = refund.agentTools as { maxTurns: number; continueAsNew?: unknown; tools: { name: string; maxCallsPerRun: number }[] };
    continueAsNew = agentTools.continueAsNew ?? null;
    agentTools.maxTurns = Math.min(200, Math.ceil(lookUps / 8) + 4);
    for (const tool of agentTools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = Math.min(1000, lookUps + 1);
    (refund.budgets as { perRunUsd: number }).perRunUsd = 50;
  });
  process.once('exit', () => rmSync(policyDir, { recursive: true, force: true }));
  return { policyDir, continueAsNew };
}

function refundWith(tag: string, i: number, lookUps: number): RefundRequest {
  const request = refundRequest(tag, i, AUTO_AMOUNT);
  return lookUps > 0 ? { ...request, message: MESSAGE(lookUps) } : request;
}

/** Runs one investigating refund to completion; its history. */
async function investigation(ctx: BenchContext, taskQueue: string, request: RefundRequest): Promise<History> {
  const handle = await startRefund(ctx.server.env.client, taskQueue, request);
  await expectCompleted(handle);
  const runs = await historiesOf(handle);
  if (runs.length !== 1) throw new Error(`the ${request.requestId} investigation continued as new; its turns are measured in one run`);
  return runs[0]!;
}

async function longInvestigation(ctx: BenchContext, taskQueue: string, request: RefundRequest): Promise<Omit<ToolFigures['longRun'], 'lookUps' | 'continueAsNew'>> {
  const t0 = performance.now();
  const handle = await startRefund(ctx.server.env.client, taskQueue, request);
  await expectCompleted(handle);
  const wallSeconds = round1(elapsedMs(t0) / 1000);
  const histories = await historiesOf(handle);
  const runs = histories.map((history) => ({ events: history.events?.length ?? 0, bytes: encodedBytes(history) }));
  const events = runs.reduce((sum, run) => sum + run.events, 0);
  const bytes = runs.reduce((sum, run) => sum + run.bytes, 0);
  const turns = histories.reduce((sum, history) => sum + activitySpans(history, 'agentTurn').length, 0);
  const readCalls = histories.reduce((sum, history) => sum + activitySpans(history, 'callReadTool').length, 0);
  return { wallSeconds, turns, readCalls, runs, continuedAsNew: runs.length > 1, events, bytes, bytesPerTurn: Math.round(bytes / turns) };
}

/** Every run of the workflow, first to last, following continue-as-new. */
async function historiesOf(handle: WorkflowHandle): Promise<History[]> {
  const client = handle.client;
  const latest = await handle.fetchHistory();
  let runId = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
  const histories: History[] = [];
  while (runId) {
    const history = await client.getHandle(handle.workflowId, runId).fetchHistory();
    histories.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return histories;
}

/** A run's history split at each agentTurn's scheduling: a turn is its model call and the reads it asked for. */
function turnHistory(history: History, inlineBytes: number): TurnHistory {
  const events = history.events ?? [];
  const starts = events.flatMap((event, i) => (isScheduled(event, 'agentTurn') ? [i] : []));
  // The last turn is the proposal: what follows it is policy and the saga, not the loop.
  const loop = starts.slice(0, -1).map((start, k) => events.slice(start, starts[k + 1]));
  const perTurn = loop.map((turn) => turn.reduce((sum, event) => sum + eventBytes(event), 0));
  const typeOf = activityTypes(events);
  const by = { agentTurn: 0, callReadTool: 0, other: 0 };
  for (const event of loop.flat()) {
    const type = typeOf(event);
    by[type === 'agentTurn' || type === 'callReadTool' ? type : 'other'] += eventBytes(event);
  }
  const mean = (n: number) => (loop.length ? Math.round(n / loop.length) : 0);
  return {
    inlineBytes,
    turns: starts.length,
    events: events.length,
    bytes: encodedBytes(history),
    bytesPerTurn: { mean: mean(perTurn.reduce((a, b) => a + b, 0)), max: Math.max(0, ...perTurn) },
    meanTurnBytesBy: { agentTurn: mean(by.agentTurn), callReadTool: mean(by.callReadTool), other: mean(by.other) },
  };
}

/** The activity type an activity event belongs to (a completion, start or failure by its scheduling event). */
function activityTypes(events: HistoryEvent[]): (event: HistoryEvent) => string | undefined {
  const scheduled = new Map<string, string>();
  for (const event of events) {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.set(String(event.eventId), name);
  }
  return (event) => {
    const ref =
      event.activityTaskStartedEventAttributes?.scheduledEventId ??
      event.activityTaskCompletedEventAttributes?.scheduledEventId ??
      event.activityTaskFailedEventAttributes?.scheduledEventId ??
      event.activityTaskTimedOutEventAttributes?.scheduledEventId;
    return scheduled.get(String(ref ?? event.eventId));
  };
}

/** Each activity of `type` in the history: when it was scheduled and completed, in ms of the server's clock. */
function activitySpans(history: History, type: string): { scheduled: number; completed: number }[] {
  const events = history.events ?? [];
  const completedAt = new Map<string, number>();
  for (const event of events) {
    const id = event.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && id != null) completedAt.set(String(id), timeOf(event));
  }
  return events.filter((event) => isScheduled(event, type)).map((event) => ({ scheduled: timeOf(event), completed: completedAt.get(String(event.eventId)) ?? NaN }));
}

function isScheduled(event: HistoryEvent, type: string): boolean {
  return event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && event.activityTaskScheduledEventAttributes?.activityType?.name === type;
}

function timeOf(event: HistoryEvent): number {
  return Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
}

/** Encoded as the server stores it, as the saga measurement counts a history's bytes. */
function encodedBytes(history: History): number {
  return temporal.api.history.v1.History.encode(history).finish().length;
}

function eventBytes(event: HistoryEvent): number {
  return temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
}

function utf8Bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
