// The orders the recording systems' payments knows, for tests that run workflows without the
// stand-in HTTP systems. A refund reads its order from payments before policy decides, so a
// test request's order must be registered here first: `refundRequest()` does it by default.
import type { OrderRecord } from '../../common/refund-schemas';
import type { RefundRequest } from '../../common/refund-schemas';

const orders = new Map<string, OrderRecord>();

export function registerTestOrder(order: Omit<OrderRecord, 'refunded' | 'reserved'> & Partial<Pick<OrderRecord, 'refunded' | 'reserved'>>): void {
  orders.set(order.orderId, { refunded: 0, reserved: 0, ...order });
}

/** The order exactly as the request describes it: what an honest caller's request looks like. */
export function registerOrderOf(request: RefundRequest): void {
  registerTestOrder({ orderId: request.order.id, amount: request.order.amount, currency: request.order.currency, customerId: request.customer.id });
}

export function testOrder(orderId: string): OrderRecord | null {
  return orders.get(orderId) ?? null;
}

/** Registers the order with the stand-in payments over HTTP, as any caller of Arbiter does. */
export async function registerSandboxOrder(sandboxUrl: string, order: OrderRecord): Promise<void> {
  const { orderId, amount, currency, customerId } = order;
  const response = await fetch(`${sandboxUrl}/payments/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId, amount, currency, customerId }),
  });
  if (!response.ok) throw new Error(`payments refused order ${orderId}: HTTP ${response.status} ${await response.text()}`);
}

/** Registers the request's order, as the request describes it, with the stand-in payments at `sandboxUrl`. */
export function registerRequestOrder(sandboxUrl: string, request: RefundRequest): Promise<void> {
  return registerSandboxOrder(sandboxUrl, {
    orderId: request.order.id,
    amount: request.order.amount,
    currency: request.order.currency,
    customerId: request.customer.id,
    refunded: 0,
    reserved: 0,
  });
}

/**
 * The integration activities with `getOrder` registering the test's order (see refundRequest())
 * with the stand-in payments just before the refund reads it, as a shop registers an order at checkout.
 */
export function registeringOrders<A extends { getOrder(input: { orderId: string }): Promise<OrderRecord | null> }>(activities: A, sandboxUrl: string): A {
  return {
    ...activities,
    async getOrder(input: { orderId: string }) {
      const order = testOrder(input.orderId);
      if (order) await registerSandboxOrder(sandboxUrl, order);
      return activities.getOrder(input);
    },
  };
}
