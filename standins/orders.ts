// Stand-in payments system, the orders it knows: what was paid, in which currency, by whom.
// A refund reads its facts from here, never from what the request claims; and a reservation
// may not take more than what is still refundable, so two refunds racing on one order cannot
// both pass.
import type { IncomingMessage } from 'node:http';
import { toCents } from '../common/money';
import type { OrderRecord } from '../common/refund-schemas';
import { firstIssuePath } from '../common/validation';
import { badRequest, parseJson, readBody, type Reply } from './http';
import type { HttpRoute, PathParams } from './routes';
import { registerOrderBodySchema, type Order, type StandInState } from './schemas';
import type { StateStore } from './store';

/** What `GET /payments/orders/:orderId` answers: the order and where its money stands now. */
export function orderStanding(state: StandInState, orderId: string): OrderRecord | undefined {
  const order = state.orders.find((o) => o.orderId === orderId);
  if (!order) return undefined;
  const refundedCents = state.refunds
    .filter((r) => r.orderId === orderId && r.status === 'issued')
    .reduce((sum, r) => sum + toCents(r.amount), 0);
  const reservedCents = state.reservations
    .filter((r) => r.orderId === orderId && r.status === 'reserved')
    .reduce((sum, r) => sum + toCents(r.amount), 0);
  const { amount, currency, customerId } = order;
  return { orderId, amount, currency, customerId, refunded: refundedCents / 100, reserved: reservedCents / 100 };
}

/** Why a reservation of `amount` on this order must be refused, or undefined when it fits. */
export function reservationRefusal(state: StandInState, orderId: string, amount: number, currency: string): Reply | undefined {
  const standing = orderStanding(state, orderId);
  if (!standing) return { status: 404, body: { error: `order ${orderId} is not known to payments`, field: 'orderId', code: 'unknown-order' } };
  if (standing.currency !== currency) {
    return { status: 409, body: { error: `order ${orderId} was paid in ${standing.currency}`, field: 'currency', code: 'currency-mismatch' } };
  }
  const refundableCents = toCents(standing.amount) - toCents(standing.refunded) - toCents(standing.reserved);
  if (toCents(amount) > refundableCents) {
    return {
      status: 409,
      body: {
        error: `reserving ${amount} ${currency} would exceed what order ${orderId} still has refundable (${refundableCents / 100} ${currency})`,
        field: 'amount',
        code: 'exceeds-refundable',
      },
    };
  }
  return undefined;
}

function sameOrder(a: Order, b: Omit<Order, 'registeredAt'>): boolean {
  return a.amount === b.amount && a.currency === b.currency && a.customerId === b.customerId;
}

export function orderRoutes(store: StateStore): HttpRoute[] {
  return [
    {
      // Registering is idempotent by nature (the same order twice is one order), so it needs no
      // Idempotency-Key; different data under a known order id is refused, never overwritten.
      method: 'POST',
      template: '/payments/orders',
      async handle(req: IncomingMessage) {
        const parsed = registerOrderBodySchema.safeParse(parseJson(await readBody(req)));
        if (!parsed.success) {
          const field = firstIssuePath(parsed.error);
          throw badRequest(`${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, field);
        }
        const order = parsed.data;
        const known = store.state.orders.find((o) => o.orderId === order.orderId);
        if (known && !sameOrder(known, order)) {
          const field = (['amount', 'currency', 'customerId'] as const).find((f) => known[f] !== order[f]) ?? 'orderId';
          return { reply: { status: 409, body: { error: `order ${order.orderId} is registered with another ${field}`, field } } };
        }
        if (!known) {
          store.state.orders.push({ ...order, registeredAt: new Date().toISOString() });
          await store.save();
        }
        return { reply: { status: known ? 200 : 201, body: { ...orderStanding(store.state, order.orderId) } } };
      },
    },
    {
      method: 'GET',
      template: '/payments/orders/:orderId',
      async handle(_req: IncomingMessage, params: PathParams) {
        const orderId = params.orderId ?? '';
        const standing = orderStanding(store.state, orderId);
        if (!standing) return { reply: { status: 404, body: { error: `order ${orderId} is not known to payments`, field: 'orderId' } } };
        return { reply: { status: 200, body: { ...standing } } };
      },
    },
  ];
}
