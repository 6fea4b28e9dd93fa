// The floor under Arbiter's refund: the bare saga plus exactly the commands Arbiter's guarantees
// add to an auto refund's history, written as directly as Temporal allows and without the
// process kit (no run verbs, decision trace, metrics, spans, kill switch, approval gate or
// carried state). What it adds to the bare saga, and why Arbiter has it:
// - the request parsed, since whoever reaches Temporal can start a run with anything;
// - one patch marker, as every Arbiter run records one to replay safely across versions;
// - the policy pinned through a local activity, so history holds the policy the run used, with
//   the order read from payments alongside it, since policy decides on the record, not the claim;
// - routing by the pinned policy with a budget reservation, and the policy evaluated on the facts;
// - the audit trail's hash chain, written before money moves and again before the result, whose
//   `auditHead` anchors the trail;
// - the stage, cost and risk tier as search attributes for operators, at the decision and at the end.
// The bench measures it beside both (bench/workflow-cpu.ts, bench/saga-throughput.ts): the gap
// from bare to floor is what the guarantees cost on Temporal, the gap from floor to Arbiter what
// Arbiter's own code costs on top. The auto path only: any other outcome ends the run rejected.
import { ActivityFailure, ApplicationFailure, CancellationScope, patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IntegrationActivities, PolicyActivities, ProposerActivities } from '../../activities';
import type { AuditActor, AuditEvent } from '../../common/audit-schemas';
import { GENESIS_HASH, sealAuditEvent } from '../../common/audit-chain';
import { ArbiterCostUsd, ArbiterRiskTier, ArbiterStage, integrationsTaskQueue, llmTaskQueue } from '../../common/constants';
import { orderRecordSchema, refundRequestSchema, type RefundRequest } from '../../common/refund-schemas';
import { replyObjection, templateReply } from '../../common/reply-schemas';
import { evaluatePolicy } from '../../policies/evaluate';
import { failoverReserveUsd, routeModels } from '../../policies/routing';
import type { PolicyBundle } from '../../policies/schema';
import { bookkeepingLocalActivity, compensationActivity, llmActivity, sagaStepActivity, systemReadLocalActivity } from '../../workflows/activity-options';
import { estimateInputTokens } from '../../workflows/model-call';

export interface FloorRefundResult {
  outcome: 'completed' | 'compensated' | 'rejected';
  refundId?: string;
  messageId?: string;
  policyRef?: string;
  auditHead?: string;
}

const platform = proxyLocalActivities<PolicyActivities>(bookkeepingLocalActivity);
const reads = proxyLocalActivities<Pick<IntegrationActivities, 'getOrder'>>(systemReadLocalActivity);

export async function floorRefund(rawRequest: RefundRequest): Promise<FloorRefundResult> {
  const parsed = refundRequestSchema.safeParse(rawRequest);
  if (!parsed.success) throw ApplicationFailure.nonRetryable('refund request refused', 'InvalidInput');
  const request = parsed.data;
  patched('bench-floor-v1');
  const { workflowId, runId, taskQueue } = workflowInfo();
  const systems = proxyActivities<IntegrationActivities>(sagaStepActivity);
  const undo = proxyActivities<IntegrationActivities>({ ...compensationActivity, taskQueue: integrationsTaskQueue(taskQueue) });
  const models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(taskQueue) });

  const trail = chainedTrail(workflowId, runId, request.tenant);
  const system: AuditActor = { kind: 'system', id: 'arbiter' };
  trail.record('run.started', { kind: 'agent', id: request.requestedBy }, `refund requested for order ${request.order.id}`);
  const order = reads.getOrder({ orderId: request.order.id });
  const bundle = await platform.loadPolicy('refund');
  const recorded = orderRecordSchema.safeParse(await order);
  if (!recorded.success) return { outcome: 'rejected' };
  trail.record('policy.pinned', system, `policy ${bundle.ref} pinned`);
  const { amount, currency, orderId, refunded, customerId } = recorded.data;

  const agentInput = { ...request, order: { id: orderId, amount, currency } };
  const { proposal, model, costUsd } = await models.proposeRefund({ request: agentInput, ...modelCallLimits(bundle, request, agentInput, 1) });
  if (proposal.action !== 'refund') return { outcome: 'rejected' };
  trail.record('proposal.received', { kind: 'agent', id: bundle.policy.ai.agent }, `proposes refund ${proposal.amount} ${proposal.currency}`, { model });
  const facts = {
    amount: proposal.amount,
    currency: proposal.currency,
    orderAmount: amount,
    orderCurrency: currency,
    alreadyRefunded: refunded,
    customerTier: request.customer.tier,
    region: request.customer.region,
    confidence: proposal.confidence,
    riskFlags: [],
  };
  const decision = evaluatePolicy(bundle, { kind: 'agent', id: bundle.policy.ai.agent }, facts);
  trail.record('policy.decided', { kind: 'policy', id: bundle.ref }, decision.reason, { facts: decision.facts });
  if (decision.outcome !== 'auto') return { outcome: 'rejected' };
  upsertSearchAttributes([
    { key: ArbiterStage, value: 'reserving-funds' },
    { key: ArbiterCostUsd, value: costUsd },
    { key: ArbiterRiskTier, value: 'low' },
  ]);
  await trail.write(platform);

  const key = (step: string) => `${workflowId}/${step}`;
  const compensations: (() => Promise<unknown>)[] = [];
  let outcome: FloorRefundResult;
  try {
    const reservation = await systems.reserveFunds({ idempotencyKey: key('reserve-funds'), orderId, amount: proposal.amount, currency });
    compensations.unshift(() => undo.releaseFunds({ idempotencyKey: key('reserve-funds:compensate'), reservationId: reservation.reservationId }));
    const issued = await systems.issueRefund({ idempotencyKey: key('issue-refund'), reservationId: reservation.reservationId, orderId, amount: proposal.amount, currency });
    compensations.unshift(() => undo.reverseRefund({ idempotencyKey: key('issue-refund:compensate'), refundId: issued.refundId }));
    const note = `refund ${issued.refundId}: ${proposal.amount} ${currency}`;
    const crmCase = await systems.updateCrmCase({ idempotencyKey: key('update-crm-case'), orderId, status: 'refunded', note });
    compensations.unshift(() => undo.restoreCrmCase({ idempotencyKey: key('update-crm-case:compensate'), orderId, previous: crmCase.previous }));
    const replyRequest = { orderId, amount: proposal.amount, currency, refundId: issued.refundId, customerTier: request.customer.tier, message: request.message };
    const draft = await models.draftCustomerReply({ request: replyRequest, ...modelCallLimits(bundle, request, replyRequest, 2) });
    const text = replyObjection(draft.proposal.text, replyRequest) ? templateReply(replyRequest) : draft.proposal.text;
    const message = await systems.sendCustomerMessage({ idempotencyKey: key('send-customer-reply'), customerId, orderId, text });
    outcome = { outcome: 'completed', refundId: issued.refundId, messageId: message.messageId };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await CancellationScope.nonCancellable(async () => {
      for (const compensate of compensations) await compensate();
    });
    outcome = { outcome: 'compensated' };
  }
  upsertSearchAttributes([{ key: ArbiterStage, value: outcome.outcome }]);
  trail.record('run.finished', system, outcome.outcome, outcome);
  await trail.write(platform);
  return { ...outcome, policyRef: bundle.ref, auditHead: trail.head() };
}

/** The routed candidates and both budgets for the run's `n`th model call, as Arbiter's model-call.ts computes them. */
function modelCallLimits(bundle: PolicyBundle, request: RefundRequest, shown: unknown, n: number) {
  const { budgets, ai } = bundle.policy;
  const route = routeModels(bundle, { region: request.customer.region, estimatedInputTokens: estimateInputTokens(shown), remainingRunBudgetUsd: budgets.perRunUsd });
  const wantUsd = Math.min(budgets.perRunUsd, failoverReserveUsd(route.candidates));
  const { workflowId, runId } = workflowInfo();
  const tenantBudget = {
    reservationId: `${workflowId}/${runId}/model-call-${n}`,
    tenant: request.tenant,
    day: new Date().toISOString().slice(0, 10),
    dailyLimitUsd: budgets.perTenantDailyUsd,
    wantUsd,
    minUsd: Math.min(...route.candidates.map((c) => c.worstCaseCostUsd)),
  };
  return { candidates: route.candidates, personalFields: ai.personalFields, maxSpendUsd: wantUsd, tenantBudget };
}

/** Audit events sealed into one hash chain as they happen, written in batches. */
function chainedTrail(workflowId: string, runId: string, tenant: string) {
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
    async write(activities: Pick<PolicyActivities, 'appendAuditEvents'>) {
      const batch = pending;
      pending = [];
      await activities.appendAuditEvents(batch);
    },
    head: () => head,
  };
}
