// The orders the recording systems' payments knows, for tests that run workflows without the
// stand-in HTTP systems. A refund reads its order from payments before policy decides, so a
// test request's order must be registered here first: `refundRequest()` does it by default.
import { orderOfRequest, registerStandInOrder } from '../../standins/order-client';
import type { OrderRecord } from '../../common/refund-schemas';
import type { RefundRequest } from '../../common/refund-schemas';

const orders = new Map<string, OrderRecord>();

export function registerTestOrder(order: Omit<OrderRecord, 'refunded' | 'reserved'> & Partial<Pick<OrderRecord, 'refunded' | 'reserved'>>): void {
  orders.set(order.orderId, { refunded: 0, reserved: 0, ...order });
}

/** The order exactly as the request describes it: what an honest caller's request looks like. */
export function registerOrderOf(request: RefundRequest): void {
  registerTestOrder(orderOfRequest(request));
}

export function testOrder(orderId: string): OrderRecord | null {
  return orders.get(orderId) ?? null;
}

/** Registers the request's order, as the request describes it, with the stand-in payments at `standInsUrl`. */
export function registerRequestOrder(standInsUrl: string, request: RefundRequest): Promise<void> {
  return registerStandInOrder(standInsUrl, orderOfRequest(request));
}

/**
 * The integration activities with `getOrder` registering the test's order (see refundRequest())
 * with the stand-in payments just before the refund reads it, as a shop registers an order at checkout.
 */
export function registeringOrders<A extends { getOrder(input: { orderId: string }): Promise<OrderRecord | null> }>(activities: A, standInsUrl: string): A {
  return {
    ...activities,
    async getOrder(input: { orderId: string }) {
      const order = testOrder(input.orderId);
      if (order) await registerStandInOrder(standInsUrl, order);
      return activities.getOrder(input);
    },
  };
}
