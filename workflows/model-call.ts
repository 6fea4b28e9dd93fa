// One model call from a workflow: route by the pinned policy within the run's remaining budget,
// hand the call its reservation on the tenant's daily budget (the LLM activity reserves and
// settles it, so history holds no budget steps), and account the cost. Every choice lands in the
// trace; when no model may be called the call throws, and the process takes its human path.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { BudgetGrant, BudgetReservationRequest } from '../activities/budget';
import type { ChatProposalResult, NoProposalDetails } from '../activities/llm/chat-proposer';
import { NO_MODEL_AVAILABLE } from '../common/error-types';
import { failoverReserveUsd, routeModels, type RouteCandidate } from '../policies/routing';
import type { PolicyBundle } from '../policies/schema';
import { runMetrics } from './metrics';
import type { DecisionTrace, ModelCallRecord } from './trace';

/** The system prompt and the answer schema are about this many tokens; the request adds its own. */
const PROMPT_OVERHEAD_TOKENS = 400;

/** A rough count (4 characters a token) that routing uses for the worst case of a prompt. */
export function estimateInputTokens(request: unknown): number {
  return PROMPT_OVERHEAD_TOKENS + Math.ceil(JSON.stringify(request).length / 4);
}

/** What the proposer activity is handed: the routed candidates and both budgets. */
export interface ModelCallLimits {
  candidates: RouteCandidate[];
  /** What the run may still spend on this call. */
  maxSpendUsd: number;
  tenantBudget: BudgetReservationRequest;
}

export interface ModelCallPlan<Result extends ChatProposalResult<unknown>> {
  purpose: ModelCallRecord['purpose'];
  tenant: string;
  region: string;
  estimatedInputTokens: number;
  /** Runs the process's proposer activity within `limits`. */
  invoke: (limits: ModelCallLimits) => Promise<Result>;
}

export async function askModels<Result extends ChatProposalResult<unknown>>(plan: ModelCallPlan<Result>, bundle: PolicyBundle, trace: DecisionTrace): Promise<Result> {
  const { budgets } = bundle.policy;
  const remainingRunUsd = Math.max(0, budgets.perRunUsd - trace.data.costs.totalUsd);
  const route = routeModels(bundle, { region: plan.region, estimatedInputTokens: plan.estimatedInputTokens, remainingRunBudgetUsd: remainingRunUsd });
  const record: ModelCallRecord = { purpose: plan.purpose, route: route.summary, excluded: route.excluded, attempts: [] };
  trace.data.modelCalls.push(record);
  const metrics = runMetrics(trace.data.process, plan.tenant);
  if (route.candidates.length === 0) {
    // Refused by the run's budget when a model would be allowed with the budget left out.
    const unbudgeted = routeModels(bundle, { region: plan.region, estimatedInputTokens: plan.estimatedInputTokens, remainingRunBudgetUsd: Infinity });
    if (unbudgeted.candidates.length > 0) metrics.budgetRefused('run');
    throw ApplicationFailure.nonRetryable(route.summary, NO_MODEL_AVAILABLE);
  }

  const { wantUsd, tenantBudget } = modelCallBudget(route.candidates, { remainingRunUsd, tenant: plan.tenant, dailyLimitUsd: budgets.perTenantDailyUsd, callNumber: trace.data.modelCalls.length });
  const showBudget = (grant: BudgetGrant | undefined) => {
    if (grant) record.budget = `tenant ${plan.tenant}: ${usd(grant.availableUsd)} of ${usd(budgets.perTenantDailyUsd)} left today; reserved ${usd(grant.grantedUsd)}`;
  };

  try {
    const result = await plan.invoke({ candidates: route.candidates, maxSpendUsd: wantUsd, tenantBudget });
    record.attempts = result.attempts;
    // From the routed candidates, so the trace names the provider the LLM worker called.
    const served = route.candidates.find((candidate) => candidate.modelId === result.modelId);
    if (served) record.servedBy = { provider: served.provider, modelId: served.modelId };
    showBudget(result.budget);
    return result;
  } catch (err) {
    // A failed call may still have been billed: its details carry what the attempts cost.
    const details = (err as { cause?: { details?: unknown[] } }).cause?.details?.[0] as Partial<NoProposalDetails> | undefined;
    if (details?.attempts) record.attempts = details.attempts;
    showBudget(details?.budget);
    // The LLM activity refuses before any completion when the tenant's day grants nothing.
    if (details?.budget?.grantedUsd === 0) metrics.budgetRefused('tenant-day');
    // Billed attempts count against the run's budget like a successful call.
    if (details?.costUsd) trace.addCall({ model: `no proposal (${record.attempts.length} attempts)`, tokensIn: 0, tokensOut: 0, costUsd: details.costUsd });
    throw err;
  }
}

/**
 * What the run's `callNumber`th model call, routed to `candidates`, may spend and reserves on the
 * tenant's day: enough for a failover with one repair per model, never more than the run has
 * left, and at least the cheapest candidate's worst case. The reservation id and the day come
 * from the run and workflow time, so a retry or a replay asks for the same reservation.
 */
export function modelCallBudget(
  candidates: RouteCandidate[],
  call: { remainingRunUsd: number; tenant: string; dailyLimitUsd: number; callNumber: number },
): { wantUsd: number; tenantBudget: BudgetReservationRequest } {
  const wantUsd = Math.min(call.remainingRunUsd, failoverReserveUsd(candidates));
  const info = workflowInfo();
  const tenantBudget: BudgetReservationRequest = {
    reservationId: `${info.workflowId}/${info.runId}/model-call-${call.callNumber}`,
    tenant: call.tenant,
    day: new Date().toISOString().slice(0, 10),
    dailyLimitUsd: call.dailyLimitUsd,
    wantUsd,
    minUsd: Math.min(...candidates.map((c) => c.worstCaseCostUsd)),
  };
  return { wantUsd, tenantBudget };
}

function usd(n: number): string {
  return `${n.toFixed(4)} USD`;
}
