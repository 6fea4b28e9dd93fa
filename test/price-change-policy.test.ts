// The shipped price-change policy, decided per SKU at every boundary it draws (10%, 30%, the 50%
// cap), with facts computed the way the workflow computes them; and the request and proposal
// pieces a workflow needs before it asks the policy: schemas and the pairing of proposal to request.
import path from 'node:path';
import {
  pairChangesWithRequest,
  priceChangeFacts,
  priceChangeProposalSchema,
  priceChangeRequestSchema,
  type PriceChangeProposal,
  type PriceChangeRequest,
} from '../common/price-change-schemas';
import { checkPolicy } from '../policies/check';
import { evaluatePolicy, type Facts } from '../policies/evaluate';
import { pinBundle, readPolicyFiles } from '../policies/load';

const POLICY_DIR = path.join(__dirname, '..', 'policies');
const bundle = pinBundle(readPolicyFiles(POLICY_DIR, 'price-change'));

/** Decides one SKU priced `currentPrice` EUR, proposed at `newPrice`, as the workflow would. */
function decide(currentPrice: number, newPrice: number, options: { confidence?: number; currency?: string; agent?: string } = {}) {
  const { confidence = 0.9, currency = 'EUR', agent = 'pricing-bot' } = options;
  const facts = priceChangeFacts(
    { region: 'eu' },
    { sku: 'SKU-1', currentPrice, currency: 'EUR' },
    { sku: 'SKU-1', newPrice, currency, rationale: 'test' },
    confidence,
  );
  return evaluatePolicy(bundle, agent, facts);
}

test('loads, pins as price-change@2 and passes the policy checks without errors', () => {
  expect(bundle.ref).toBe('price-change@2');
  expect(bundle.policy.action).toBe('catalog.reprice');
  const errors = checkPolicy(readPolicyFiles(POLICY_DIR, 'price-change'), 'price-change.yaml').filter((i) => i.severity === 'error');
  expect(errors).toEqual([]);
});

describe('change limits for the bounded pricing bot', () => {
  test.each([
    [90, 'auto', 'price-change-small', undefined],
    [110, 'auto', 'price-change-small', undefined],
    [89.99, 'approve', 'price-change-mid', { approvals: 1, roles: ['pricing-manager'] }],
    [110.01, 'approve', 'price-change-mid', { approvals: 1, roles: ['pricing-manager'] }],
    [70, 'approve', 'price-change-mid', { approvals: 1, roles: ['pricing-manager'] }],
    [130, 'approve', 'price-change-mid', { approvals: 1, roles: ['pricing-manager'] }],
    [69.99, 'approve', 'price-change-deep', { approvals: 2, roles: ['pricing-manager'] }],
    [50, 'approve', 'price-change-deep', { approvals: 2, roles: ['pricing-manager'] }],
    [150, 'approve', 'price-change-deep', { approvals: 2, roles: ['pricing-manager'] }],
    [49.99, 'deny', 'price-change-within-half', undefined],
    [150.01, 'deny', 'price-change-within-half', undefined],
  ])('100 EUR to %p is decided %s by %s', (newPrice, outcome, ruleId, approval) => {
    const decision = decide(100, newPrice);
    expect(decision).toMatchObject({ outcome, ruleId });
    if (approval) expect(decision.approval).toMatchObject(approval);
    else expect(decision.approval).toBeUndefined();
  });

  test('a change a fraction above 10% is not rounded down into the auto limit', () => {
    // 19.99 to 17.99 is -10.005%.
    const decision = decide(19.99, 17.99);
    expect(decision).toMatchObject({ outcome: 'approve', ruleId: 'price-change-mid' });
    expect(decision.facts).toMatchObject({ changePct: -10.01, absChangePct: 10.01 });
  });

  test('says in its reason how large the change is and which rule decided', () => {
    expect(decide(100, 80).reason).toBe(
      'change of -20% (100 to 80 EUR) > 10% auto limit for bounded agents: needs 1 pricing-manager approval (rule price-change-mid)',
    );
  });
});

describe('invariants', () => {
  test('an injected price of 0.01 is denied whatever the confidence', () => {
    expect(decide(100, 0.01, { confidence: 1 })).toMatchObject({ outcome: 'deny', ruleId: 'price-change-within-half' });
  });

  test('a price in another currency than the SKU has is denied', () => {
    expect(decide(100, 95, { currency: 'USD' })).toMatchObject({ outcome: 'deny', ruleId: 'price-in-current-currency' });
  });

  test('a price of zero is denied by price-positive', () => {
    const facts: Facts = { ...priceChangeFacts({ region: 'eu' }, { sku: 'S', currentPrice: 0.01, currency: 'EUR' }, { sku: 'S', newPrice: 0.01, currency: 'EUR', rationale: 'r' }, 0.9), newPrice: 0 };
    expect(evaluatePolicy(bundle, 'pricing-bot', facts)).toMatchObject({ outcome: 'deny', ruleId: 'price-positive' });
  });

  test('a missing fact denies rather than letting a rule match without it', () => {
    const facts = { ...decide(100, 95).facts };
    delete facts.confidence;
    expect(evaluatePolicy(bundle, 'pricing-bot', facts)).toMatchObject({ outcome: 'deny', ruleId: 'default-deny' });
  });
});

describe('model confidence and agent rights', () => {
  test('a confidence of 0.59 needs a pricing manager even for a 5% cut', () => {
    const decision = decide(100, 95, { confidence: 0.59 });
    expect(decision).toMatchObject({ outcome: 'approve', ruleId: 'price-change-low-confidence' });
    expect(decision.approval).toMatchObject({ approvals: 1, roles: ['pricing-manager'] });
  });

  test('a confidence of 0.6 lets a 5% cut run without approval', () => {
    expect(decide(100, 95, { confidence: 0.6 })).toMatchObject({ outcome: 'auto', ruleId: 'price-change-small' });
  });

  test('a low confidence never lowers the two approvals a deep cut needs', () => {
    expect(decide(100, 60, { confidence: 0.1 })).toMatchObject({ outcome: 'approve', ruleId: 'price-change-deep', approval: { approvals: 2 } });
  });

  test('an agent the policy does not list may only propose: a small cut goes to a pricing manager', () => {
    const decision = decide(100, 95, { agent: 'someone-elses-bot' });
    expect(decision).toMatchObject({ outcome: 'approve', ruleId: 'price-change-small', agentRights: 'propose-only' });
    expect(decision.approval).toMatchObject({ approvals: 1, roles: ['pricing-manager'] });
  });
});

describe('request and proposal', () => {
  const request: PriceChangeRequest = {
    requestId: 'pc-1',
    tenant: 'acme',
    region: 'eu',
    channels: ['web', 'marketplace'],
    skus: [
      { sku: 'COAT-1', currentPrice: 120, currency: 'EUR' },
      { sku: 'HAT-2', currentPrice: 25, currency: 'EUR' },
      { sku: 'SCARF-3', currentPrice: 30, currency: 'EUR' },
    ],
    brief: 'clear winter stock',
    requestedBy: 'alice',
  };

  test('accepts a well-formed request', () => {
    expect(priceChangeRequestSchema.parse(request)).toEqual(request);
  });

  test.each([
    ['a SKU listed twice', 'skus.1.sku', { skus: [request.skus[0], request.skus[0]] }],
    ['a channel listed twice', 'channels.1', { channels: ['web', 'web'] }],
    ['no SKUs', 'skus', { skus: [] }],
    ['51 SKUs', 'skus', { skus: Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, currentPrice: 1, currency: 'EUR' })) }],
    ['a current price of 0', 'skus.0.currentPrice', { skus: [{ sku: 'A', currentPrice: 0, currency: 'EUR' }] }],
    ['an empty brief', 'brief', { brief: '' }],
  ])('refuses a request with %s, naming %s', (_what, field, change) => {
    const result = priceChangeRequestSchema.safeParse({ ...request, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(field);
  });

  test('refuses a proposal naming one SKU twice', () => {
    const change = { sku: 'COAT-1', newPrice: 96, currency: 'EUR', rationale: 'clearance' };
    const result = priceChangeProposalSchema.safeParse({ changes: [change, change], confidence: 0.8, summary: 's' });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['changes.1.sku']);
  });

  test('pairs changes with the request, skipping SKUs not asked about, unchanged or left out', () => {
    const proposal: PriceChangeProposal = {
      changes: [
        { sku: 'COAT-1', newPrice: 96, currency: 'EUR', rationale: 'clearance' },
        { sku: 'HAT-2', newPrice: 25, currency: 'EUR', rationale: 'keep' },
        { sku: 'BOOT-9', newPrice: 10, currency: 'EUR', rationale: 'not asked' },
      ],
      confidence: 0.8,
      summary: 'clearance',
    };
    const paired = pairChangesWithRequest(request, proposal);
    expect(paired.changes.map(({ current, change }) => [current.sku, current.currentPrice, change.newPrice])).toEqual([['COAT-1', 120, 96]]);
    expect(paired.skipped).toEqual([
      { sku: 'HAT-2', reason: 'price stays 25 EUR' },
      { sku: 'SCARF-3', reason: 'no change proposed' },
      { sku: 'BOOT-9', reason: 'not in the request' },
    ]);
  });
});
