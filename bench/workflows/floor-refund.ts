// The floors under Arbiter's refund: the bare saga plus the commands Arbiter's guarantees add to
// an auto refund's history, written as directly as Temporal allows and without the process kit
// (no run verbs, decision trace, metrics, spans, kill switch, approval gate or carried state).
// What the floor adds to the bare saga, and why Arbiter has it:
// - the request parsed, since whoever reaches Temporal can start a run with anything;
// - the policy pinned through a local activity, so history holds the policy the run used, with
//   the order read from payments alongside it, since policy decides on the record, not the claim;
// - routing by the pinned policy with a budget reservation, and the policy evaluated on the facts;
// - the audit trail's hash chain, written before money moves and again before the result, whose
//   `auditHead` anchors the trail.
// Two designs of the same guarantees:
// - `arbiter`: Arbiter's commands exactly (one patch marker, the pin and the read in two local
//   activities, the trail before money moves in a local activity of its own, the stage, cost and
//   risk tier as search attributes at the decision and at the end);
// - `minimal`: the fewest commands they need (no patch marker, one local activity for the pin and
//   the read, the trail written by the first saga step's activity before it reserves anything, and
//   search attributes only as the starter sets them).
// The bench measures both beside Arbiter and the bare saga (bench/workflow-cpu.ts,
// bench/saga-throughput.ts): floor over bare is what the guarantees cost on Temporal, Arbiter
// over floor what Arbiter's own code costs on top. The auto path only: any other outcome ends
// the run rejected.
import { ActivityFailure, ApplicationFailure, CancellationScope, patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IntegrationActivities, PolicyActivities, ProposerActivities } from '../../activities';
import type { MinimalFloorActivities } from '../minimal-floor-activities';
import type { AuditActor } from '../../common/audit-schemas';
import { ArbiterCostUsd, ArbiterRiskTier, ArbiterStage, integrationsTaskQueue, llmTaskQueue } from '../../common/constants';
import { orderRecordSchema, refundRequestSchema, type RefundRequest } from '../../common/refund-schemas';
import { replyObjection, templateReply } from '../../common/reply-schemas';
import { evaluatePolicy } from '../../policies/evaluate';
import { differingOrderFields, refundFacts } from '../../workflows/refund-facts';
import { bookkeepingLocalActivity, compensationActivity, llmActivity, sagaStepActivity, systemReadLocalActivity } from '../../workflows/activity-options';
import type { PolicyBundle } from '../../policies/schema';
import { chainedTrail, modelCallLimits } from './guarantees';

export interface FloorRefundResult {
  outcome: 'completed' | 'compensated' | 'rejected';
  refundId?: string;
  messageId?: string;
  policyRef?: string;
  auditHead?: string;
}

export type FloorDesign = 'arbiter' | 'minimal';

const platform = proxyLocalActivities<PolicyActivities>(bookkeepingLocalActivity);
const reads = proxyLocalActivities<Pick<IntegrationActivities, 'getOrder'>>(systemReadLocalActivity);
const pinning = proxyLocalActivities<MinimalFloorActivities>(bookkeepingLocalActivity);
const trailedSteps = proxyActivities<MinimalFloorActivities>(sagaStepActivity);

export async function floorRefund(rawRequest: RefundRequest, design: FloorDesign = 'arbiter'): Promise<FloorRefundResult> {
  const parsed = refundRequestSchema.safeParse(rawRequest);
  if (!parsed.success) throw ApplicationFailure.nonRetryable('refund request refused', 'InvalidInput');
  const request = parsed.data;
  const minimal = design === 'minimal';
  if (!minimal) patched('bench-floor-v1');
  const { workflowId, taskQueue } = workflowInfo();
  const systems = proxyActivities<IntegrationActivities>(sagaStepActivity);
  const undo = proxyActivities<IntegrationActivities>({ ...compensationActivity, taskQueue: integrationsTaskQueue(taskQueue) });
  const models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(taskQueue) });

  const trail = chainedTrail(request.tenant);
  const system: AuditActor = { kind: 'system', id: 'arbiter' };
  trail.record('run.started', { kind: 'agent', id: request.requestedBy }, `refund requested for order ${request.order.id}`);
  const { bundle, order } = minimal ? await pinning.pinPolicyAndReadOrder('refund', request.order.id) : await pinAndRead(request.order.id);
  const recorded = orderRecordSchema.safeParse(order);
  if (!recorded.success || recorded.data.orderId !== request.order.id) return { outcome: 'rejected' };
  trail.record('policy.pinned', system, `policy ${bundle.ref} pinned`);
  const { amount, currency, orderId, customerId } = recorded.data;

  const agentInput = { ...request, order: { id: orderId, amount, currency } };
  const { proposal, model, costUsd } = await models.proposeRefund({ request: agentInput, ...modelCallLimits(bundle, request, agentInput, 1) });
  if (proposal.action !== 'refund') return { outcome: 'rejected' };
  trail.record('proposal.received', { kind: 'agent', id: bundle.policy.ai.agent }, `proposes refund ${proposal.amount} ${proposal.currency}`, { model });
  const riskFlags = differingOrderFields(request, recorded.data).length ? ['order-mismatch'] : [];
  const facts = refundFacts(recorded.data, request, proposal, riskFlags);
  const decision = evaluatePolicy(bundle, { kind: 'agent', id: bundle.policy.ai.agent }, facts);
  trail.record('policy.decided', { kind: 'policy', id: bundle.ref }, decision.reason, { facts: decision.facts });
  if (decision.outcome !== 'auto') return { outcome: 'rejected' };
  if (!minimal) {
    upsertSearchAttributes([
      { key: ArbiterStage, value: 'reserving-funds' },
      { key: ArbiterCostUsd, value: costUsd },
      { key: ArbiterRiskTier, value: 'low' },
    ]);
    await platform.appendAuditEvents(trail.take());
  }

  const key = (step: string) => `${workflowId}/${step}`;
  const compensations: (() => Promise<unknown>)[] = [];
  let outcome: FloorRefundResult;
  try {
    const reserve = { idempotencyKey: key('reserve-funds'), orderId, amount: proposal.amount, currency };
    const reservation = await (minimal ? trailedSteps.reserveFundsAfterTrail(trail.take(), reserve) : systems.reserveFunds(reserve));
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
  if (!minimal) upsertSearchAttributes([{ key: ArbiterStage, value: outcome.outcome }]);
  trail.record('run.finished', system, outcome.outcome, outcome);
  await platform.appendAuditEvents(trail.take());
  return { ...outcome, policyRef: bundle.ref, auditHead: trail.head() };
}

/** Arbiter's way: the read started first, then the policy's pinning, each a local activity of its own. */
async function pinAndRead(orderId: string): Promise<{ bundle: PolicyBundle; order: unknown }> {
  const order = reads.getOrder({ orderId });
  const bundle = await platform.loadPolicy('refund');
  return { bundle, order: await order };
}
