// Properties of policy evaluation over generated facts: the refund policy's limits hold for any
// facts, every decision explains itself, and absence of a fact never makes a condition true.
import path from 'node:path';
import fc from 'fast-check';
import { conditionHolds, evaluatePolicy, type Facts, type FactValue } from '../policies/evaluate';
import { pinBundle, readPolicyFiles } from '../policies/load';
import type { Condition, Constraint, FactType } from '../policies/schema';

const bundle = pinBundle(readPolicyFiles(path.join(__dirname, '..', 'policies'), 'refund'));
const RUNS = { numRuns: 2000 };

/** Edge values the policy draws lines at, mixed with arbitrary and huge amounts. */
const amountArb = fc.oneof(
  fc.constantFrom(-1, 0, 0.01, 50, 50.01, 1000, 1000.01, 5000, 5000.01, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE),
  fc.double({ min: -1e3, max: 1e12, noNaN: true, noDefaultInfinity: true }),
);
const currencyArb = fc.constantFrom('EUR', 'USD', 'GBP');

const caseArb = fc.record({
  agent: fc.constantFrom('support-bot', 'unlisted-bot', 'support-bot-2', ''),
  facts: fc.record({
    amount: amountArb,
    orderAmount: amountArb,
    confidence: fc.oneof(fc.constantFrom(0, 0.59, 0.6, 1), fc.double({ min: 0, max: 1, noNaN: true })),
    customerTier: fc.constantFrom('standard', 'gold', 'platinum'),
    region: fc.constantFrom('eu', 'us', 'uk'),
    currency: currencyArb,
    orderCurrency: currencyArb,
    alreadyRefunded: fc.oneof(fc.constantFrom(0, 0.01, 10, 40), fc.double({ min: 0, max: 1e6, noNaN: true })),
    riskFlags: fc.subarray(['order-mismatch', 'chargeback-open', 'repeat-refunds']),
  }),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

describe('the refund policy never lets a refund run on its own', () => {
  test.each<[string, (c: Case) => boolean]>([
    ['the amount exceeds the order amount', ({ facts }) => facts.amount > facts.orderAmount],
    ['the amount and what was refunded before exceed the order amount', ({ facts }) => Math.round(facts.amount * 100) + Math.round(facts.alreadyRefunded * 100) > Math.round(facts.orderAmount * 100)],
    ["the request's order details differ from payments' record", ({ facts }) => facts.riskFlags.includes('order-mismatch')],
    ['the amount is above the 50 auto limit', ({ facts }) => facts.amount > 50],
    ['the model confidence is below 0.6', ({ facts }) => facts.confidence < 0.6],
    ['the currency differs from the order currency', ({ facts }) => facts.currency !== facts.orderCurrency],
    ['the amount is not positive', ({ facts }) => facts.amount <= 0],
    ['the agent is not listed in the policy', ({ agent }) => !(agent in bundle.policy.agents)],
  ])('when %s', (_name, applies) => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const decision = evaluatePolicy(bundle, c.agent, c.facts);
        return !(applies(c) && decision.outcome === 'auto');
      }),
      RUNS,
    );
  });
});

describe('every refund decision', () => {
  const knownIds = new Set([...bundle.policy.rules, ...bundle.policy.invariants].map((entry) => entry.id));

  test('names a rule or invariant of the policy, or default-deny', () => {
    fc.assert(
      fc.property(caseArb, ({ agent, facts }) => {
        const { ruleId } = evaluatePolicy(bundle, agent, facts);
        return knownIds.has(ruleId) || ruleId === 'default-deny';
      }),
      RUNS,
    );
  });

  test('has a reason ending with the rule that decided, or with "(no rule matched)"', () => {
    fc.assert(
      fc.property(caseArb, ({ agent, facts }) => {
        const { reason, ruleId } = evaluatePolicy(bundle, agent, facts);
        const suffix = ruleId === 'default-deny' ? '(no rule matched)' : `(rule ${ruleId})`;
        return reason.length > suffix.length && reason.endsWith(suffix);
      }),
      RUNS,
    );
  });

  test('is the same when the same facts are evaluated twice', () => {
    fc.assert(
      fc.property(caseArb, ({ agent, facts }) => {
        expect(evaluatePolicy(bundle, agent, structuredClone(facts))).toEqual(evaluatePolicy(bundle, agent, facts));
      }),
      RUNS,
    );
  });
});

describe('conditionHolds on generated conditions', () => {
  const factNames = ['f0', 'f1', 'f2', 'f3'];
  const factNameArb = fc.constantFrom(...factNames);
  const numberOperandArb = fc.oneof(fc.double({ min: -100, max: 100, noNaN: true }), factNameArb.map((fact) => ({ fact })));
  const words = ['a', 'b', 'c'];
  const constraintArb: Record<FactType, fc.Arbitrary<Constraint>> = {
    number: fc
      .record(
        { gt: numberOperandArb, gte: numberOperandArb, lt: numberOperandArb, lte: numberOperandArb, eq: numberOperandArb },
        { requiredKeys: [] },
      )
      .filter((c) => Object.keys(c).length > 0),
    string: fc.oneof(
      fc.subarray(words, { minLength: 1 }).map((list) => ({ in: list })),
      fc.subarray(words, { minLength: 1 }).map((list) => ({ notIn: list })),
      factNameArb.map((fact) => ({ equalsFact: fact })),
    ),
    'string-list': fc.oneof(
      fc.subarray(words, { minLength: 1 }).map((list) => ({ includesAny: list })),
      fc.subarray(words, { minLength: 1 }).map((list) => ({ includesNone: list })),
    ),
    boolean: fc.boolean().map((is) => ({ is })),
  };
  const valueArb: Record<FactType, fc.Arbitrary<FactValue>> = {
    number: fc.double({ min: -100, max: 100, noNaN: true }),
    string: fc.constantFrom(...words),
    'string-list': fc.subarray(words),
    boolean: fc.boolean(),
  };
  const factArb = fc
    .constantFrom<FactType>('number', 'string', 'string-list', 'boolean')
    .chain((type) => fc.record({ type: fc.constant(type), constraint: constraintArb[type], value: valueArb[type] }));

  const scenarioArb = fc.tuple(fc.array(factArb, { minLength: 1, maxLength: factNames.length }), fc.nat()).map(([generated, pick]) => {
    const types: Record<string, FactType> = {};
    const condition: Condition = {};
    const facts: Facts = {};
    generated.forEach(({ type, constraint, value }, i) => {
      types[`f${i}`] = type;
      condition[`f${i}`] = constraint;
      facts[`f${i}`] = value;
    });
    return { types, condition, facts, missing: `f${pick % generated.length}` };
  });

  test('never holds when a fact it constrains is missing', () => {
    fc.assert(
      fc.property(scenarioArb, ({ types, condition, facts, missing }) => {
        const withoutOne = { ...facts };
        delete withoutOne[missing];
        return !conditionHolds(condition, withoutOne, types);
      }),
      RUNS,
    );
  });
});
