// One model call from a workflow: route by the pinned policy within the run's remaining budget,
// call the models, and account the cost. Every choice lands in the trace; when no model may be
// called the call throws, and the process takes its human path.
import { ApplicationFailure, upsertSearchAttributes } from '@temporalio/workflow';
import type { ProposerActivities } from '../activities';
import type { ChatProposalResult } from '../activities/llm/chat-proposer';
import { ArbiterCostUsd } from '../common/constants';
import { NO_MODEL_AVAILABLE } from '../common/error-types';
import type { RefundRequest } from '../common/refund-schemas';
import { routeModels } from '../policies/routing';
import type { PolicyBundle } from '../policies/schema';
import type { DecisionTrace } from './trace';

/** The system prompt and the answer schema are about this many tokens; the request adds its own. */
const PROMPT_OVERHEAD_TOKENS = 400;

export function estimateInputTokens(request: RefundRequest): number {
  return PROMPT_OVERHEAD_TOKENS + Math.ceil(JSON.stringify(request).length / 4);
}

export async function askModels(
  request: RefundRequest,
  bundle: PolicyBundle,
  trace: DecisionTrace,
  activities: { models: ProposerActivities },
): Promise<ChatProposalResult> {
  const { ai, budgets } = bundle.policy;
  // Not yet enforced here: the tenant's daily budget (budgets.perTenantDailyUsd), which needs a
  // counter shared by concurrent runs.
  const spent = trace.data.costs.totalUsd;
  const route = routeModels(bundle, {
    region: request.customer.region,
    estimatedInputTokens: estimateInputTokens(request),
    remainingRunBudgetUsd: Math.max(0, budgets.perRunUsd - spent),
  });
  trace.data.modelCalls.push({ route: route.summary, excluded: route.excluded, attempts: [] });
  if (route.candidates.length === 0) {
    throw ApplicationFailure.nonRetryable(route.summary, NO_MODEL_AVAILABLE);
  }

  let actualUsd = 0;
  try {
    const result = await activities.models.proposeRefund({ request, candidates: route.candidates, personalFields: ai.personalFields });
    actualUsd = result.costUsd;
    trace.data.modelCalls.at(-1)!.attempts = result.attempts;
    return result;
  } catch (err) {
    // A failed call may still have been billed: its details carry what the attempts cost.
    const details = (err as { cause?: { details?: unknown[] } }).cause?.details?.[0] as { attempts?: []; costUsd?: number } | undefined;
    actualUsd = details?.costUsd ?? 0;
    if (details?.attempts) trace.data.modelCalls.at(-1)!.attempts = details.attempts;
    throw err;
  } finally {
    upsertSearchAttributes([{ key: ArbiterCostUsd, value: trace.data.costs.totalUsd + actualUsd }]);
  }
}
