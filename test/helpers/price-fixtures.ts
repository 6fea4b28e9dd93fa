// Price-change requests for tests: valid by default, each with its own ids and SKUs.
import { randomUUID } from 'node:crypto';
import type { PriceChangeRequest } from '../../common/price-change-schemas';

/** A request for `skus` (ids get a unique suffix unless they already carry one) at 100 EUR each. */
export function priceChangeRequest(brief: string, skus: string[] = ['SKU-A', 'SKU-B'], overrides: Partial<PriceChangeRequest> = {}): PriceChangeRequest {
  const id = randomUUID().slice(0, 8);
  return {
    requestId: `pc-${id}`,
    tenant: 'acme',
    region: 'eu',
    channels: ['web', 'marketplace'],
    skus: skus.map((sku) => ({ sku: `${sku}-${id}`, currentPrice: 100, currency: 'EUR' })),
    brief,
    requestedBy: 'merch-ann',
    ...overrides,
  };
}
