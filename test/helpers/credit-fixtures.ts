// Credit-limit requests for tests, each with its own ids, and the customers' credit records: known
// to the recording systems' ERP here, and registered with the stand-in ERP over HTTP when asked.
import { randomUUID } from 'node:crypto';
import type { CreditLimitRequest, CreditRecord } from '../../common/credit-limit-schemas';
import { registerStandInCreditCustomer } from '../../standins/erp-client';

const records = new Map<string, CreditRecord>();

export function testCreditRecord(customerId: string): CreditRecord | null {
  return records.get(customerId) ?? null;
}

export interface CreditCase {
  request: CreditLimitRequest;
  record: CreditRecord;
}

/**
 * A customer with `record` (20,000 EUR limit, 12,000 exposure, on time by default) asking for
 * `requestedLimit`; the record is known to the recording systems at once.
 */
export function creditCase(requestedLimit: number, record: Partial<Omit<CreditRecord, 'customerId'>> = {}, overrides: Partial<CreditLimitRequest> = {}): CreditCase {
  const id = randomUUID().slice(0, 12);
  const customerId = `b2b-${id}`;
  const full: CreditRecord = { customerId, creditLimit: 20_000, currency: 'EUR', exposure: 12_000, daysPastDue: 0, accountManager: 'am-lena', ...record };
  records.set(customerId, full);
  const request: CreditLimitRequest = {
    requestId: `cl-${id}`,
    tenant: 'acme',
    customerId,
    region: 'eu',
    requestedLimit,
    currency: 'EUR',
    reason: 'Seasonal orders ahead; we would like more headroom.',
    requestedBy: 'sales-omar',
    ...overrides,
  };
  return { request, record: full };
}

/**
 * The integration activities with `getCreditRecord` registering the test's customer (see
 * creditCase()) with the stand-in ERP just before the workflow reads it, as the real ERP would hold it.
 */
export function registeringCreditCustomers<A extends { getCreditRecord(input: { customerId: string }): Promise<CreditRecord | null> }>(activities: A, standInsUrl: string): A {
  return {
    ...activities,
    async getCreditRecord(input: { customerId: string }) {
      const record = testCreditRecord(input.customerId);
      if (record) await registerStandInCreditCustomer(standInsUrl, record);
      return activities.getCreditRecord(input);
    },
  };
}
