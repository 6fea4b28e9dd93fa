// Measurement 4: what Temporal adds to a model call. The same request to the stand-in model
// server (no injected delay) three ways, taking turns, one call at a time: the `openai` client
// directly, the proposeRefund activity function called directly, and proposeRefund through a workflow.
import { temporal } from '@temporalio/proto';
import OpenAI from 'openai';
import { createChatProposerActivities } from '../activities';
import { REFUND_TRIAGE_TASK } from '../activities/llm/triage-prompt';
import { batchTag, modelCallFor, refundRequest, withWorkers, type BenchContext } from './harness';
import { AUTO_AMOUNT } from './saga-throughput';
import { percentiles, ratio, type Percentiles } from './stats';
import type { emptyActivityOnly, proposeOnly } from './workflows/propose-only';

export interface LlmFigures {
  calls: number;
  /** `openai` client → the model server, nothing else. */
  directClientMs: Percentiles;
  /** The activity function without Temporal: prompt building, the call, answer validation, cost. */
  activityFunctionMs: Percentiles;
  /** ActivityTaskScheduled → ActivityTaskCompleted, from the server's event times. */
  temporalActivityMs: Percentiles;
  /** The same span for an activity that does nothing: Temporal's round trip by itself. */
  emptyActivityMs: Percentiles;
  /** The empty activity's two halves: the server handing the task to a poller, and the worker running it and reporting back. */
  emptyActivitySplitMs: { scheduledToStarted: Percentiles; startedToCompleted: Percentiles };
  /** The client starting the one-call workflow → its result. */
  temporalWorkflowMs: Percentiles;
  ratio: { activityP50: number; activityP95: number; workflowP50: number; workflowP95: number };
}

const { EventType } = temporal.api.enums.v1;

export async function measureLlm(ctx: BenchContext): Promise<LlmFigures> {
  const { llmCalls: calls, warmup } = ctx.options;
  const input = modelCallFor(refundRequest(batchTag('llm'), 0, AUTO_AMOUNT));
  const candidate = input.candidates[0]!;

  // The request the activity sends for this candidate, built by the same prompt code.
  const client = new OpenAI({ baseURL: ctx.modelUrl, apiKey: 'not-needed', maxRetries: 0 });
  const body: OpenAI.ChatCompletionCreateParamsNonStreaming = {
    model: candidate.model,
    messages: REFUND_TRIAGE_TASK.buildMessages(input.request, { redact: candidate.redact ? input.personalFields : [] }),
    max_tokens: candidate.maxOutputTokens,
    temperature: 0,
    ...(candidate.structuredOutput ? { response_format: REFUND_TRIAGE_TASK.responseFormat } : {}),
  };
  const activities = createChatProposerActivities({ providers: { standin: { baseUrl: 'env:ARBITER_MODEL_URL' } }, env: { ARBITER_MODEL_URL: ctx.modelUrl } });

  const direct: number[] = [];
  const viaFunction: number[] = [];
  const activityMs: number[] = [];
  const workflowMs: number[] = [];
  const emptyMs: number[] = [];
  const emptyDispatchMs: number[] = [];
  const emptyRunMs: number[] = [];
  const withEmptyActivity = { ...ctx.integrations, benchEmptyActivity: async () => undefined };
  await withWorkers(ctx, 'bare', async (taskQueue) => {
    const tag = batchTag('propose-only');
    // The three ways take turns, so drift in the machine's load touches each alike.
    for (let i = -warmup; i < calls; i++) {
      const counted = i >= 0;
      await timed(counted ? direct : undefined, async () => {
        const answer = await client.chat.completions.create(body);
        if (!answer.choices[0]?.message.content) throw new Error('the model server gave no answer');
      });
      await timed(counted ? viaFunction : undefined, async () => {
        const result = await activities.proposeRefund(input);
        if (result.proposal.action !== 'refund') throw new Error(`the stand-in proposed ${result.proposal.action}`);
      });
      const handle = await timed(counted ? workflowMs : undefined, async () => {
        const started = await ctx.server.env.client.workflow.start<typeof proposeOnly>('proposeOnly', { taskQueue, workflowId: `${tag}-${i}`, args: [input] });
        await started.result();
        return started;
      });
      if (counted) activityMs.push(scheduledToCompletedMs(await handle.fetchHistory()));
      const empty = await ctx.server.env.client.workflow.start<typeof emptyActivityOnly>('emptyActivityOnly', { taskQueue, workflowId: `${tag}-empty-${i}` });
      await empty.result();
      if (counted) {
        const times = activityTimes(await empty.fetchHistory());
        emptyMs.push(times.completed - times.scheduled);
        emptyDispatchMs.push(times.started - times.scheduled);
        emptyRunMs.push(times.completed - times.started);
      }
    }
  }, withEmptyActivity);

  const directClientMs = percentiles(direct);
  const temporalActivityMs = percentiles(activityMs);
  const temporalWorkflowMs = percentiles(workflowMs);
  return {
    calls,
    directClientMs,
    activityFunctionMs: percentiles(viaFunction),
    temporalActivityMs,
    emptyActivityMs: percentiles(emptyMs),
    emptyActivitySplitMs: { scheduledToStarted: percentiles(emptyDispatchMs), startedToCompleted: percentiles(emptyRunMs) },
    temporalWorkflowMs,
    ratio: {
      activityP50: ratio(temporalActivityMs.p50, directClientMs.p50),
      activityP95: ratio(temporalActivityMs.p95, directClientMs.p95),
      workflowP50: ratio(temporalWorkflowMs.p50, directClientMs.p50),
      workflowP95: ratio(temporalWorkflowMs.p95, directClientMs.p95),
    },
  };
}

/** Runs `call`, adding its duration in ms to `samples` when given. */
async function timed<T>(samples: number[] | undefined, call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const value = await call();
  samples?.push(performance.now() - t0);
  return value;
}

function scheduledToCompletedMs(history: temporal.api.history.v1.IHistory): number {
  const times = activityTimes(history);
  return times.completed - times.scheduled;
}

/** When the one activity of a history was scheduled, started and completed, in ms (the server's clock). */
function activityTimes(history: temporal.api.history.v1.IHistory): { scheduled: number; started: number; completed: number } {
  const at = (type: temporal.api.enums.v1.EventType) => {
    const event = history.events?.find((e) => e.eventType === type);
    if (!event?.eventTime) throw new Error(`no event of type ${type} in the proposeOnly history`);
    return Number(event.eventTime.seconds ?? 0) * 1000 + (event.eventTime.nanos ?? 0) / 1e6;
  };
  return {
    scheduled: at(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    started: at(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED),
    completed: at(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
  };
}
