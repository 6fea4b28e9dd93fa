// The refund process. The triage agent proposes a refund, the pinned policy decides (auto,
// approval, or deny), people approve where policy says so, then the saga reserves the funds,
// issues the refund, records it on the CRM case and tells the customer in a reply a model
// drafts (and the workflow checks). A failure or a cancel before the message releases the funds,
// reverses the refund and restores the case, in reverse; the message itself is the pivot.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities';
import { FUNDS_UNAVAILABLE } from '../common/error-types';
import {
  orderRecordSchema,
  refundRequestSchema,
  submittedProposalSchema,
  type OrderRecord,
  type RefundRequest,
  type RefundResult,
} from '../common/refund-schemas';
import { systemReadLocalActivity } from './activity-options';
import { draftCustomerReply } from './customer-reply';
import { parseWorkflowInput } from './input';
import { differingOrderFields, refundFacts } from './refund-facts';
import { runProcess, type ProcessRun } from './process-run';
import { runHas } from './run-markers';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';
export { approvalDecisionSignal, approvalQuery, decideUpdate } from './approval';
export { setAiEnabledSignal, submitProposalSignal } from './proposal';
export { explainQuery } from './trace';

const systemReads = proxyLocalActivities<Pick<IntegrationActivities, 'getOrder'>>(systemReadLocalActivity);

/** `carried` is for Temporal's continue-as-new only (workflows/carried-run.ts): a start that passes it fails. */
export async function refund(rawRequest: RefundRequest, carried?: unknown): Promise<RefundResult> {
  const request = parseWorkflowInput(refundRequestSchema, rawRequest, 'refund request');
  // Asked before any await, so the markers land in the run's first workflow task.
  const reads = { order: runHas('readsOrder'), locally: runHas('readsOrderLocally') };
  const { order: orderClaim } = request;
  const startedSummary = `refund requested for order ${orderClaim.id} (${orderClaim.amount} ${orderClaim.currency})`;
  const firstRead = () => systemReads.getOrder({ orderId: orderClaim.id });
  return runProcess<RefundResult>({ process: 'refund', requestId: request.requestId, request, tenant: request.tenant, requestedBy: request.requestedBy, startedSummary, carried, firstRead }, async (run) => {
    // 1. The order as payments records it: policy decides on this, never on what the request claims.
    const order = await recordedOrder(run, request, reads);
    const differing = differingOrderFields(request, order);
    if (differing.length) run.note(`the request's ${differing.join(', ')} differ(s) from payments' record of order ${order.orderId}`);
    const shown = { orderId: order.orderId, orderAmount: order.amount, ...(reads.order && { alreadyRefunded: order.refunded }), currency: order.currency };

    // 2. A proposal: from the triage agent while AI is on, else from a support agent.
    const obtained = await run.obtainProposal({
      submissionSchema: submittedProposalSchema,
      // The agent reads the recorded order too, not the claim.
      agent: {
        activity: run.models.proposeRefund,
        input: { ...request, order: { id: order.orderId, amount: order.amount, currency: order.currency } },
        region: request.customer.region,
        summary: 'triage the refund request',
        // The order and the customer payments recorded for it: never one a message or a note names.
        subjects: { orderId: [order.orderId], customerId: [reads.order ? order.customerId : request.customer.id] },
      },
      personCard: {
        title: `Propose a refund for order ${orderClaim.id}`,
        summary: `The customer paid ${order.amount} ${order.currency}${reads.order ? `, ${order.refunded} already refunded` : ''}. Their message: ${request.message}`,
        // A card's hash covers its parameters: runs from before the read show the card they showed.
        parameters: { ...shown, customerTier: request.customer.tier, region: request.customer.region },
      },
      objectsTo: (p) => (p.action === 'refund' ? undefined : `the agent proposed "${p.action}"`),
      describe: (p) => `${p.action} ${p.amount} ${p.currency} (${p.category}, confidence ${p.confidence})`,
    });
    const { proposal, by } = obtained;
    if (proposal.action !== 'refund') run.end({ outcome: 'rejected', reason: `${by} decided against a refund: ${proposal.rationale}` });

    // 3. Policy decides; 4. people approve where it says so.
    const decision = await run.decide(refundFacts(order, request, proposal, differing.length ? ['order-mismatch'] : []));
    await run.approve(decision, {
      title: `Refund ${proposal.amount} ${proposal.currency} on order ${order.orderId}`,
      summary: `${by} proposes a ${proposal.category} refund (confidence ${proposal.confidence}): ${proposal.rationale}`,
      parameters: {
        amount: proposal.amount,
        ...shown,
        currency: proposal.currency,
        // What the request claimed differently from payments' record, so the approver sees why it was flagged.
        ...(differing.length && { differsFromPayments: differing.join(', ') }),
        customerTier: request.customer.tier,
        region: request.customer.region,
        category: proposal.category,
        proposedBy: by,
      },
    });

    // 5. The saga: every step undone in reverse if a later one fails, up to the customer message.
    // The customer payments recorded for the order, not the one the request names.
    const customerId = reads.order ? order.customerId : request.customer.id;
    const outcome = await refundSaga(run, request, order, proposal.amount, customerId);
    const money = `${proposal.amount} ${order.currency}`;
    if (outcome.ok) return { outcome: 'completed', reason: `refunded ${money} (${decision.reason})`, amount: proposal.amount, ...outcome.value };
    if (outcome.failure.step === 'reserve-funds' && outcome.failure.error.type === FUNDS_UNAVAILABLE) {
      // Payments refused the reservation (another refund on the order got there first): nothing
      // was reserved, so nothing is half-done.
      return { outcome: 'denied', reason: `payments refused the reservation: ${outcome.failure.error.message}` };
    }
    const reason = `step ${outcome.failure.step} failed (${outcome.failure.error.type}); earlier steps undone`;
    return { outcome: 'compensated', reason, amount: proposal.amount, failure: outcome.failure };
  });
}

/**
 * Payments' record of the order, or the end of the run when payments does not know it. Runs
 * started before the read existed replay without it (they decided on the claim; payments still
 * refuses a reservation beyond what the order has left).
 */
async function recordedOrder(run: ProcessRun, request: RefundRequest, reads: { order: boolean; locally: boolean }): Promise<OrderRecord> {
  const { id, amount, currency } = request.order;
  if (!reads.order) return { orderId: id, amount, currency, customerId: request.customer.id, refunded: 0, reserved: 0 };
  // A read changes nothing, so it runs as a local activity of the workflow worker (one marker in
  // history instead of a scheduled activity and a workflow task of its own, six events), started
  // alongside the policy's pinning (the run options' `firstRead`).
  const answer = reads.locally ? await run.firstRead() : await run.systems.getOrder.executeWithOptions({ summary: `read order ${id} from payments` }, [{ orderId: id }]);
  const recorded = answer === null ? undefined : orderRecordSchema.safeParse(answer);
  if (recorded?.success && recorded.data.orderId === id) return recorded.data;
  const reason = recorded ? `payments answered a malformed record for order ${id}` : `order ${id} is not known to the payments system`;
  run.note(reason);
  return run.end({ outcome: 'denied', reason });
}

/** Reserve, refund, mark the case, then tell the customer: each step undone in reverse up to the message. */
function refundSaga(run: ProcessRun, request: RefundRequest, order: OrderRecord, amount: number, customerId: string) {
  const { saga, systems, undo } = run;
  const { orderId, currency } = order;
  const money = `${amount} ${currency}`;
  return saga.execute(async () => {
    const reservation = await saga.step(
      'reserve-funds',
      (idempotencyKey) => systems.reserveFunds.executeWithOptions({ summary: `reserve ${money} for order ${orderId}` }, [{ idempotencyKey, orderId, amount, currency }]),
      (r, idempotencyKey) => undo.releaseFunds.executeWithOptions({ summary: `release reservation ${r.reservationId}` }, [{ idempotencyKey, reservationId: r.reservationId }]),
    );
    const issued = await saga.step(
      'issue-refund',
      (idempotencyKey) =>
        systems.issueRefund.executeWithOptions({ summary: `refund ${money} on order ${orderId}` }, [
          { idempotencyKey, reservationId: reservation.reservationId, orderId, amount, currency },
        ]),
      (r, idempotencyKey) => undo.reverseRefund.executeWithOptions({ summary: `reverse refund ${r.refundId}` }, [{ idempotencyKey, refundId: r.refundId }]),
    );
    await saga.step(
      'update-crm-case',
      (idempotencyKey) =>
        systems.updateCrmCase.executeWithOptions({ summary: `mark case of order ${orderId} refunded` }, [
          { idempotencyKey, orderId, status: 'refunded', note: `refund ${issued.refundId}: ${money}` },
        ]),
      (r, idempotencyKey) => undo.restoreCrmCase.executeWithOptions({ summary: `restore case of order ${orderId}` }, [{ idempotencyKey, orderId, previous: r.previous }]),
    );
    const { customer } = request;
    const text = await draftCustomerReply(
      { orderId, amount, currency, refundId: issued.refundId, customerTier: customer.tier, message: request.message },
      { tenant: request.tenant, region: customer.region, aiEnabled: run.aiEnabled, bundle: run.bundle, trace: run.trace, models: run.models },
    );
    const message = await saga.pivot('send-customer-reply', (idempotencyKey) =>
      systems.sendCustomerMessage.executeWithOptions({ summary: `tell customer about refund ${issued.refundId}` }, [{ idempotencyKey, customerId, orderId, text }]),
    );
    return { refundId: issued.refundId, messageId: message.messageId };
  });
}
