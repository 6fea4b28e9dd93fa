// Refund requests for tests: valid by default, each with its own ids, and their orders known to
// the recording systems' payments record (pass `{ registered: false }` for an order payments never saw).
import { randomUUID } from 'node:crypto';
import type { RefundRequest } from '../../common/refund-schemas';
import { registerOrderOf } from './payments-record';

export function refundRequest(overrides: Partial<RefundRequest> = {}, options: { registered?: boolean } = {}): RefundRequest {
  const request = unregisteredRefundRequest(overrides);
  if (options.registered !== false) registerOrderOf(request);
  return request;
}

function unregisteredRefundRequest(overrides: Partial<RefundRequest>): RefundRequest {
  const id = randomUUID().slice(0, 12);
  return {
    requestId: `req-${id}`,
    tenant: 'acme',
    customer: { id: `cust-${id}`, tier: 'standard', region: 'eu' },
    order: { id: `ord-${id}`, amount: 40, currency: 'EUR' },
    message: 'The parcel arrived broken, please refund.',
    requestedBy: 'support-bot',
    ...overrides,
  };
}
