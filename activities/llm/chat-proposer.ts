// The proposal activities on real Chat Completions APIs: each tries the routed model candidates
// in order, rides out rate limits and transient failures, repairs one invalid answer per model,
// never spends more than the run allows or the tenant's day grants (the activity holds the day's
// reservation itself), and reports every call in a failover trace. The answer is only a
// proposal; policy decides.
import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI from 'openai';
import { INVALID_BUDGET_REQUEST, NO_MODEL_AVAILABLE } from '../../common/error-types';
import type { PriceChangeRequest } from '../../common/price-change-schemas';
import type { RefundProposal, RefundRequest } from '../../common/refund-schemas';
import type { ReplyDraftRequest } from '../../common/reply-schemas';
import type { ModelsFile } from '../../policies/schema';
import { failoverReserveUsd, type RouteCandidate } from '../../policies/routing';
import { parseBudgetReservation, type BudgetGrant, type BudgetReservationRequest, type ModelBudgetLedger } from '../budget';
import { CREDIT_REVIEW_TASK, type CreditReview } from './credit-prompt';
import { PRICE_REVIEW_TASK } from './pricing-prompt';
import { CUSTOMER_REPLY_TASK } from './reply-prompt';
import { describeProblems, type CheckedAnswer, type ProposalTask } from './proposal-task';
import {
  agentTurnTask,
  loadTranscript,
  resolveResults,
  saveTranscript,
  type AgentTurn,
  type ToolResultEntry,
  type TranscriptRef,
  type TranscriptStore,
} from './agent-turn';
import { modelMetrics, type ModelMetrics } from './metrics';
import { startModelCallSpan } from './model-call-span';
import { createProviderClients } from './providers';
import { buildRepairMessages, REFUND_TRIAGE_TASK } from './triage-prompt';

export interface ChatProposerDeps {
  providers: ModelsFile['providers'];
  env?: NodeJS.ProcessEnv;
  /** Upper bound on one rate-limit wait, whatever Retry-After asks for. */
  maxRetryAfterMs?: number;
  requestTimeoutMs?: number;
  /** Tests pass one that records the wait instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** The tenants' daily budgets; a call that carries `tenantBudget` needs one. */
  budgetLedger?: ModelBudgetLedger;
  /** Where agents' transcripts and large tool results are kept, outside history; agent turns need one. */
  transcripts?: TranscriptStore;
}

/** The processes whose agents investigate, by the proposal task their answer takes the shape of. */
const AGENT_BASE_TASKS = {
  refund: REFUND_TRIAGE_TASK,
  'price-change': PRICE_REVIEW_TASK,
  'credit-limit': CREDIT_REVIEW_TASK,
} as const satisfies Record<string, ProposalTask<never, unknown>>;

export type AgentTurnInput = ProposeInput<unknown> & {
  process: keyof typeof AGENT_BASE_TASKS;
  /** The turns so far; absent on the first turn. */
  transcript?: TranscriptRef;
  /** The tool results since the last turn, in the order of the calls they answer. */
  results: ToolResultEntry[];
  tools: OpenAI.ChatCompletionFunctionTool[];
  /** The write tool whose call is the agent's proposal. */
  proposeTool: string;
};

export type AgentTurnResult = ChatProposalResult<AgentTurn> & { transcript: TranscriptRef };

/** Text a model writes beside its tool calls: kept whole in the transcript, a line of it in history. */
const MAX_TURN_TEXT_CHARS = 300;

export interface ProposeInput<Request> {
  request: Request;
  /** In the order routing chose; the first that gives a valid proposal wins. */
  candidates: RouteCandidate[];
  /** Dotted paths redacted for candidates with `redact: true`. */
  personalFields: string[];
  /**
   * What this call may spend at most, in USD: a completion whose worst case would pass it is not
   * made. The workflow sets it from the run's budget; absent, no cap.
   */
  maxSpendUsd?: number;
  /**
   * The reservation to hold on the tenant's day for this call. The activity reserves it before
   * its first completion (a retry gets the same grant back), spends within the grant, and settles
   * what it spent when it ends, cancelled or not.
   */
  tenantBudget?: BudgetReservationRequest;
}

export type ProposeRefundInput = ProposeInput<RefundRequest>;

/** One HTTP call (or skipped candidate) and how it ended, e.g. `rate-limited, waited 1000 ms`. */
export interface ProposalAttempt {
  modelId: string;
  outcome: string;
}

export interface ProposalResult<Proposal = RefundProposal> {
  proposal: Proposal;
  /** `<modelId> (<model the server reported>)`: a stand-in says so here. */
  model: string;
  prompt: { id: string; version: number };
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export type ChatProposalResult<Proposal = RefundProposal> = ProposalResult<Proposal> & {
  modelId: string;
  attempts: ProposalAttempt[];
  /** The tenant's day at the call, when it carried a reservation. */
  budget?: BudgetGrant;
};

/** What a failed call's `NoModelAvailable` failure carries: the attempts (billed ones included) and the day's grant. */
export interface NoProposalDetails {
  attempts: ProposalAttempt[];
  costUsd: number;
  budget?: BudgetGrant;
}

/** Per model: rate-limit waits, and retries after 5xx, timeouts and connection failures. */
const MAX_RATE_LIMIT_WAITS = 2;
const MAX_TRANSIENT_RETRIES = 2;
const DEFAULT_RETRY_AFTER_MS = 1_000;
const BACKOFF_BASE_MS = 500;

type Messages = OpenAI.ChatCompletionMessageParam[];
type Spend = { tokensIn: number; tokensOut: number; costUsd: number };
const newSpend = (): Spend => ({ tokensIn: 0, tokensOut: 0, costUsd: 0 });
type CallFailure = { kind: 'rate-limited'; retryAfterMs: number } | { kind: 'transient' | 'rejected'; outcome: string };

export function createChatProposerActivities(deps: ChatProposerDeps) {
  const requestTimeoutMs = deps.requestTimeoutMs ?? 30_000;
  const clientFor = createProviderClients({ providers: deps.providers, env: deps.env ?? process.env, requestTimeoutMs });
  const maxRetryAfterMs = deps.maxRetryAfterMs ?? 10_000;
  const sleep = deps.sleep ?? ((ms: number) => (activityContext()?.sleep(ms) ?? new Promise<void>((resolve) => setTimeout(resolve, ms))));

  async function propose<Request, Proposal>(task: ProposalTask<Request, Proposal>, input: ProposeInput<Request>): Promise<ChatProposalResult<Proposal>> {
    const metrics = modelMetrics(input.tenantBudget?.tenant);
    if (!input.tenantBudget) return callModels(task, input, { attempts: [], spent: newSpend(), metrics });
    const requested = parseBudgetReservation(input.tenantBudget);
    // Routing lists what the policy allows; which providers serve is this worker's to say. A
    // candidate that does not serve is reported when its turn comes, and reserves nothing.
    const serves = (candidate: RouteCandidate) => !('notConfigured' in clientFor(candidate.provider));
    const serving = input.candidates.filter(serves);
    const reservation = serving.length > 0 && serving.length < input.candidates.length ? reservedFor(serving, requested) : requested;
    const ledger = deps.budgetLedger;
    if (!ledger) throw ApplicationFailure.nonRetryable('this LLM worker has no tenant budget ledger', INVALID_BUDGET_REQUEST);

    const budget = await ledger.reserve(reservation);
    metrics.reserved(reservation, budget);
    if (budget.grantedUsd === 0) {
      const details: NoProposalDetails = { attempts: [], costUsd: 0, budget };
      throw ApplicationFailure.nonRetryable(
        `tenant daily model budget: ${usd(budget.availableUsd)} left, the cheapest allowed call needs ${usd(reservation.minUsd)} at worst`,
        NO_MODEL_AVAILABLE,
        details,
      );
    }
    // A grant too small for a candidate's worst case rules that candidate out, in the trace.
    const attempts: ProposalAttempt[] = [];
    const affordable = input.candidates.filter((candidate) => {
      if (!serves(candidate) || candidate.worstCaseCostUsd <= budget.grantedUsd) return true;
      attempts.push({ modelId: candidate.modelId, outcome: `not called: worst case ${usd(candidate.worstCaseCostUsd)} over the ${usd(budget.grantedUsd)} the tenant's day granted` });
      return false;
    });
    const state = { attempts, spent: newSpend(), budget, metrics };
    let cancelled = false;
    try {
      const result = await callModels(task, { ...input, candidates: affordable, maxSpendUsd: Math.min(input.maxSpendUsd ?? Infinity, budget.grantedUsd) }, state);
      return { ...result, budget };
    } catch (error) {
      cancelled = activityContext()?.cancellationSignal.aborted === true;
      throw error;
    } finally {
      // A cancelled call may have been billed without an answer to count: it keeps its whole grant.
      await ledger.settle(reservation.reservationId, cancelled ? budget.grantedUsd : state.spent.costUsd);
    }
  }

  async function callModels<Request, Proposal>(
    task: ProposalTask<Request, Proposal>,
    input: ProposeInput<Request>,
    state: { attempts: ProposalAttempt[]; spent: Spend; budget?: BudgetGrant; metrics: ModelMetrics },
  ): Promise<ChatProposalResult<Proposal>> {
    const { attempts, spent, metrics } = state;
    let calls = 0;

    for (const candidate of input.candidates) {
      const provider = clientFor(candidate.provider);
      if ('notConfigured' in provider) {
        attempts.push({ modelId: candidate.modelId, outcome: provider.notConfigured });
        continue;
      }
      const record = (outcome: string) => attempts.push({ modelId: candidate.modelId, outcome });
      const budget = { waits: 0, retries: 0 };

      /** One completion, retried as the failure allows; undefined when this model is done for. */
      const complete = async (messages: Messages): Promise<{ message: OpenAI.ChatCompletionMessage; model: string } | undefined> => {
        for (;;) {
          // Checked before every completion, repairs included: a reservation is a hard limit.
          if (input.maxSpendUsd !== undefined && spent.costUsd + candidate.worstCaseCostUsd > input.maxSpendUsd) {
            record(`not called: worst case ${usd(candidate.worstCaseCostUsd)} would pass the ${usd(input.maxSpendUsd)} reserved (${usd(spent.costUsd)} spent)`);
            return undefined;
          }
          calls += 1;
          const context = activityContext();
          // Ids and counts only: heartbeat details are stored in history, prompts must not be.
          context?.heartbeat({ modelId: candidate.modelId, call: calls });
          // Our own timeout signal, so a timeout is told from a failed connection whatever error the client makes of it.
          const timeout = AbortSignal.timeout(requestTimeoutMs);
          const span = startModelCallSpan(candidate, task.prompt);
          let failure: CallFailure;
          try {
            const response = await provider.client.chat.completions.create(
              {
                model: candidate.model,
                messages,
                max_tokens: candidate.maxOutputTokens,
                temperature: 0,
                // A task with tools answers with tool calls; structured output is for a JSON answer.
                ...(task.tools ? { tools: task.tools, parallel_tool_calls: true } : candidate.structuredOutput ? { response_format: task.responseFormat } : {}),
              },
              { signal: context ? AbortSignal.any([timeout, context.cancellationSignal]) : timeout },
            );
            // Every answered call is paid for, repairs and invalid answers included.
            const usage = response.usage;
            if (usage) {
              const costUsd =
                (usage.prompt_tokens * candidate.inputUsdPerMillionTokens + usage.completion_tokens * candidate.outputUsdPerMillionTokens) / 1_000_000;
              spent.tokensIn += usage.prompt_tokens;
              spent.tokensOut += usage.completion_tokens;
              spent.costUsd += costUsd;
              metrics.billed(candidate.modelId, { tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens, costUsd });
              span.answered({ model: response.model, tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens, costUsd });
            }
            span.end('answered');
            const message = response.choices[0]?.message ?? { role: 'assistant' as const, content: '', refusal: null };
            return { message, model: response.model };
          } catch (error) {
            // A cancelled activity ends here: it is not this model's failure.
            if (context?.cancellationSignal.aborted) throw error;
            failure = timeout.aborted ? { kind: 'transient', outcome: 'timeout' } : classifyFailure(error);
            span.end(failure.kind === 'rate-limited' ? 'rate-limited' : failure.outcome);
          } finally {
            // Any way out not ended above: cancelled, or an error the proposer does not sort.
            span.end(context?.cancellationSignal.aborted ? 'cancelled' : 'failed');
          }
          metrics.completion(candidate.modelId, failure.kind);
          if (failure.kind === 'rate-limited') {
            if (budget.waits >= MAX_RATE_LIMIT_WAITS) {
              record('rate-limited, gave up');
              return undefined;
            }
            budget.waits += 1;
            const waitMs = Math.min(failure.retryAfterMs, maxRetryAfterMs);
            record(`rate-limited, waited ${waitMs} ms`);
            await sleep(waitMs);
            continue;
          }
          record(failure.outcome);
          if (failure.kind === 'rejected' || budget.retries >= MAX_TRANSIENT_RETRIES) return undefined;
          budget.retries += 1;
          await sleep(BACKOFF_BASE_MS * 2 ** (budget.retries - 1));
        }
      };

      const messages = task.buildMessages(input.request, { redact: candidate.redact ? input.personalFields : [], seesDataClasses: candidate.dataClasses });
      const first = await complete(messages);
      if (!first) continue;
      let answer = first;
      let checked = checkAnswer(task, first.message);
      metrics.completion(candidate.modelId, checked.ok ? 'ok' : 'invalid-output');
      if (!checked.ok) {
        record(`invalid output (${checked.problems})`);
        const repaired = await complete([...messages, ...buildRepairMessages(first.message.content ?? '', checked.problems)]);
        if (!repaired) continue;
        answer = repaired;
        checked = checkAnswer(task, repaired.message);
        metrics.completion(candidate.modelId, checked.ok ? 'ok' : 'invalid-output');
        if (!checked.ok) {
          record(`invalid output after repair (${checked.problems})`);
          continue;
        }
        record('ok (repaired)');
      } else {
        record('ok');
      }
      return {
        proposal: checked.proposal,
        // Names the endpoint's own model too, so a stand-in ("...standin...") never passes for a real model.
        model: `${candidate.modelId} (${answer.model})`,
        modelId: candidate.modelId,
        prompt: { id: task.prompt.id, version: task.prompt.version },
        ...spent,
        attempts,
      };
    }

    // The cost travels with the failure: failed attempts that returned usage were billed.
    const details: NoProposalDetails = { attempts, costUsd: spent.costUsd, budget: state.budget };
    throw ApplicationFailure.nonRetryable(`no model could propose: ${summarize(input.candidates, attempts)}`, NO_MODEL_AVAILABLE, details);
  }

  return {
    proposeRefund: (input: ProposeRefundInput) => propose(REFUND_TRIAGE_TASK, input),
    proposePriceChanges: (input: ProposeInput<PriceChangeRequest>) => propose(PRICE_REVIEW_TASK, input),
    proposeCreditLimit: (input: ProposeInput<CreditReview>) => propose(CREDIT_REVIEW_TASK, input),
    draftCustomerReply: (input: ProposeInput<ReplyDraftRequest>) => propose(CUSTOMER_REPLY_TASK, input),
    agentTurn: async (input: AgentTurnInput): Promise<AgentTurnResult> => {
      const store = deps.transcripts;
      if (!store) throw ApplicationFailure.nonRetryable('this LLM worker keeps no agent transcripts', NO_MODEL_AVAILABLE);
      const base = AGENT_BASE_TASKS[input.process] as ProposalTask<unknown, unknown>;
      const entries = [...(await loadTranscript(store, input.transcript)), ...(await resolveResults(store, input.results))];
      const result = await propose(agentTurnTask(base, entries, input.tools, input.proposeTool), input);
      const turn = result.proposal;
      const transcript = await saveTranscript(store, [...entries, { kind: 'calls', calls: turn.calls, content: turn.content }]);
      return { ...result, proposal: { calls: turn.calls, content: turn.content?.slice(0, MAX_TURN_TEXT_CHARS) ?? null }, transcript };
    },
  };
}

export type ChatProposerActivities = ReturnType<typeof createChatProposerActivities>;

/**
 * The workflow reserves for every routed candidate; only those this worker serves can spend, so
 * the reservation shrinks to them and the rest of the tenant's day stays free for other runs.
 * The ledger is atomic per reservation id, so a retry still gets its first grant back.
 */
function reservedFor(serving: RouteCandidate[], reservation: BudgetReservationRequest): BudgetReservationRequest {
  return {
    ...reservation,
    wantUsd: Math.min(reservation.wantUsd, failoverReserveUsd(serving)),
    minUsd: Math.min(...serving.map((candidate) => candidate.worstCaseCostUsd)),
  };
}

/** Sorts a failed call by what may help: waiting, retrying the same model, or moving on. */
function classifyFailure(error: unknown): CallFailure {
  // Timeouts and cancellation are sorted out before; any other abort is not the model's failure.
  if (error instanceof OpenAI.APIUserAbortError) throw error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'transient', outcome: 'timeout' };
  if (error instanceof OpenAI.APIConnectionError) return { kind: 'transient', outcome: 'connection failed' };
  if (!(error instanceof OpenAI.APIError)) throw error;
  const { status } = error;
  if (status === 429) return { kind: 'rate-limited', retryAfterMs: retryAfterMs(error.headers) };
  if (status === undefined || status >= 500) return { kind: 'transient', outcome: `server error ${status ?? 'without status'}` };
  if (status === 408) return { kind: 'transient', outcome: 'timeout (408)' };
  // Only the status: an error body may echo the prompt back.
  return { kind: 'rejected', outcome: `rejected ${status}` };
}

function retryAfterMs(headers: Headers | undefined): number {
  const millis = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const value = headers?.get('retry-after');
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - Date.now());
}

function checkAnswer<P>(task: ProposalTask<unknown, P>, message: OpenAI.ChatCompletionMessage): CheckedAnswer<P> {
  if (task.readMessage) return task.readMessage(message);
  // Models without structured output like to wrap JSON in a code fence.
  const text = (message.content ?? '')
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the answer, which may quote the customer.
    return { ok: false, problems: 'not a JSON object' };
  }
  const result = task.schema.safeParse(parsed);
  if (result.success) return { ok: true, proposal: result.data };
  return { ok: false, problems: describeProblems(result.error) };
}

/** Each candidate's last outcome: `standin-eu: server error 500; gpt-4o-mini: rejected 401`. */
function summarize(candidates: RouteCandidate[], attempts: ProposalAttempt[]): string {
  if (candidates.length === 0) return 'no model candidates';
  return candidates
    .map((candidate) => {
      const last = attempts.filter((attempt) => attempt.modelId === candidate.modelId).pop();
      return `${candidate.modelId}: ${last?.outcome ?? 'not tried'}`;
    })
    .join('; ');
}

function usd(n: number): string {
  return `${n.toFixed(4)} USD`;
}

/** The activity context when running in a worker; undefined when called directly (unit tests, scripts). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
