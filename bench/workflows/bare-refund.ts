// The refund saga as a hand-written Temporal workflow, for comparison: the same activities in the
// same order on the same queues with the same options (forward steps eager on the workflow queue), and nothing else (no policy, audit, trace, budgets, search
// attributes or summaries; an approval, when asked for, is one signal). A failed step undoes the
// earlier ones in reverse.
import {
  ActivityFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IntegrationActivities, ProposerActivities } from '../../activities';
import { integrationsTaskQueue, llmTaskQueue } from '../../common/constants';
import type { RefundRequest } from '../../common/refund-schemas';
import type { RouteCandidate } from '../../policies/routing';
import { compensationActivity, llmActivity, sagaStepActivity } from '../../workflows/activity-options';

export interface BareRefundInput {
  request: RefundRequest;
  /** Routed once by the bench from the shipped policy, so the model call is the one Arbiter makes. */
  candidates: RouteCandidate[];
  personalFields: string[];
  /** Waits for `approvedSignal` after the proposal, as a run that needs a person does. */
  awaitApproval?: boolean;
}

export interface BareRefundResult {
  outcome: 'completed' | 'compensated' | 'rejected';
  refundId?: string;
  messageId?: string;
}

export const approvedSignal = defineSignal('approved');
export const awaitingApprovalQuery = defineQuery<boolean>('awaitingApproval');

export async function bareRefund({ request, candidates, personalFields, awaitApproval }: BareRefundInput): Promise<BareRefundResult> {
  const { workflowId, taskQueue } = workflowInfo();
  let proposed = false;
  let approved = false;
  setHandler(approvedSignal, () => void (approved = true));
  setHandler(awaitingApprovalQuery, () => awaitApproval === true && proposed && !approved);
  const systems = proxyActivities<IntegrationActivities>(sagaStepActivity);
  const undo = proxyActivities<IntegrationActivities>({ ...compensationActivity, taskQueue: integrationsTaskQueue(taskQueue) });
  const models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(taskQueue) });

  const { proposal } = await models.proposeRefund({ request, candidates, personalFields });
  proposed = true;
  if (proposal.action !== 'refund') return { outcome: 'rejected' };
  if (awaitApproval) await condition(() => approved);

  const { order, customer } = request;
  const key = (step: string) => `${workflowId}/${step}`;
  const compensations: (() => Promise<void>)[] = [];
  try {
    const reservation = await systems.reserveFunds({ idempotencyKey: key('reserve-funds'), orderId: order.id, amount: proposal.amount, currency: order.currency });
    compensations.unshift(() => undo.releaseFunds({ idempotencyKey: key('reserve-funds:compensate'), reservationId: reservation.reservationId }));
    const issued = await systems.issueRefund({
      idempotencyKey: key('issue-refund'),
      reservationId: reservation.reservationId,
      orderId: order.id,
      amount: proposal.amount,
      currency: order.currency,
    });
    compensations.unshift(() => undo.reverseRefund({ idempotencyKey: key('issue-refund:compensate'), refundId: issued.refundId }));
    const crmCase = await systems.updateCrmCase({
      idempotencyKey: key('update-crm-case'),
      orderId: order.id,
      status: 'refunded',
      note: `refund ${issued.refundId}: ${proposal.amount} ${order.currency}`,
    });
    compensations.unshift(() => undo.restoreCrmCase({ idempotencyKey: key('update-crm-case:compensate'), orderId: order.id, previous: crmCase.previous }));
    // The reply is drafted by a model, as Arbiter's refund does, without its check or fallback.
    const draft = await models.draftCustomerReply({
      request: { orderId: order.id, amount: proposal.amount, currency: order.currency, refundId: issued.refundId, customerTier: customer.tier, message: request.message },
      candidates,
      personalFields,
    });
    const message = await systems.sendCustomerMessage({
      idempotencyKey: key('send-customer-reply'),
      customerId: customer.id,
      orderId: order.id,
      text: draft.proposal.text,
    });
    return { outcome: 'completed', refundId: issued.refundId, messageId: message.messageId };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Undo runs even when the run was cancelled.
    await CancellationScope.nonCancellable(async () => {
      for (const compensate of compensations) await compensate();
    });
    return { outcome: 'compensated' };
  }
}
