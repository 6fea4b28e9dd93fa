// ERP activities: read a customer's credit record, set their credit limit, and put back the limit
// a change replaced.
import type { CreditRecord } from '../common/credit-limit-schemas';
import { createSystemClient, createSystemReader, type SystemClientOptions } from './system-client';

export interface AppliedCreditLimit {
  changeId: string;
  customerId: string;
  previousLimit: number;
  newLimit: number;
  currency: string;
}

export interface ErpDeps {
  baseUrl: string;
  fetch?: SystemClientOptions['fetch'];
}

export function createErpActivities(deps: ErpDeps) {
  const post = createSystemClient({ system: 'Erp', ...deps });
  const get = createSystemReader({ system: 'Erp', ...deps });
  return {
    /** The customer's credit record, or null when the ERP does not know them. A read: no key needed. */
    async getCreditRecord(input: { customerId: string }): Promise<CreditRecord | null> {
      return (await get<CreditRecord>(`/erp/customers/${encodeURIComponent(input.customerId)}`)) ?? null;
    },
    /**
     * `expectedLimit` is the limit policy decided on: the ERP refuses (ErpRejected) when the
     * customer has another limit by now, rather than apply a change nobody approved for it.
     */
    async setCreditLimit(input: {
      idempotencyKey: string;
      customerId: string;
      newLimit: number;
      currency: string;
      expectedLimit: number;
    }): Promise<AppliedCreditLimit> {
      const { idempotencyKey, customerId, ...body } = input;
      return post<AppliedCreditLimit>(`/erp/customers/${encodeURIComponent(customerId)}/credit-limit`, body, idempotencyKey);
    },
    /** The inverse of setCreditLimit: the customer goes back to the limit the change replaced. */
    async restoreCreditLimit(input: { idempotencyKey: string; changeId: string }): Promise<void> {
      await post(`/erp/credit-limit-changes/${encodeURIComponent(input.changeId)}/restore`, {}, input.idempotencyKey);
    },
  };
}
