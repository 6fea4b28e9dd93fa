// The shipped credit-limit policy at every boundary it draws (5,000 and 10% auto, 50,000, the
// 250,000 ceiling, 60 days past due), with facts computed the way the workflow computes them, and
// its two approval stages.
import path from 'node:path';
import { creditLimitFacts, increasePercent, type ApprovalStage, type CreditRecord } from '../common/credit-limit-schemas';
import { checkPolicy } from '../policies/check';
import { evaluatePolicy, type Proposer } from '../policies/evaluate';
import { pinBundle, readPolicyFiles } from '../policies/load';

const POLICY_DIR = path.join(__dirname, '..', 'policies');
const bundle = pinBundle(readPolicyFiles(POLICY_DIR, 'credit-limit'));

function decide(
  currentLimit: number,
  newLimit: number,
  options: { daysPastDue?: number; confidence?: number; stage?: ApprovalStage; proposer?: Proposer; currency?: string } = {},
) {
  const record: CreditRecord = { customerId: 'b2b-1', creditLimit: currentLimit, currency: 'EUR', exposure: 1000, daysPastDue: options.daysPastDue ?? 0, accountManager: 'am-1' };
  const proposal = { newLimit, currency: options.currency ?? 'EUR', confidence: options.confidence ?? 0.8, rationale: 'test' };
  const decision = evaluatePolicy(bundle, options.proposer ?? 'credit-bot', creditLimitFacts(record, proposal, options.stage ?? 'credit-review'));
  return [decision.outcome, decision.ruleId, decision.approval?.approvals, decision.approval?.roles] as const;
}

test('loads, pins as credit-limit@1 and passes the policy checks without errors', () => {
  expect(bundle.ref).toBe('credit-limit@1');
  const errors = checkPolicy(readPolicyFiles(POLICY_DIR, 'credit-limit'), 'credit-limit.yaml').filter((i) => i.severity === 'error');
  expect(errors).toEqual([]);
});

test.each([
  ['5,000 and 10% exactly: on its own', 50_000, 55_000, ['auto', 'credit-limit-small', undefined, undefined]],
  ['10% but a cent above 5,000: one credit manager', 50_000.1, 55_000.11, ['approve', 'credit-limit-mid', 1, ['credit-manager']]],
  ['5,000 but above 10%: one credit manager', 20_000, 25_000, ['approve', 'credit-limit-mid', 1, ['credit-manager']]],
  ['50,000 exactly: one credit manager', 100_000, 150_000, ['approve', 'credit-limit-mid', 1, ['credit-manager']]],
  ['above 50,000: two credit managers', 100_000, 150_000.01, ['approve', 'credit-limit-large', 2, ['credit-manager']]],
  ['250,000 exactly is allowed', 190_000, 250_000, ['approve', 'credit-limit-large', 2, ['credit-manager']]],
  ['above 250,000 never', 240_000, 250_000.01, ['deny', 'credit-limit-at-most-250000', undefined, undefined]],
  ['a lower limit is not a raise', 20_000, 19_000, ['deny', 'credit-limit-raised', undefined, undefined]],
] as const)('%s', (_name, current, proposed, expected) => {
  expect(decide(current, proposed)).toEqual(expected);
});

test('60 days past due may still be raised; 61 never, whatever the increase', () => {
  expect(decide(20_000, 21_000, { daysPastDue: 60 })[0]).toBe('auto');
  expect(decide(20_000, 21_000, { daysPastDue: 61 })).toEqual(['deny', 'credit-days-past-due-within-60', undefined, undefined]);
});

test('a proposal in another currency than the ERP keeps is denied', () => {
  expect(decide(20_000, 21_000, { currency: 'USD' })[1]).toBe('credit-limit-in-record-currency');
});

test('after the credit managers, finance signs off above 50,000 only', () => {
  expect(decide(100_000, 150_000.01, { stage: 'finance-review' })).toEqual(['approve', 'credit-limit-finance-sign-off', 1, ['finance']]);
  expect(decide(100_000, 150_000, { stage: 'finance-review' })).toEqual(['auto', 'credit-limit-no-finance-sign-off', undefined, undefined]);
});

test("a person's small increase goes to a credit manager, as the policy's review of proposals", () => {
  const [outcome, ruleId, approvals, roles] = decide(20_000, 21_000, { proposer: { kind: 'person', id: 'ana' } });
  expect([outcome, ruleId, approvals, roles]).toEqual(['approve', 'credit-limit-small', 1, ['credit-manager']]);
});

test('the increase in percent is rounded up, so it never looks smaller than it is', () => {
  expect(increasePercent(30_000, 33_000.01)).toBe(10.01);
  expect(increasePercent(100, 110)).toBe(10);
  expect(increasePercent(0, 1)).toBe(100);
});
