// Refund requests for tests: valid by default, each with its own ids.
import { randomUUID } from 'node:crypto';
import type { RefundRequest } from '../../common/refund-schemas';

export function refundRequest(overrides: Partial<RefundRequest> = {}): RefundRequest {
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
