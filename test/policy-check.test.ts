// `checkPolicy`: the static checks beyond the schema. Most cases change one thing in the shipped
// refund policy; schema errors and a shadowed rule come from YAML fixtures in test/fixtures/policies/.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { checkPolicy } from '../policies/check';
import { DEFAULT_POLICY_DIR, PolicyValidationError, readPolicyFiles, type LoadedFiles, type PolicyIssue } from '../policies/load';
import type { Condition, ProcessPolicy, Rule } from '../policies/schema';

const FIXTURES = path.join(__dirname, 'fixtures', 'policies');
const shipped = readPolicyFiles(DEFAULT_POLICY_DIR, 'refund');

/** The shipped refund policy with one change. */
function refundWith(change: (policy: ProcessPolicy) => void): LoadedFiles {
  const files = structuredClone(shipped);
  change(files.policy);
  return files;
}

/** The shipped refund policy with only these rules. */
function refundWithRules(...rules: Rule[]): LoadedFiles {
  return refundWith((policy) => {
    policy.rules = rules;
  });
}

function autoRule(id: string, when: Condition): Rule {
  return { id, when, reason: `rule ${id}`, outcome: { type: 'auto' } };
}

function denyRule(id: string, when: Condition): Rule {
  return { id, when, reason: `rule ${id}`, outcome: { type: 'deny' } };
}

function check(files: LoadedFiles): PolicyIssue[] {
  return checkPolicy(files, 'refund.yaml');
}

const errors = (issues: PolicyIssue[]) => issues.filter((issue) => issue.severity === 'error');
const warnings = (issues: PolicyIssue[]) => issues.filter((issue) => issue.severity === 'warning');

describe('the shipped policies', () => {
  const processes = readdirSync(DEFAULT_POLICY_DIR)
    .filter((name) => name.endsWith('.yaml') && !['roles.yaml', 'models.yaml', 'trust.yaml'].includes(name))
    .map((name) => path.basename(name, '.yaml'));

  test.each(processes)('%s has no errors', (process) => {
    expect(errors(checkPolicy(readPolicyFiles(DEFAULT_POLICY_DIR, process), `${process}.yaml`))).toEqual([]);
  });

  test('refund warns that the low-confidence rule wins over refund-small where both match', () => {
    expect(warnings(check(shipped))).toContainEqual({
      file: 'refund.yaml',
      field: 'rules.4.when',
      ruleId: 'refund-small',
      severity: 'warning',
      message: 'overlaps rule refund-low-confidence: where both match, refund-low-confidence wins',
    });
  });
});

describe('facts', () => {
  test('a rule naming an undeclared fact is an error at that fact', () => {
    const issues = check(refundWithRules(autoRule('by-tier', { tier: { in: ['gold'] } })));
    expect(errors(issues)).toEqual([
      { file: 'refund.yaml', field: 'rules.0.when.tier', ruleId: 'by-tier', severity: 'error', message: 'unknown fact "tier": declare it under facts' },
    ]);
  });

  test('an operand naming an undeclared fact is an error at the operand', () => {
    const issues = check(refundWithRules(autoRule('below-paid', { amount: { lt: { fact: 'paidAmount' } } })));
    expect(errors(issues)).toMatchObject([{ field: 'rules.0.when.amount.lt.fact', message: expect.stringContaining('unknown fact "paidAmount"') }]);
  });

  test('an invariant comparing with an undeclared string fact is an error at equalsFact', () => {
    const files = refundWith((policy) => {
      policy.invariants[2] = { id: 'same-currency', require: { currency: { equalsFact: 'invoiceCurrency' } }, reason: 'currency' };
    });
    expect(errors(check(files))).toMatchObject([{ field: 'invariants.2.require.currency.equalsFact', ruleId: 'same-currency' }]);
  });

  test('a number constraint on a string fact is a type error', () => {
    const issues = check(refundWithRules(autoRule('cheap-region', { region: { lt: 5 } })));
    expect(errors(issues)).toMatchObject([
      { field: 'rules.0.when.region', ruleId: 'cheap-region', message: '"region" is a string fact, but is used as a number' },
    ]);
  });

  test('a number operand naming a string fact is a type error', () => {
    const issues = check(refundWithRules(autoRule('odd', { amount: { lte: { fact: 'currency' } } })));
    expect(errors(issues)).toMatchObject([{ field: 'rules.0.when.amount.lte.fact', message: expect.stringContaining('string fact') }]);
  });

  test('agentRights may be tested without being declared', () => {
    const files = refundWith((policy) => {
      delete policy.facts.agentRights;
      policy.rules = [autoRule('trusted-only', { agentRights: { in: ['trusted'] } })];
    });
    expect(errors(check(files))).toEqual([]);
  });
});

describe('roles', () => {
  test('an approver role missing from roles.yaml is an unknown role', () => {
    const files = refundWith((policy) => {
      const mid = policy.rules[5]!;
      if (mid.outcome.type === 'approve') mid.outcome.roles = ['support-lead', 'cfo'];
    });
    expect(errors(check(files))).toEqual([
      { file: 'refund.yaml', field: 'rules.5.outcome.roles.1', ruleId: 'refund-mid', severity: 'error', message: 'unknown role "cfo": not in roles.yaml' },
    ]);
  });

  test('an unknown escalation target of the propose-only review is an unknown role', () => {
    const files = refundWith((policy) => {
      policy.proposeOnlyReview.escalateTo = 'night-shift';
    });
    expect(errors(check(files))).toMatchObject([{ field: 'proposeOnlyReview.escalateTo', message: expect.stringContaining('unknown role "night-shift"') }]);
  });
});

describe('ids', () => {
  test('two rules with one id is a duplicate id error on the second', () => {
    const issues = check(refundWithRules(autoRule('small', { amount: { lte: 50 } }), denyRule('small', { amount: { gt: 50 } })));
    expect(errors(issues)).toMatchObject([{ field: 'rules.1.id', ruleId: 'small', message: 'duplicate id "small": already used at rules.0.id' }]);
  });

  test('a rule reusing an invariant id is a duplicate id error', () => {
    const issues = check(refundWithRules(autoRule('refund-positive', { amount: { lte: 50 } })));
    expect(errors(issues)).toMatchObject([{ field: 'rules.0.id', message: expect.stringContaining('invariants.2.id') }]);
  });
});

describe('escalation', () => {
  test('escalating no earlier than the approval expires is an error', () => {
    const files = refundWith((policy) => {
      policy.proposeOnlyReview.escalateAfter = '72h';
    });
    expect(errors(check(files))).toMatchObject([{ field: 'proposeOnlyReview.escalateAfter', message: expect.stringContaining('shorter than expireAfter 72h') }]);
  });

  test('escalateAfter without escalateTo is an error', () => {
    const files = refundWith((policy) => {
      const large = policy.rules[1]!;
      if (large.outcome.type === 'approve') delete large.outcome.escalateTo;
    });
    expect(errors(check(files))).toMatchObject([{ field: 'rules.1.outcome.escalateTo', ruleId: 'refund-large' }]);
  });
});

describe('rule order', () => {
  test('contradictory bounds on one fact can never match', () => {
    const issues = check(refundWithRules(autoRule('impossible', { amount: { gt: 10, lt: 5 } })));
    expect(errors(issues)).toMatchObject([{ field: 'rules.0.when.amount', ruleId: 'impossible', message: expect.stringContaining('can never match') }]);
  });

  test('an open and a closed bound at the same value can never match', () => {
    const issues = check(refundWithRules(autoRule('impossible', { amount: { gte: 50, lt: 50 } })));
    expect(errors(issues)).toMatchObject([{ message: expect.stringContaining('can never match') }]);
  });

  test('a rule covered by an earlier one is unreachable and names that rule', () => {
    const issues = check(refundWithRules(denyRule('up-to-1000', { amount: { lte: 1000 } }), autoRule('tiny', { amount: { lte: 50 } })));
    expect(errors(issues)).toEqual([
      {
        file: 'refund.yaml',
        field: 'rules.1.when',
        ruleId: 'tiny',
        severity: 'error',
        message: 'unreachable: every case it matches is matched first by rule up-to-1000',
      },
    ]);
  });

  test('a rule matching a value an earlier open bound excludes is reachable', () => {
    const issues = check(refundWithRules(denyRule('below-50', { amount: { lt: 50 } }), autoRule('up-to-50', { amount: { lte: 50 } })));
    expect(errors(issues)).toEqual([]);
  });

  test("a rule whose tiers are a subset of an earlier rule's tiers is unreachable", () => {
    const issues = check(
      refundWithRules(denyRule('not-standard', { customerTier: { notIn: ['standard'] } }), autoRule('gold', { customerTier: { in: ['gold'] } })),
    );
    expect(errors(issues)).toMatchObject([{ ruleId: 'gold', message: expect.stringContaining('rule not-standard') }]);
  });

  test('a bound set by another fact never proves a rule unreachable', () => {
    const issues = check(
      refundWithRules(denyRule('within-order', { amount: { lte: { fact: 'orderAmount' } } }), autoRule('same', { amount: { lte: { fact: 'orderAmount' } } })),
    );
    expect(errors(issues)).toEqual([]);
  });

  test('an earlier rule with another outcome that partly overlaps is a warning', () => {
    const issues = check(refundWithRules(denyRule('risky', { confidence: { lt: 0.6 } }), autoRule('small', { amount: { lte: 50 } })));
    expect(issues).toEqual([
      { file: 'refund.yaml', field: 'rules.1.when', ruleId: 'small', severity: 'warning', message: 'overlaps rule risky: where both match, risky wins' },
    ]);
  });

  test('an earlier rule with the same outcome that partly overlaps is no warning', () => {
    const issues = check(refundWithRules(autoRule('confident', { confidence: { gte: 0.6 } }), autoRule('small', { amount: { lte: 50 } })));
    expect(issues).toEqual([]);
  });

  test('rules on disjoint string sets do not overlap', () => {
    const issues = check(
      refundWithRules(denyRule('standard', { customerTier: { in: ['standard'] } }), autoRule('others', { customerTier: { notIn: ['standard'] } })),
    );
    expect(issues).toEqual([]);
  });
});

describe('schema errors from readPolicyFiles', () => {
  test('name the file, the field and the rule', () => {
    let thrown: unknown;
    try {
      readPolicyFiles(path.join(FIXTURES, 'schema-error'), 'refund');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PolicyValidationError);
    expect((thrown as PolicyValidationError).issues).toMatchObject([
      { file: 'refund.yaml', field: 'rules.1.outcome.approvals', ruleId: 'refund-mid', severity: 'error' },
    ]);
  });
});

describe('a fixture directory', () => {
  test('with a shadowed rule reports it against the earlier rule', () => {
    const issues = checkPolicy(readPolicyFiles(path.join(FIXTURES, 'shadowed-rule'), 'refund'), 'refund.yaml');
    expect(errors(issues)).toMatchObject([{ field: 'rules.1.when', ruleId: 'refund-tiny', message: expect.stringContaining('rule refund-up-to-1000') }]);
  });
});
