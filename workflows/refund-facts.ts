// What the refund's policy decides on, from payments' record of the order and the proposal: pure,
// so the refund workflow and the bench's floors under it (bench/workflows/floor-refund.ts) build
// the same facts without the refund's module graph.
import { toCents } from '../common/money';
import type { OrderRecord, RefundProposal, RefundRequest } from '../common/refund-schemas';
import type { Facts } from '../policies/evaluate';

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
