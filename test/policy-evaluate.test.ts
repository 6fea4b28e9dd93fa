// The shipped refund policy, decided at every boundary it draws: the amount limits, the confidence
// floor, the invariants, and what an agent the policy does not list may do.
import path from 'node:path';
import { evaluatePolicy, type Facts } from '../policies/evaluate';
import { pinBundle, readPolicyFiles } from '../policies/load';

const bundle = pinBundle(readPolicyFiles(path.join(__dirname, '..', 'policies'), 'refund'));

/** A small, confident refund well inside its order: each test changes only what it is about. */
const baseFacts: Facts = {
  amount: 20,
  currency: 'EUR',
  orderAmount: 10_000,
  orderCurrency: 'EUR',
  alreadyRefunded: 0,
  customerTier: 'standard',
  region: 'eu',
  confidence: 0.9,
  riskFlags: [],
};

function decide(changes: Facts = {}, agent = 'support-bot') {
  return evaluatePolicy(bundle, agent, { ...baseFacts, ...changes });
}

describe('refund amount limits for the bounded support bot', () => {
  test.each([
    [50, 'auto', 'refund-small', undefined],
    [50.01, 'approve', 'refund-mid', { approvals: 1, roles: ['support-lead'] }],
    [1000, 'approve', 'refund-mid', { approvals: 1, roles: ['support-lead'] }],
    [1000.01, 'approve', 'refund-large', { approvals: 2, roles: ['finance'] }],
    [5000, 'approve', 'refund-large', { approvals: 2, roles: ['finance'] }],
    [5000.01, 'deny', 'refund-over-limit', undefined],
  ])('a refund of %p is decided %s by rule %s', (amount, outcome, ruleId, approval) => {
    const decision = decide({ amount });
    expect(decision).toMatchObject({ outcome, ruleId });
    if (approval) expect(decision.approval).toMatchObject(approval);
    else expect(decision.approval).toBeUndefined();
  });
});

describe('model confidence', () => {
  test('a confidence of 0.59 needs a support lead even for a 20 EUR refund', () => {
    const decision = decide({ confidence: 0.59 });
    expect(decision).toMatchObject({ outcome: 'approve', ruleId: 'refund-low-confidence' });
    expect(decision.approval).toMatchObject({ approvals: 1, roles: ['support-lead'] });
  });

  test('a confidence of 0.6 lets a 20 EUR refund run without approval', () => {
    expect(decide({ confidence: 0.6 })).toMatchObject({ outcome: 'auto', ruleId: 'refund-small' });
  });
});

describe('invariants', () => {
  test('a small refund above the order amount is denied by refund-within-order', () => {
    expect(decide({ amount: 20, orderAmount: 19.99 })).toMatchObject({ outcome: 'deny', ruleId: 'refund-within-order' });
  });

  test('a refund in a currency other than the order currency is denied', () => {
    expect(decide({ currency: 'USD' })).toMatchObject({ outcome: 'deny', ruleId: 'refund-in-order-currency' });
  });
});

describe('agents', () => {
  test('an agent the policy does not list needs the propose-only review even for 10 EUR', () => {
    const decision = decide({ amount: 10 }, 'unlisted-bot');
    expect(decision).toMatchObject({ outcome: 'approve', ruleId: 'refund-small', agentRights: 'propose-only' });
    expect(decision.approval).toEqual(bundle.policy.proposeOnlyReview);
  });
});

describe('the decision record', () => {
  test('explains a mid-size refund in one line naming amount, limit, approvers and rule', () => {
    expect(decide({ amount: 740 }).reason).toBe(
      'refund 740 EUR > 50 auto limit for bounded agents: needs 1 support-lead approval (rule refund-mid)',
    );
  });

  test('names the pinned policy by ref and sha256 hash', () => {
    const decision = decide();
    expect(decision.policyRef).toBe('refund@2');
    expect(decision.policyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('facts that do not fit the policy', () => {
  test('a missing declared fact denies instead of letting a restricting rule fall away', () => {
    const facts: Facts = { ...baseFacts };
    delete facts.confidence;
    expect(evaluatePolicy(bundle, 'support-bot', facts)).toMatchObject({
      outcome: 'deny',
      ruleId: 'default-deny',
      reason: expect.stringMatching(/lacks a valid fact "confidence"/),
    });
  });

  test('a fact of the wrong type denies', () => {
    expect(decide({ amount: '20' })).toMatchObject({ outcome: 'deny', ruleId: 'default-deny' });
  });

  test('a constraint written for another type never matches', () => {
    const wrongKind = structuredClone(bundle);
    wrongKind.policy.rules = [
      { id: 'odd', when: { amount: { in: ['20'] } }, reason: 'odd', outcome: { type: 'auto' } },
      ...wrongKind.policy.rules,
    ];
    expect(evaluatePolicy(wrongKind, 'support-bot', baseFacts).ruleId).toBe('refund-small');
  });
});
