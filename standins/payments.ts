// Stand-in payments system: funds reserved against an order, refunds issued against a
// reservation, and the inverse of each (release, reverse) for saga compensation.
import { randomUUID } from 'node:crypto';
import type { Reply } from './http';
import { reservationRefusal } from './orders';
import { effectRoute } from './routes';
import { emptyBodySchema, issueRefundBodySchema, reserveFundsBodySchema } from './schemas';

const notFound = (what: string, id: string): Reply => ({ status: 404, body: { error: `${what} ${id} not found` } });
const conflict = (error: string, field: string): Reply => ({ status: 409, body: { error, field } });

export const reserveFunds = effectRoute({
  template: '/payments/reservations',
  body: reserveFundsBodySchema,
  orderId: ({ body }) => body.orderId,
  run({ body, state }) {
    // Checked and reserved with no await in between, so a concurrent reservation sees this one.
    const refusal = reservationRefusal(state, body.orderId, body.amount, body.currency);
    if (refusal) return refusal;
    const reservation = {
      reservationId: `rsv_${randomUUID()}`,
      ...body,
      status: 'reserved' as const,
      reservedAt: new Date().toISOString(),
    };
    state.reservations.push(reservation);
    const { reservationId, orderId, amount, currency, status } = reservation;
    return { status: 201, body: { reservationId, orderId, amount, currency, status } };
  },
});

export const releaseFunds = effectRoute({
  template: '/payments/reservations/:reservationId/release',
  body: emptyBodySchema,
  orderId: ({ params, state }) => state.reservations.find((r) => r.reservationId === params.reservationId)?.orderId,
  run({ params, state }) {
    const reservationId = params.reservationId ?? '';
    const reservation = state.reservations.find((r) => r.reservationId === reservationId);
    if (!reservation) return notFound('reservation', reservationId);
    if (reservation.status === 'consumed') {
      return conflict(`reservation ${reservationId} was paid out by a refund; reverse the refund first`, 'reservationId');
    }
    // Releasing twice is a no-op by nature: the second call finds it released already.
    if (reservation.status === 'reserved') {
      reservation.status = 'released';
      reservation.releasedAt = new Date().toISOString();
    }
    return { status: 200, body: { reservationId, status: 'released' } };
  },
});

export const issueRefund = effectRoute({
  template: '/payments/refunds',
  body: issueRefundBodySchema,
  orderId: ({ body }) => body.orderId,
  run({ body, state }) {
    const reservation = state.reservations.find((r) => r.reservationId === body.reservationId);
    if (!reservation) return notFound('reservation', body.reservationId);
    if (reservation.status !== 'reserved') {
      return conflict(`reservation ${reservation.reservationId} is ${reservation.status}, not reserved`, 'reservationId');
    }
    if (reservation.orderId !== body.orderId) return conflict('reservation belongs to another order', 'orderId');
    if (reservation.currency !== body.currency) return conflict('currency differs from the reservation', 'currency');
    if (body.amount > reservation.amount) return conflict('amount exceeds the reserved amount', 'amount');
    const refund = {
      refundId: `rfd_${randomUUID()}`,
      ...body,
      status: 'issued' as const,
      issuedAt: new Date().toISOString(),
    };
    state.refunds.push(refund);
    reservation.status = 'consumed';
    const { refundId, reservationId, orderId, amount, currency, status } = refund;
    return { status: 201, body: { refundId, reservationId, orderId, amount, currency, status } };
  },
});

export const reverseRefund = effectRoute({
  template: '/payments/refunds/:refundId/reverse',
  body: emptyBodySchema,
  orderId: ({ params, state }) => state.refunds.find((r) => r.refundId === params.refundId)?.orderId,
  run({ params, state }) {
    const refundId = params.refundId ?? '';
    const refund = state.refunds.find((r) => r.refundId === refundId);
    if (!refund) return notFound('refund', refundId);
    if (refund.status === 'issued') {
      refund.status = 'reversed';
      refund.reversedAt = new Date().toISOString();
      // The money is back on the reservation, which the saga's next compensation releases.
      const reservation = state.reservations.find((r) => r.reservationId === refund.reservationId);
      if (reservation?.status === 'consumed') reservation.status = 'reserved';
    }
    return { status: 200, body: { refundId, status: 'reversed' } };
  },
});

export const paymentRoutes = [reserveFunds, releaseFunds, issueRefund, reverseRefund];
