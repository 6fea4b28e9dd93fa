// What the floors under Arbiter's refund (floor-refund.ts, both designs) build in the workflow:
// the limits of a model call routed by the pinned policy, and the audit trail's hash chain, each
// as directly as the guarantee allows.
import { workflowInfo } from '@temporalio/workflow';
import type { AuditActor, AuditEvent } from '../../common/audit-schemas';
import { GENESIS_HASH, sealAuditEvent } from '../../common/audit-chain';
import type { RefundRequest } from '../../common/refund-schemas';
import { routeModels } from '../../policies/routing';
import type { PolicyBundle } from '../../policies/schema';
import { estimateInputTokens, modelCallBudget } from '../../workflows/model-call';

/** The routed candidates and both budgets for the run's `n`th model call, through Arbiter's own budget rule (workflows/model-call.ts). */
export function modelCallLimits(bundle: PolicyBundle, request: RefundRequest, shown: unknown, n: number) {
  const { budgets, ai } = bundle.policy;
  const route = routeModels(bundle, { region: request.customer.region, estimatedInputTokens: estimateInputTokens(shown), remainingRunBudgetUsd: budgets.perRunUsd });
  const { wantUsd, tenantBudget } = modelCallBudget(route.candidates, { remainingRunUsd: budgets.perRunUsd, tenant: request.tenant, dailyLimitUsd: budgets.perTenantDailyUsd, callNumber: n });
  return { candidates: route.candidates, personalFields: ai.personalFields, maxSpendUsd: wantUsd, tenantBudget };
}

/** Audit events sealed into one hash chain as they happen; `take` hands over those not yet written. */
export function chainedTrail(tenant: string) {
  const { workflowId, runId } = workflowInfo();
  let sequence = 0;
  let head = GENESIS_HASH;
  let pending: AuditEvent[] = [];
  return {
    record(type: string, actor: AuditActor, summary: string, shown?: unknown) {
      sequence += 1;
      const event = sealAuditEvent({ eventId: `${workflowId}/${runId}/${sequence}`, workflowId, runId, process: 'refund', tenant, at: new Date().toISOString(), type, actor, summary, shown }, head);
      head = event.hash;
      pending.push(event);
    },
    take(): AuditEvent[] {
      const batch = pending;
      pending = [];
      return batch;
    },
    head: () => head,
  };
}
