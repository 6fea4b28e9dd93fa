// The refund process. It reserves the funds, issues the refund, records it on the CRM case
// and tells the customer. A failure or a cancel before the message releases the funds,
// reverses the refund and restores the case, in reverse; the message itself is the pivot.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities';
import { integrationsTaskQueue, SagaStage } from '../common/constants';
import { refundRequestSchema, type RefundRequest, type RefundResult } from '../common/refund-schemas';
import { compensationActivity, integrationActivity } from './activity-options';
import { parseWorkflowInput } from './input';
import { Saga } from './saga';
import { ensureProcessAttributes, stageTracker } from './search-attributes';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';

export async function refund(rawRequest: RefundRequest): Promise<RefundResult> {
  const request = parseWorkflowInput(refundRequestSchema, rawRequest, 'refund request');
  ensureProcessAttributes('refund', request.tenant);
  const setStage = stageTracker();
  const saga = new Saga({ onStage: setStage });

  const taskQueue = integrationsTaskQueue(workflowInfo().taskQueue);
  const systems = proxyActivities<IntegrationActivities>({ ...integrationActivity, taskQueue });
  const undo = proxyActivities<IntegrationActivities>({ ...compensationActivity, taskQueue });

  const { order, customer } = request;
  const money = `${order.amount} ${order.currency}`;

  const outcome = await saga.execute(async () => {
    const reservation = await saga.step(
      'reserve-funds',
      (idempotencyKey) =>
        systems.reserveFunds.executeWithOptions({ summary: `reserve ${money} for order ${order.id}` }, [
          { idempotencyKey, orderId: order.id, amount: order.amount, currency: order.currency },
        ]),
      (r, idempotencyKey) =>
        undo.releaseFunds.executeWithOptions({ summary: `release reservation ${r.reservationId}` }, [
          { idempotencyKey, reservationId: r.reservationId },
        ]),
    );
    const issued = await saga.step(
      'issue-refund',
      (idempotencyKey) =>
        systems.issueRefund.executeWithOptions({ summary: `refund ${money} on order ${order.id}` }, [
          { idempotencyKey, reservationId: reservation.reservationId, orderId: order.id, amount: order.amount, currency: order.currency },
        ]),
      (r, idempotencyKey) =>
        undo.reverseRefund.executeWithOptions({ summary: `reverse refund ${r.refundId}` }, [
          { idempotencyKey, refundId: r.refundId },
        ]),
    );
    await saga.step(
      'update-crm-case',
      (idempotencyKey) =>
        systems.updateCrmCase.executeWithOptions({ summary: `mark case of order ${order.id} refunded` }, [
          { idempotencyKey, orderId: order.id, status: 'refunded', note: `refund ${issued.refundId}: ${money}` },
        ]),
      (r, idempotencyKey) =>
        undo.restoreCrmCase.executeWithOptions({ summary: `restore case of order ${order.id}` }, [
          { idempotencyKey, orderId: order.id, previous: r.previous },
        ]),
    );
    const message = await saga.pivot('send-customer-reply', (idempotencyKey) =>
      systems.sendCustomerMessage.executeWithOptions({ summary: `tell customer about refund ${issued.refundId}` }, [
        {
          idempotencyKey,
          customerId: customer.id,
          orderId: order.id,
          text: `Your refund of ${money} for order ${order.id} is on its way (reference ${issued.refundId}).`,
        },
      ]),
    );
    return { refundId: issued.refundId, messageId: message.messageId };
  });

  if (outcome.ok) {
    setStage(SagaStage.completed);
    return { outcome: 'completed', requestId: request.requestId, ...outcome.value };
  }
  setStage(SagaStage.compensated);
  return { outcome: 'compensated', requestId: request.requestId, failure: outcome.failure };
}
