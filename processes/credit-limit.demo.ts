// The credit limit in `npm run demo`: a small raise on its own, a larger one a credit manager
// approves and a late payer's that policy denies, each checked against the stand-in ERP.
import type { CreditLimitRequest, CreditLimitResult, CreditRecord } from '../common/credit-limit-schemas';
import { registerStandInCreditCustomer } from '../standins/erp-client';
import { approve, type DemoPlan, type DemoScenario } from './demo-plan';

interface CreditScenario extends Omit<DemoScenario<CreditLimitRequest, CreditLimitResult>, 'check'> {
  /** The customer as the ERP holds them before the run. */
  record: CreditRecord;
  /** The customer's limit in the stand-in ERP afterwards. */
  expectedLimit: number;
}

export function demoPlan(runTag: string): DemoPlan<CreditLimitRequest, CreditLimitResult> {
  const customer = (n: number, requestedLimit: number, daysPastDue: number): Pick<CreditScenario, 'request' | 'record'> => {
    const customerId = `B2B-${runTag}-${n}`;
    return {
      request: {
        requestId: `demo-${runTag}-c${n}`,
        tenant: 'acme',
        customerId,
        region: 'eu',
        requestedLimit,
        currency: 'EUR',
        reason: 'Seasonal orders ahead; we would like more headroom.',
        requestedBy: 'sales-desk',
      },
      record: { customerId, creditLimit: 20_000, currency: 'EUR', exposure: 12_000, daysPastDue, accountManager: 'am-lena' },
    };
  };
  const scenarios: CreditScenario[] = [
    { title: 'credit limit: 20,000 to 21,000, on its own', ...customer(1, 21_000, 0), expected: 'completed', expectedLimit: 21_000 },
    {
      title: 'credit limit: 20,000 to 30,000, a credit manager approves',
      ...customer(2, 30_000, 0),
      expected: 'completed',
      expectedLimit: 30_000,
      approvals: [approve('cm-ines', 'credit-manager')],
    },
    { title: 'credit limit: 75 days past due, policy denies', ...customer(3, 21_000, 75), expected: 'denied', expectedLimit: 20_000 },
  ];
  return {
    scenarios: scenarios.map(({ record, expectedLimit, ...scenario }) => ({
      ...scenario,
      check: (_result, standIns) => {
        const limit = standIns.creditCustomers.find((c) => c.customerId === record.customerId)?.creditLimit;
        return { ok: limit === expectedLimit, netEffect: `limit now ${limit ?? '-'} EUR` };
      },
    })),
    // The ERP knows each customer's credit standing: the credit agent and policy read it from there.
    async setUp(standInsUrl) {
      await Promise.all(scenarios.map((s) => registerStandInCreditCustomer(standInsUrl, s.record)));
      return `registered ${scenarios.length} customers with the ERP (their credit standing)`;
    },
  };
}
