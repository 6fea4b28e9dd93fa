// Payments ledger activities: reserve and release funds, issue and reverse refunds.
import { createSystemClient, type SystemClientOptions } from './system-client';

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
  return {
    async reserveFunds(input: { idempotencyKey: string; orderId: string; amount: number; currency: string }): Promise<Reservation> {
      const { idempotencyKey, ...body } = input;
      return post<Reservation>('/payments/reservations', body, idempotencyKey);
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
