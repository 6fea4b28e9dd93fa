// Payments ledger activities: read an order, reserve and release funds, issue and reverse refunds.
import { ApplicationFailure } from '@temporalio/activity';
import { FUNDS_UNAVAILABLE } from '../common/error-types';
import type { OrderRecord } from '../common/refund-schemas';
import { createSystemClient, createSystemReader, type SystemClientOptions } from './system-client';

export interface Reservation {
  reservationId: string;
  orderId: string;
  amount: number;
  currency: string;
}
export interface IssuedRefund {
  refundId: string;
  reservationId: string;
  amount: number;
  currency: string;
}

export interface PaymentsDeps {
  baseUrl: string;
  fetch?: SystemClientOptions['fetch'];
}

export function createPaymentsActivities(deps: PaymentsDeps) {
  const post = createSystemClient({ system: 'Payments', ...deps });
  const get = createSystemReader({ system: 'Payments', ...deps });
  return {
    /** The order as payments records it, or null when payments does not know it. A read: no key needed. */
    async getOrder(input: { orderId: string }): Promise<OrderRecord | null> {
      return (await get<OrderRecord>(`/payments/orders/${encodeURIComponent(input.orderId)}`)) ?? null;
    },
    async reserveFunds(input: { idempotencyKey: string; orderId: string; amount: number; currency: string }): Promise<Reservation> {
      const { idempotencyKey, ...body } = input;
      try {
        return await post<Reservation>('/payments/reservations', body, idempotencyKey);
      } catch (err) {
        // More than the order has left (another refund got there first): a business answer the
        // refund turns into `denied`, not a fault to compensate.
        const code = err instanceof ApplicationFailure ? (err.details?.[0] as { code?: unknown } | undefined)?.code : undefined;
        if (code === 'exceeds-refundable' || code === 'unknown-order' || code === 'currency-mismatch') {
          throw ApplicationFailure.nonRetryable((err as Error).message, FUNDS_UNAVAILABLE, { code });
        }
        throw err;
      }
    },
    async releaseFunds(input: { idempotencyKey: string; reservationId: string }): Promise<void> {
      await post(`/payments/reservations/${encodeURIComponent(input.reservationId)}/release`, {}, input.idempotencyKey);
    },
    async issueRefund(input: {
      idempotencyKey: string;
      reservationId: string;
      orderId: string;
      amount: number;
      currency: string;
    }): Promise<IssuedRefund> {
      const { idempotencyKey, ...body } = input;
      return post<IssuedRefund>('/payments/refunds', body, idempotencyKey);
    },
    async reverseRefund(input: { idempotencyKey: string; refundId: string }): Promise<void> {
      await post(`/payments/refunds/${encodeURIComponent(input.refundId)}/reverse`, {}, input.idempotencyKey);
    },
  };
}
