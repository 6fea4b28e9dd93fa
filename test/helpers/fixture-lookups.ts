// The look-ups an investigating agent makes, answered from the tests' own fixtures instead of the
// stand-in systems: the order a test registered (payments-record.ts), no earlier refunds, no case
// notes, flat sales. For workflow tests whose integrations are in memory (recording-systems.ts).
import type { LookupClient } from '../../activities/lookups';
import { testOrder } from './payments-record';

export function fixtureLookups(): LookupClient {
  return {
    async getOrder(orderId) {
      return testOrder(orderId);
    },
    async getRefundHistory(customerId, days = 90) {
      return { customerId, days, refunds: [] };
    },
    async getCaseNotes(orderId) {
      return { orderId, caseId: null, status: null, notes: [] };
    },
    async getSales(sku, weeks = 8) {
      return { sku, weeks: Array.from({ length: weeks }, (_, i) => ({ weekStarting: `2026-10-${String(1 + i).padStart(2, '0')}`, units: 40 })) };
    },
    async getCompetitorPrices(sku) {
      return { sku, currency: 'EUR', ownPrice: null, competitors: [] };
    },
  };
}
