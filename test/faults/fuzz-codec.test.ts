// Bad input fuzzed into the codec routes the Temporal Web UI decodes payloads through, over real
// HTTP: any JSON at all and payload lists broken field by field, from an operator; every bad
// credential; tokens that are authentic but may not read payloads. Every answer is 200 with
// payloads or a clear 4xx, never a 5xx, and nothing a refused caller sent is ever decoded.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createLogger } from '../../runtime/logger';
import { EncryptionCodec } from '../../runtime/payload-codec';
import { parsePayloadKeys } from '../../runtime/payload-keys';
import { createApprovalServer, type ApprovalServer } from '../../server/app';
import { createTokenVerifier } from '../../server/auth';
import { payloadToJson } from '../../server/codec-payloads';
import { TEST_SECRET, tokenFor } from '../helpers/http-approvals';
import { badCredential } from './helpers/bad-tokens';
import { tally, unicodeString } from './helpers/bad-values';
import { sendRaw, type RawAnswer } from './helpers/raw-http';
import { seededRandom } from './helpers/seeded-random';
import { testDecisionKey } from '../helpers/decision-key';

const NUM_RUNS = 200;
const SEED = seededRandom().seed;
const KEYS = parsePayloadKeys(`fuzz:${randomBytes(32).toString('base64')}`);
const SECRET_TEXT = 'The parcel arrived broken; call Jane Roe on 555-0199.';

let approvals: ApprovalServer;
let baseUrl: string;
let operator: string;
let sealed: Record<string, unknown>;
const statuses: number[] = [];

beforeAll(async () => {
  approvals = createApprovalServer({
    decisionKey: testDecisionKey(),
    // The codec routes never call Temporal; a lazy client never connects.
    temporal: new Client(),
    verifyToken: createTokenVerifier({ secret: TEST_SECRET }),
    logger: createLogger('fuzz-codec', { level: 'silent' }),
    codec: { keyRing: KEYS, allowedOrigins: ['http://127.0.0.1:8233'] },
  });
  baseUrl = `http://127.0.0.1:${await approvals.listen(0)}`;
  operator = await tokenFor('ops-olga', ['operator'], { tenant: '*' });
  const [payload] = await new EncryptionCodec(KEYS).encode([defaultPayloadConverter.toPayload(SECRET_TEXT)]);
  sealed = payloadToJson(payload!) as unknown as Record<string, unknown>;
  console.log(`fuzz-codec: fast-check seed ${SEED} (FAULTS_SEED=${SEED} replays it), ${NUM_RUNS} runs per property`);
});

afterAll(async () => {
  await approvals?.close();
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
});

async function post(path: string, authorization: string | undefined, body: string): Promise<RawAnswer> {
  const answer = await sendRaw(baseUrl, { method: 'POST', path, authorization, contentType: 'application/json', body });
  statuses.push(answer.status);
  return answer;
}

function check<T>(arb: fc.Arbitrary<T>, property: (value: T) => Promise<void>): Promise<void> {
  return fc.assert(fc.asyncProperty(arb, property), { numRuns: NUM_RUNS, seed: SEED });
}

const route = fc.constantFrom('/codec/decode', '/codec/encode');
const anyJson = fc.oneof(fc.jsonValue(), fc.dictionary(unicodeString(12), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }));
/** A payload list with the one sealed payload broken in one field (or not at all), beside random others. */
const brokenPayloads = fc
  .record({
    metadata: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.dictionary(unicodeString(16), fc.oneof(fc.base64String({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 4 })),
    data: fc.oneof(fc.constant(undefined), fc.base64String({ maxLength: 200 }), fc.jsonValue({ maxDepth: 1 })),
    keep: fc.constantFrom('metadata', 'data', 'both', 'neither'),
  })
  .map(({ metadata, data, keep }) => ({
    metadata: keep === 'metadata' || keep === 'both' ? sealed.metadata : metadata,
    data: keep === 'data' || keep === 'both' ? sealed.data : data,
  }));

test('answers any JSON an operator posts with 200 or a clear 4xx, never a 5xx', async () => {
  const seen: string[] = [];
  await check(fc.tuple(route, anyJson), async ([path, body]) => {
    const answer = await post(path, `Bearer ${operator}`, JSON.stringify(body));
    expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500)).toBe(true);
    if (answer.status !== 200) expect(typeof answer.body?.error).toBe('string');
    seen.push(`${path} ${answer.status}`);
  });
  console.log(`fuzz-codec: random JSON bodies: ${JSON.stringify(tally(seen))}`);
});

test('answers payload lists broken field by field with 200 or a clear 4xx, and decodes only what is whole', async () => {
  const seen: string[] = [];
  await check(fc.array(brokenPayloads, { minLength: 1, maxLength: 4 }), async (payloads) => {
    const answer = await post('/codec/decode', `Bearer ${operator}`, JSON.stringify({ payloads }));
    expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500)).toBe(true);
    const whole = payloads.some((p) => p.metadata === sealed.metadata && p.data === sealed.data);
    if (answer.status === 200 && !whole) expect(answer.text).not.toContain(Buffer.from(JSON.stringify(SECRET_TEXT)).toString('base64'));
    seen.push(String(answer.status));
  });
  console.log(`fuzz-codec: broken payload lists: ${JSON.stringify(tally(seen))}`);
});

test('answers every bad credential with 401 and a token that may not read payloads with 403, and decodes nothing for either', async () => {
  const seen: string[] = [];
  const notAllowed = fc.constantFrom(
    { kind: 'no operator role', token: () => tokenFor('carol', ['support-lead'], { tenant: '*' }) },
    { kind: 'one tenant only', token: () => tokenFor('ops-olga', ['operator']) },
    { kind: 'no tenant', token: () => tokenFor('ops-olga', ['operator'], { tenant: undefined }) },
  );
  const caller = fc.oneof(
    badCredential.map((c) => ({ kind: c.kind, expected: 401, header: c.header })),
    notAllowed.map((c) => ({ kind: c.kind, expected: 403, header: async () => `Bearer ${await c.token()}` })),
  );
  await check(fc.tuple(caller, route), async ([who, path]) => {
    const answer = await post(path, await who.header(), JSON.stringify({ payloads: [sealed] }));
    expect(answer.status).toBe(who.expected);
    expect(answer.text).not.toContain(Buffer.from(JSON.stringify(SECRET_TEXT)).toString('base64'));
    seen.push(`${who.kind} ${answer.status}`);
  });
  console.log(`fuzz-codec: callers refused: ${JSON.stringify(tally(seen))}`);
});
