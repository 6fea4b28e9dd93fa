// One model call from a workflow: route by the pinned policy within the run's remaining budget,
// reserve the call's worst case from the tenant's daily budget, call the models, settle and
// account the cost. Every choice lands in the trace; when no model may be called the call
// throws, and the process takes its human path.
import { ApplicationFailure, CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { PolicyActivities } from '../activities';
import type { ChatProposalResult, ProposalAttempt } from '../activities/llm/chat-proposer';
import { NO_MODEL_AVAILABLE } from '../common/error-types';
import { routeModels, type RouteCandidate, type RouteDecision } from '../policies/routing';
import type { PolicyBundle } from '../policies/schema';
import type { DecisionTrace, ModelCallRecord } from './trace';

/** The system prompt and the answer schema are about this many tokens; the request adds its own. */
const PROMPT_OVERHEAD_TOKENS = 400;

/** A rough count (4 characters a token) that routing uses for the worst case of a prompt. */
export function estimateInputTokens(request: unknown): number {
  return PROMPT_OVERHEAD_TOKENS + Math.ceil(JSON.stringify(request).length / 4);
}

export interface ModelCallPlan<Proposal> {
  purpose: ModelCallRecord['purpose'];
  tenant: string;
  region: string;
  estimatedInputTokens: number;
  /** Runs the process's proposer activity on the routed candidates, spending at most `maxSpendUsd`. */
  invoke: (candidates: RouteCandidate[], maxSpendUsd: number) => Promise<ChatProposalResult<Proposal>>;
}

type BudgetLedger = Pick<PolicyActivities, 'reserveModelBudget' | 'settleModelBudget'>;

export async function askModels<Proposal>(
  plan: ModelCallPlan<Proposal>,
  bundle: PolicyBundle,
  trace: DecisionTrace,
  ledger: BudgetLedger,
): Promise<ChatProposalResult<Proposal>> {
  const { budgets } = bundle.policy;
  const remainingRunUsd = Math.max(0, budgets.perRunUsd - trace.data.costs.totalUsd);
  const record: ModelCallRecord = { purpose: plan.purpose, route: '', excluded: [], attempts: [] };
  trace.data.modelCalls.push(record);
  /** Routes within `usd` and shows the route in the trace. */
  const routeWithin = (usd: number): RouteDecision => {
    const decision = routeModels(bundle, { region: plan.region, estimatedInputTokens: plan.estimatedInputTokens, remainingRunBudgetUsd: usd });
    record.route = decision.summary;
    record.excluded = decision.excluded;
    return decision;
  };

  let route = routeWithin(remainingRunUsd);
  if (route.candidates.length === 0) throw ApplicationFailure.nonRetryable(route.summary, NO_MODEL_AVAILABLE);

  // Enough for a failover with one repair per model, never more than the run has left.
  const worstCases = route.candidates.map((c) => c.worstCaseCostUsd);
  const info = workflowInfo();
  const reservationId = `${info.workflowId}/${info.runId}/model-call-${trace.data.modelCalls.length}`;
  const grant = await ledger.reserveModelBudget({
    reservationId,
    tenant: plan.tenant,
    day: new Date().toISOString().slice(0, 10),
    dailyLimitUsd: budgets.perTenantDailyUsd,
    wantUsd: Math.min(remainingRunUsd, 2 * worstCases.reduce((sum, usd) => sum + usd, 0)),
    minUsd: Math.min(...worstCases),
  });
  record.budget = `tenant ${plan.tenant}: ${usd(grant.availableUsd)} of ${usd(budgets.perTenantDailyUsd)} left today; reserved ${usd(grant.grantedUsd)}`;
  if (grant.grantedUsd === 0) {
    throw ApplicationFailure.nonRetryable(
      `tenant daily model budget: ${usd(grant.availableUsd)} left, the cheapest allowed call needs ${usd(Math.min(...worstCases))} at worst`,
      NO_MODEL_AVAILABLE,
    );
  }
  // A grant too small for some candidate's worst case narrows the route, as a tight run budget would.
  if (grant.grantedUsd < Math.max(...worstCases)) route = routeWithin(grant.grantedUsd);

  // Unknown when the call was cancelled (the kill switch): then the whole reservation is settled.
  let spentUsd: number | undefined;
  try {
    const result = await plan.invoke(route.candidates, grant.grantedUsd);
    spentUsd = result.costUsd;
    record.attempts = result.attempts;
    return result;
  } catch (err) {
    // A failed call may still have been billed: its details carry what the attempts cost.
    const details = (err as { cause?: { details?: unknown[] } }).cause?.details?.[0] as { attempts?: ProposalAttempt[]; costUsd?: number } | undefined;
    spentUsd = details?.costUsd;
    if (details?.attempts) record.attempts = details.attempts;
    // Billed attempts count against the run's budget like a successful call.
    if (spentUsd) trace.addCall({ model: `no proposal (${record.attempts.length} attempts)`, tokensIn: 0, tokensOut: 0, costUsd: spentUsd });
    throw err;
  } finally {
    // Settled even when the kill switch cancelled the call: the reservation must not stay open.
    await CancellationScope.nonCancellable(() => ledger.settleModelBudget({ reservationId, spentUsd: spentUsd ?? grant.grantedUsd }));
  }
}

function usd(n: number): string {
  return `${n.toFixed(4)} USD`;
}
