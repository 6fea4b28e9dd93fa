// How a caller of Arbiter puts a customer's credit record into the stand-in ERP, as the real ERP
// would already hold it: the demo, the history recorder and the tests all go through this one call.
import type { CreditRecord } from '../common/credit-limit-schemas';

/** Registers the record; the same record again is a no-op, a different one under its id is refused. */
export async function registerStandInCreditCustomer(erpUrl: string, record: CreditRecord): Promise<void> {
  const response = await fetch(`${erpUrl.replace(/\/$/, '')}/erp/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(record),
  });
  if (!response.ok) throw new Error(`the ERP refused customer ${record.customerId}: HTTP ${response.status} ${await response.text()}`);
}
