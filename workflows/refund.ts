// The refund process. The triage agent proposes a refund, the pinned policy decides (auto,
// approval, or deny), people approve where policy says so, then the saga reserves the funds,
// issues the refund, records it on the CRM case and tells the customer in a reply a model
// drafts (and the workflow checks). A failure or a cancel
// before the message releases the funds, reverses the refund and restores the case, in
// reverse; the message itself is the pivot.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities';
import { ArbiterCostUsd, ArbiterRiskTier, SagaStage } from '../common/constants';
import { FUNDS_UNAVAILABLE } from '../common/error-types';
import { toCents } from '../common/money';
import { draftCustomerReply } from './customer-reply';
import { askModels, estimateInputTokens } from './model-call';
import {
  orderRecordSchema,
  refundRequestSchema,
  submittedProposalSchema,
  type OrderRecord,
  type RefundProposal,
  type RefundRequest,
  type RefundResult,
} from '../common/refund-schemas';
import { evaluatePolicy, type Facts, type PolicyDecision } from '../policies/evaluate';
import { parseWorkflowInput } from './input';
import { startProcessRun } from './process-run';
import { systemReadLocalActivity } from './activity-options';
import { ProposalDesk, proposerOf } from './proposal';
import { runHas } from './run-markers';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';
export { approvalDecisionSignal, approvalQuery, decideUpdate } from './approval';
export { setAiEnabledSignal, submitProposalSignal } from './proposal';
export { explainQuery } from './trace';

const systemReads = proxyLocalActivities<Pick<IntegrationActivities, 'getOrder'>>(systemReadLocalActivity);

export async function refund(rawRequest: RefundRequest): Promise<RefundResult> {
  const request = parseWorkflowInput(refundRequestSchema, rawRequest, 'refund request');
  // Asked before any await, so the marker lands in the run's first workflow task.
  const readsOrder = runHas('readsOrder');
  const readsOrderLocally = runHas('readsOrderLocally');
  // 1. The run's machinery, and the policy pinned for the whole run.
  const run = await startProcessRun<RefundResult>({
    process: 'refund',
    requestId: request.requestId,
    request,
    tenant: request.tenant,
    requestedBy: request.requestedBy,
    startedSummary: `refund requested for order ${request.order.id} (${request.order.amount} ${request.order.currency})`,
  });
  const { attributes, saga, trace, audit, gate, bundle, systems, undo, models, cardBasics, finish } = run;

  // 2. The order as payments records it: policy decides on this, never on what the request claims.
  // Runs started before the read existed replay without it (they decided, or will, on the claim;
  // payments still refuses a reservation beyond what the order has left).
  let order: OrderRecord;
  if (readsOrder) {
    // A read changes nothing, so it runs as a local activity of the workflow worker: one marker in
    // history instead of a scheduled activity and a workflow task of its own (six events).
    const answer = readsOrderLocally
      ? await systemReads.getOrder({ orderId: request.order.id })
      : await systems.getOrder.executeWithOptions({ summary: `read order ${request.order.id} from payments` }, [{ orderId: request.order.id }]);
    const recorded = answer === null ? undefined : orderRecordSchema.safeParse(answer);
    if (!recorded?.success || recorded.data.orderId !== request.order.id) {
      const reason = recorded ? `payments answered a malformed record for order ${request.order.id}` : `order ${request.order.id} is not known to the payments system`;
      trace.note(reason);
      return finish({ outcome: 'denied', reason });
    }
    order = recorded.data;
  } else {
    order = { orderId: request.order.id, amount: request.order.amount, currency: request.order.currency, customerId: request.customer.id, refunded: 0, reserved: 0 };
  }
  const differing = differingOrderFields(request, order);
  const riskFlags = differing.length ? ['order-mismatch'] : [];
  if (differing.length) trace.note(`the request's ${differing.join(', ')} differ(s) from payments' record of order ${order.orderId}`);
  // The agent reads the recorded order too, not the claim.
  const facts = { ...request, order: { id: order.orderId, amount: order.amount, currency: order.currency } };

  // 3. A proposal: from the agent while AI is on, else from a person.
  const desk = new ProposalDesk({
    submissionSchema: submittedProposalSchema,
    aiEnabled: bundle.policy.ai.enabled,
    agent: bundle.policy.ai.agent,
    proposers: run.proposers,
    signatures: run.proposalSignatures,
    trace,
    audit,
    onAwaitingHuman: (why) =>
      gate.showProposalCard(
        {
          ...cardBasics,
          title: `Propose a refund for order ${request.order.id}`,
          summary: readsOrder
            ? `The customer paid ${order.amount} ${order.currency}, ${order.refunded} already refunded. Their message: ${request.message}`
            : `The customer paid ${order.amount} ${order.currency}. Their message: ${request.message}`,
          parameters: {
            orderId: order.orderId,
            orderAmount: order.amount,
            // A card's hash covers its parameters: runs from before the read show the card they showed.
            ...(readsOrder && { alreadyRefunded: order.refunded }),
            currency: order.currency,
            customerTier: request.customer.tier,
            region: request.customer.region,
          },
          reason: why,
          risk: 'medium',
        },
        [request.requestedBy],
        bundle.policy.manualProposalTimeout,
        run.proposerRoles,
      ),
  });
  run.setStage(SagaStage.proposing);
  const obtained = await desk.obtain(
    () =>
      askModels(
        {
          purpose: 'proposal',
          tenant: request.tenant,
          region: request.customer.region,
          estimatedInputTokens: estimateInputTokens(facts),
          invoke: (limits) =>
            models.proposeRefund.executeWithOptions({ summary: `triage the refund request via ${limits.candidates.map((c) => c.modelId).join(' > ')}` }, [
              { request: facts, personalFields: bundle.policy.ai.personalFields, ...limits },
            ]),
        },
        bundle,
        trace,
      ),
    (p) => (p.action === 'refund' ? undefined : `the agent proposed "${p.action}"`),
    bundle.policy.manualProposalTimeout,
  );
  if (obtained.source !== 'ai') gate.clearCard();
  attributes.note({ key: ArbiterCostUsd, value: trace.data.costs.totalUsd });
  if (obtained.source === 'none') return finish({ outcome: 'rejected', reason: obtained.reason });

  const proposal = obtained.proposal;
  run.recordProposal(obtained, `${proposal.action} ${proposal.amount} ${proposal.currency} (${proposal.category}, confidence ${proposal.confidence})`);
  if (proposal.action !== 'refund') {
    return finish({ outcome: 'rejected', reason: `${obtained.by} decided against a refund: ${proposal.rationale}` });
  }

  // 4. Policy decides. A person's proposal is a person's, whatever their id: someone else reviews it.
  const decision = evaluatePolicy(bundle, proposerOf(obtained, run.distinguishesPeople), refundFacts(order, request, proposal, riskFlags));
  trace.data.decisions.push(decision);
  attributes.note({ key: ArbiterRiskTier, value: riskTier(decision) });
  audit.record({
    type: 'policy.decided',
    actor: { kind: 'policy', id: bundle.ref },
    authority: `policy ${bundle.ref} rule ${decision.ruleId}`,
    summary: decision.reason,
    shown: { facts: decision.facts },
    changed: { outcome: decision.outcome },
  });
  await audit.flush();
  if (decision.outcome === 'deny') return finish({ outcome: 'denied', reason: decision.reason });

  // 5. People approve where policy says so.
  if (decision.outcome === 'approve' && decision.approval) {
    const excluded = [request.requestedBy, ...(obtained.source === 'human' ? [obtained.by] : [])];
    const draft = {
      ...cardBasics,
      title: `Refund ${proposal.amount} ${proposal.currency} on order ${order.orderId}`,
      summary: `${obtained.by} proposes a ${proposal.category} refund (confidence ${proposal.confidence}): ${proposal.rationale}`,
      parameters: {
        amount: proposal.amount,
        currency: proposal.currency,
        orderId: order.orderId,
        orderAmount: order.amount,
        ...(readsOrder && { alreadyRefunded: order.refunded }),
        // What the request claimed differently from payments' record, so the approver sees why it was flagged.
        ...(differing.length && { differsFromPayments: differing.join(', ') }),
        customerTier: request.customer.tier,
        region: request.customer.region,
        category: proposal.category,
        proposedBy: obtained.by,
      },
      reason: decision.reason,
      ruleId: decision.ruleId,
      risk: riskTier(decision),
    } as const;
    const approval = await gate.request(decision.approval, excluded, draft, `policy ${bundle.ref} rule ${decision.ruleId}`);
    await audit.flush();
    if (approval.status === 'rejected' || approval.status === 'expired-rejected') {
      const who = approval.decisions.find((d) => d.decision === 'reject')?.approverId;
      return finish({ outcome: 'rejected', reason: who ? `rejected by ${who}` : `no decision within ${decision.approval.expireAfter}: auto-rejected` });
    }
  }

  // 6. The saga: every step undone in reverse if a later one fails, up to the customer message.
  const { customer } = request;
  const amount = proposal.amount;
  const money = `${amount} ${order.currency}`;
  const outcome = await saga.execute(async () => {
    const reservation = await saga.step(
      'reserve-funds',
      (idempotencyKey) =>
        systems.reserveFunds.executeWithOptions({ summary: `reserve ${money} for order ${order.orderId}` }, [
          { idempotencyKey, orderId: order.orderId, amount, currency: order.currency },
        ]),
      (r, idempotencyKey) =>
        undo.releaseFunds.executeWithOptions({ summary: `release reservation ${r.reservationId}` }, [
          { idempotencyKey, reservationId: r.reservationId },
        ]),
    );
    const issued = await saga.step(
      'issue-refund',
      (idempotencyKey) =>
        systems.issueRefund.executeWithOptions({ summary: `refund ${money} on order ${order.orderId}` }, [
          { idempotencyKey, reservationId: reservation.reservationId, orderId: order.orderId, amount, currency: order.currency },
        ]),
      (r, idempotencyKey) =>
        undo.reverseRefund.executeWithOptions({ summary: `reverse refund ${r.refundId}` }, [{ idempotencyKey, refundId: r.refundId }]),
    );
    await saga.step(
      'update-crm-case',
      (idempotencyKey) =>
        systems.updateCrmCase.executeWithOptions({ summary: `mark case of order ${order.orderId} refunded` }, [
          { idempotencyKey, orderId: order.orderId, status: 'refunded', note: `refund ${issued.refundId}: ${money}` },
        ]),
      (r, idempotencyKey) =>
        undo.restoreCrmCase.executeWithOptions({ summary: `restore case of order ${order.orderId}` }, [
          { idempotencyKey, orderId: order.orderId, previous: r.previous },
        ]),
    );
    const text = await draftCustomerReply(
      { orderId: order.orderId, amount, currency: order.currency, refundId: issued.refundId, customerTier: customer.tier, message: request.message },
      { tenant: request.tenant, region: customer.region, aiEnabled: desk.isAiEnabled, bundle, trace, models },
    );
    const message = await saga.pivot('send-customer-reply', (idempotencyKey) =>
      systems.sendCustomerMessage.executeWithOptions({ summary: `tell customer about refund ${issued.refundId}` }, [
        // The customer payments recorded for the order, not the one the request names.
        { idempotencyKey, customerId: readsOrder ? order.customerId : customer.id, orderId: order.orderId, text },
      ]),
    );
    return { refundId: issued.refundId, messageId: message.messageId };
  });

  if (outcome.ok) {
    return finish({ outcome: 'completed', reason: `refunded ${money} (${decision.reason})`, amount, ...outcome.value });
  }
  if (outcome.failure.step === 'reserve-funds' && outcome.failure.error.type === FUNDS_UNAVAILABLE) {
    // Payments refused the reservation (another refund on the order got there first): nothing
    // was reserved, so nothing is half-done.
    return finish({ outcome: 'denied', reason: `payments refused the reservation: ${outcome.failure.error.message}` });
  }
  return finish({
    outcome: 'compensated',
    reason: `step ${outcome.failure.step} failed (${outcome.failure.error.type}); earlier steps undone`,
    amount,
    failure: outcome.failure,
  });
}

/** The facts policy rules test: the order's from payments' record, the rest from the request and the proposal. */
export function refundFacts(order: OrderRecord, request: RefundRequest, proposal: RefundProposal, riskFlags: string[]): Facts {
  return {
    amount: proposal.amount,
    currency: proposal.currency,
    orderAmount: order.amount,
    orderCurrency: order.currency,
    alreadyRefunded: order.refunded,
    customerTier: request.customer.tier,
    region: request.customer.region,
    confidence: proposal.confidence,
    riskFlags,
  };
}

/** What the request claims about the order differently from what payments recorded: amount, currency, customer. */
export function differingOrderFields(request: RefundRequest, order: OrderRecord): string[] {
  return [
    ...(toCents(request.order.amount) !== toCents(order.amount) ? ['amount'] : []),
    ...(request.order.currency !== order.currency ? ['currency'] : []),
    ...(request.customer.id !== order.customerId ? ['customer'] : []),
  ];
}

function riskTier(decision: PolicyDecision): 'low' | 'medium' | 'high' {
  if (decision.outcome === 'auto') return 'low';
  if (decision.outcome === 'deny' || (decision.approval?.approvals ?? 1) > 1) return 'high';
  return 'medium';
}
