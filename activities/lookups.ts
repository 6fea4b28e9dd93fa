// Clients for the reads an agent makes while it investigates: the payments record of an order, a
// customer's recent refunds, an order's CRM case notes, a SKU's weekly sales and competitors'
// prices. Every answer is checked against its schema: what a system says is data to verify.
import { ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import { INVALID_SYSTEM_ANSWER } from '../common/error-types';
import {
  caseNotesSchema,
  competitorPricesSchema,
  orderRecordSchema,
  refundHistorySchema,
  skuSalesSchema,
  type CaseNotes,
  type CompetitorPrices,
  type OrderRecord,
  type RefundHistory,
  type SkuSales,
} from '../common/lookup-schemas';
import { describeIssues } from '../common/validation';
import { createSystemReader, type SystemClientOptions } from './system-client';

export interface LookupDeps {
  paymentsUrl: string;
  crmUrl: string;
  catalogUrl: string;
  fetch?: SystemClientOptions['fetch'];
  requestTimeoutMs?: number;
}

export interface LookupClient {
  /** null when payments does not know the order. */
  getOrder(orderId: string, idempotencyKey?: string): Promise<OrderRecord | null>;
  getRefundHistory(customerId: string, days?: number, idempotencyKey?: string): Promise<RefundHistory>;
  getCaseNotes(orderId: string, idempotencyKey?: string): Promise<CaseNotes>;
  getSales(sku: string, weeks?: number, idempotencyKey?: string): Promise<SkuSales>;
  getCompetitorPrices(sku: string, idempotencyKey?: string): Promise<CompetitorPrices>;
}

export function createLookupClient(deps: LookupDeps): LookupClient {
  const options = { fetch: deps.fetch, requestTimeoutMs: deps.requestTimeoutMs };
  const payments = createSystemReader({ system: 'Payments', baseUrl: deps.paymentsUrl, ...options });
  const crm = createSystemReader({ system: 'Crm', baseUrl: deps.crmUrl, ...options });
  const catalog = createSystemReader({ system: 'Catalog', baseUrl: deps.catalogUrl, ...options });
  const id = encodeURIComponent;
  const query = (name: string, value: number | undefined) => (value === undefined ? '' : `?${name}=${value}`);

  return {
    async getOrder(orderId, key) {
      const answer = await payments<unknown>(`/payments/orders/${id(orderId)}`, key);
      return answer === undefined ? null : checked('Payments', orderRecordSchema, answer);
    },
    async getRefundHistory(customerId, days, key) {
      return checked('Payments', refundHistorySchema, await payments<unknown>(`/payments/customers/${id(customerId)}/refunds${query('days', days)}`, key));
    },
    async getCaseNotes(orderId, key) {
      return checked('Crm', caseNotesSchema, await crm<unknown>(`/crm/cases/${id(orderId)}/notes`, key));
    },
    async getSales(sku, weeks, key) {
      return checked('Catalog', skuSalesSchema, await catalog<unknown>(`/catalog/skus/${id(sku)}/sales${query('weeks', weeks)}`, key));
    },
    async getCompetitorPrices(sku, key) {
      return checked('Catalog', competitorPricesSchema, await catalog<unknown>(`/catalog/skus/${id(sku)}/competitor-prices`, key));
    },
  };
}

/** A system that answers outside its contract is a defect there; asking again gets the same answer. */
function checked<S extends z.ZodType>(system: string, schema: S, answer: unknown): z.infer<S> {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.nonRetryable(`${system} answered outside its contract: ${describeIssues(parsed.error)}`, INVALID_SYSTEM_ANSWER);
}
