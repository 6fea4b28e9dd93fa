// How a caller of Arbiter registers an order with the stand-in payments, as a shop does at
// checkout: the demo, the bench and the tests all go through this one call.
import type { OrderRecord, RefundRequest } from '../common/refund-schemas';

export type OrderRegistration = Pick<OrderRecord, 'orderId' | 'amount' | 'currency' | 'customerId'>;

/** Registers the order; the same order again is a no-op, a different one under its id is refused. */
export async function registerStandInOrder(paymentsUrl: string, { orderId, amount, currency, customerId }: OrderRegistration): Promise<void> {
  const response = await fetch(`${paymentsUrl.replace(/\/$/, '')}/payments/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId, amount, currency, customerId }),
  });
  if (!response.ok) throw new Error(`payments refused order ${orderId}: HTTP ${response.status} ${await response.text()}`);
}

/** The order exactly as a refund request describes it: what an honest caller registered at checkout. */
export function orderOfRequest(request: RefundRequest): OrderRegistration {
  return { orderId: request.order.id, amount: request.order.amount, currency: request.order.currency, customerId: request.customer.id };
}
