// Bad input fuzzed into the typed client's starts (`startRefund`, `startPriceChange`): random
// values of any type, valid requests with one field broken (wrong type, unicode, huge strings,
// out of range) and unknown keys. Every one is refused with InvalidRequestError naming the
// field, and no workflow is ever started, by id and by the whole namespace's listing.
import fc from 'fast-check';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ArbiterClient, InvalidRequestError } from '../../client';
import { PRICE_CHANNELS, priceChangeWorkflowId } from '../../common/price-change-schemas';
import { refundWorkflowId } from '../../common/refund-schemas';
import { readTemporalSettings } from '../../runtime/config';
import { priceChangeRequest } from '../helpers/price-fixtures';
import { refundRequest } from '../helpers/refund-fixtures';
import { startTestServer, uniqueQueue } from '../helpers/temporal';
import {
  badAmount,
  badCurrency,
  badExternalId,
  badLengthString,
  mutationOf,
  notAnArray,
  notAnObject,
  notOneOf,
  tally,
  unicodeString,
  withMutation,
} from './helpers/bad-values';
import { seededRandom } from './helpers/seeded-random';
import { workflowIdsListedAfterCanary } from './helpers/visibility';

const NUM_RUNS = 250;
/** One seed for every property, printed, so FAULTS_SEED=<seed> replays the whole file. */
const SEED = seededRandom().seed;

let env: TestWorkflowEnvironment;
let client: ArbiterClient;
/** What each test saw, printed once per test. */
let seen: string[] = [];

beforeAll(async () => {
  env = await startTestServer();
  client = new ArbiterClient(env.client, readTemporalSettings({ TEMPORAL_ADDRESS: env.address, ARBITER_TASK_QUEUE: uniqueQueue('faults-fuzz') }));
  console.log(`fuzz-start-client: fast-check seed ${SEED} (FAULTS_SEED=${SEED} replays it), ${NUM_RUNS} runs per property`);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const refundBreaks = mutationOf({
  requestId: badExternalId(),
  tenant: badExternalId(),
  customer: notAnObject,
  'customer.id': badExternalId(),
  'customer.tier': notOneOf(['standard', 'gold', 'platinum']),
  'customer.region': badLengthString(2, 32),
  order: notAnObject,
  'order.id': badExternalId(),
  'order.amount': badAmount,
  'order.currency': badCurrency,
  message: badLengthString(1, 10_000),
  requestedBy: badExternalId(),
});

const validSku = (i: number) => ({ sku: `SKU-${i}`, currentPrice: 10, currency: 'EUR' });
const priceChangeBreaks = mutationOf({
  requestId: badExternalId(),
  tenant: badExternalId(),
  region: badLengthString(2, 32),
  channels: fc.oneof(notAnArray, fc.constant([]), fc.constant(['web', 'web']), fc.array(notOneOf(PRICE_CHANNELS), { minLength: 1, maxLength: 3 })),
  skus: fc.oneof(
    notAnArray,
    fc.constant([]),
    fc.constant(Array.from({ length: 51 }, (_, i) => validSku(i))),
    fc.constant([validSku(1), validSku(1)]),
  ),
  'skus.0': notAnObject,
  'skus.0.sku': badExternalId(64),
  'skus.0.currentPrice': badAmount,
  'skus.0.currency': badCurrency,
  brief: badLengthString(1, 2_000),
  requestedBy: badExternalId(),
});

/** Any value at all, of any type JavaScript has, where a request object belongs. */
const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

/** A key no request schema knows (`__proto__` would set the prototype rather than add a key). */
const unknownKey = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), unicodeString(20)).filter((k) => k.length > 0 && k !== '__proto__');

type Start = (input: unknown) => Promise<unknown>;
const starts: Record<'refund' | 'priceChange', { start: Start; valid: () => { requestId: string }; workflowId: (requestId: string) => string }> = {
  refund: { start: (input) => client.startRefund(input), valid: () => refundRequest(), workflowId: refundWorkflowId },
  priceChange: {
    start: (input) => client.startPriceChange(input),
    valid: () => priceChangeRequest('spring promo'),
    workflowId: priceChangeWorkflowId,
  },
};

/** Starts with `input` and returns the refusal; fails the property when the start does not throw InvalidRequestError. */
async function refusalOf(start: Start, input: unknown): Promise<InvalidRequestError> {
  const outcome = await start(input).then(
    () => 'started',
    (err: unknown) => err,
  );
  if (!(outcome instanceof InvalidRequestError)) throw new Error(`expected InvalidRequestError, got ${outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : String(outcome)}`);
  return outcome;
}

async function expectNoWorkflow(workflowId: string): Promise<void> {
  const found = await env.client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => 'exists',
      (err: unknown) => err,
    );
  expect(found).toBeInstanceOf(WorkflowNotFoundError);
}

afterEach(() => {
  for (const line of seen) console.log(line);
  seen = [];
});

describe.each(['refund', 'priceChange'] as const)('%s started through the typed client', (kind) => {
  const { start, valid, workflowId } = starts[kind];

  test('refuses any value that is not a request with InvalidRequestError naming at least one field', async () => {
    const rootFields: string[] = [];
    await fc.assert(
      fc.asyncProperty(anyValue, async (value) => {
        const refusal = await refusalOf(start, value);
        expect(refusal.fields.length).toBeGreaterThan(0);
        expect(refusal.message).toMatch(/^invalid (refund|price-change) request: /);
        rootFields.push(refusal.fields[0] === '' ? '(root)' : refusal.fields[0]!.split('.')[0]!);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
    seen.push(`fuzz-start-client ${kind}: ${rootFields.length} arbitrary values refused; first field named: ${JSON.stringify(tally(rootFields))}`);
  });

  test('refuses a valid request with one field broken, naming that field, without echoing the value, and starts nothing', async () => {
    const breaks = kind === 'refund' ? refundBreaks : priceChangeBreaks;
    const named: string[] = [];
    let longestMessage = 0;
    await fc.assert(
      fc.asyncProperty(breaks, async (mutation) => {
        const base = valid();
        const refusal = await refusalOf(start, withMutation(base, mutation));
        expect(refusal.fields.some((field) => field === mutation.path || field.startsWith(`${mutation.path}.`))).toBe(true);
        expect(refusal.message).toContain(mutation.path);
        // A megabyte string comes back as a sentence about it, not as itself.
        expect(refusal.message.length).toBeLessThan(1_000);
        longestMessage = Math.max(longestMessage, refusal.message.length);
        await expectNoWorkflow(workflowId(base.requestId));
        named.push(mutation.path);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
    seen.push(
      `fuzz-start-client ${kind}: ${named.length} broken requests refused, each naming the broken field (longest message ${longestMessage} chars), none started; by field: ${JSON.stringify(tally(named))}`,
    );
  });

  test('refuses a valid request with an unknown key, naming the key, and starts nothing', async () => {
    const parents = kind === 'refund' ? ['', 'customer', 'order'] : ['', 'skus.0'];
    const where: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...parents), unknownKey, async (parent, key) => {
        const base = valid() as unknown as Record<string, unknown>;
        const target = parent === '' ? base : (parent.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], base) as Record<string, unknown>);
        fc.pre(!(key in target));
        target[key] = 'extra';
        const refusal = await refusalOf(start, base);
        // The key itself is named, in the fields and the message (clipped when it is very long).
        const field = (parent === '' ? key : `${parent}.${key}`).slice(0, 200);
        expect(refusal.fields.some((f) => f.startsWith(field))).toBe(true);
        expect(refusal.message).toContain(key.slice(0, 200));
        expect(refusal.message.length).toBeLessThan(1_000);
        await expectNoWorkflow(workflowId(base.requestId as string));
        where.push(parent === '' ? '(root)' : parent);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
    seen.push(`fuzz-start-client ${kind}: ${where.length} requests with an unknown key refused, the key named in the message, none started; by place: ${JSON.stringify(tally(where))}`);
  });
});

test('after all of it, the namespace lists no workflow', async () => {
  const listed = await workflowIdsListedAfterCanary(env.client);
  seen.push(`fuzz-start-client: ${listed.length} workflow(s) listed in the namespace after every refused start (a canary proved the listing current)`);
  expect(listed).toEqual([]);
});
