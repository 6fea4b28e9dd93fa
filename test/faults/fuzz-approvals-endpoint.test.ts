// Bad input fuzzed into the approvers' endpoint over real HTTP, while a real 740 EUR refund waits
// for a support lead behind it: random and broken JSON bodies, bodies over the limit (declared or
// streamed), wrong content types and methods, random workflow ids, and missing, forged, unsigned,
// expired or malformed tokens. Every answer is a clear 4xx, never a 5xx; nothing is decided,
// nothing is started; and the server still takes a valid approval at the end, which completes the run.
import fc from 'fast-check';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { approvalQuery, type refund } from '../../workflows/refund';
import { httpCall } from '../helpers/http-client';
import { order, startTestEndpoint, tokenFor, waitForCard, withRefundRun, type TestEndpoint } from '../helpers/http-approvals';
import { bundleWorkflows, startTestServer } from '../helpers/temporal';
import { badCredential } from './helpers/bad-tokens';
import { badLengthString, hugeString, mutationOf, notAString, notOneOf, tally, unicodeString, withMutation } from './helpers/bad-values';
import { sendRaw, type RawAnswer, type RawRequest } from './helpers/raw-http';
import { seededRandom } from './helpers/seeded-random';
import { workflowIdsListedAfterCanary } from './helpers/visibility';

const NUM_RUNS = 250;
const SEED = seededRandom().seed;
/** The endpoint's default body limit (server/app.ts). */
const BODY_LIMIT = 16 * 1024;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let endpoint: TestEndpoint;
/** The refund waiting for a support lead behind the endpoint, served by workers until afterAll. */
let target: WorkflowHandle<typeof refund>;
let stopWorkers: (() => void) | undefined;
let workersStopped: Promise<unknown> | undefined;
let carol: string;
let cardHash: string;
/** Every status the endpoint answered in this file. */
const statuses: number[] = [];

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  endpoint = await startTestEndpoint(env);
  carol = await tokenFor('carol', ['support-lead']);
  const started = new Promise<WorkflowHandle<typeof refund>>((resolve, reject) => {
    workersStopped = withRefundRun(env, bundle, order(740), async (handle) => {
      resolve(handle);
      await new Promise<void>((stop) => (stopWorkers = stop));
    }).catch(reject);
  });
  target = await started;
  ({ cardHash } = await waitForCard(endpoint.baseUrl, carol, target.workflowId, 'approval'));
  console.log(`fuzz-approvals-endpoint: fast-check seed ${SEED} (FAULTS_SEED=${SEED} replays it), ${NUM_RUNS} runs per property`);
}, 120_000);

afterAll(async () => {
  stopWorkers?.();
  await workersStopped;
  await endpoint?.approvals.close();
  await env?.teardown();
});

const paths = {
  list: () => '/approvals',
  show: () => `/approvals/${target.workflowId}`,
  decision: () => `/approvals/${target.workflowId}/decision`,
  proposal: () => `/approvals/${target.workflowId}/proposal`,
};
/** A decision that carol could make; only ever sent broken, or with a caller who is not carol, until the last test. */
const validDecision = () => ({ decision: 'approve', cardHash, comment: 'looks right' });
const asCarol = () => `Bearer ${carol}`;

async function send(request: RawRequest): Promise<RawAnswer> {
  const answer = await sendRaw(endpoint.baseUrl, request);
  statuses.push(answer.status);
  return answer;
}

/** Sends `body` as JSON to a POST route with this Authorization header (none when undefined). */
const postJsonWith = (authorization: string | undefined, path: string, body: unknown) =>
  send({ method: 'POST', path, authorization, contentType: 'application/json', body: JSON.stringify(body) });
const postJson = (path: string, body: unknown) => postJsonWith(asCarol(), path, body);

/** Node's HTTP parser refuses a request line and headers over 16 KiB itself, before the app sees it, with an empty body. */
const HEADERS_TOO_LARGE = 431;

/** A clear refusal: a 4xx with a JSON body that says why in words and in a code (Node's own 431 has no body). */
function expectClearRefusal(answer: RawAnswer): void {
  if (answer.status < 400 || answer.status >= 500) throw new Error(`expected a 4xx, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.status === HEADERS_TOO_LARGE) return;
  expect(typeof answer.body?.error).toBe('string');
  expect(typeof answer.body?.code).toBe('string');
}

function check<T>(arb: fc.Arbitrary<T>, property: (value: T) => Promise<void>): Promise<void> {
  return fc.assert(fc.asyncProperty(arb, property), { numRuns: NUM_RUNS, seed: SEED });
}

/** Any JSON at all, with keys and strings from every script. */
const anyJson = fc.oneof(fc.jsonValue(), fc.dictionary(unicodeString(12), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }));

const decisionBreaks = mutationOf({
  decision: notOneOf(['approve', 'reject']),
  cardHash: fc.oneof(
    notAString,
    fc.stringMatching(/^[0-9a-f]{0,63}$/),
    fc.stringMatching(/^[0-9A-F]{64}$/).filter((s) => /[A-F]/.test(s)),
    unicodeString(64).filter((s) => !/^[0-9a-f]{64}$/.test(s)),
  ),
  // Optional fields: leaving them out would make the body valid, so they are always present and wrong.
  comment: fc.oneof(notAString.filter((v) => v !== undefined), hugeString(2_001, 4 * BODY_LIMIT)),
  decisionId: badLengthString(1, 128).filter((v) => v !== undefined),
  // Who decides comes from the token, never from the body.
  approver: fc.constant({ id: 'mona', roles: ['finance'] }),
  workflowId: unicodeString(20),
});

test('answers any JSON posted as a decision or a proposal with a clear 4xx', async () => {
  const seen: string[] = [];
  await check(fc.tuple(anyJson, fc.constantFrom('decision', 'proposal') as fc.Arbitrary<'decision' | 'proposal'>), async ([body, route]) => {
    const answer = await postJson(paths[route](), body);
    expectClearRefusal(answer);
    seen.push(`${route} ${answer.status}`);
  });
  console.log(`fuzz-approvals-endpoint: random JSON bodies: ${JSON.stringify(tally(seen))}`);
});

test('answers a valid decision with one field broken with 400 naming that field, or 413 once it outgrows the body limit', async () => {
  const seen: string[] = [];
  await check(decisionBreaks, async (mutation) => {
    const answer = await postJson(paths.decision(), withMutation(validDecision(), mutation));
    expectClearRefusal(answer);
    if (answer.status !== 413) expect([answer.status, answer.body?.field]).toEqual([400, mutation.path]);
    seen.push(`${mutation.path} ${answer.status}`);
  });
  console.log(`fuzz-approvals-endpoint: decisions with one field broken: ${JSON.stringify(tally(seen))}`);
});

test('answers bodies that are not JSON, or not sent as JSON, with 400 or 415', async () => {
  const seen: string[] = [];
  const contentTypes = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data', 'none'];
  await check(fc.tuple(unicodeString(200), fc.constantFrom(...contentTypes)), async ([text, contentType]) => {
    const answer = await send({ method: 'POST', path: paths.decision(), authorization: asCarol(), contentType: contentType === 'none' ? undefined : contentType, body: text });
    expectClearRefusal(answer);
    expect([400, 415]).toContain(answer.status);
    seen.push(`${contentType} ${answer.status}`);
  });
  console.log(`fuzz-approvals-endpoint: bodies not JSON or not sent as JSON: ${JSON.stringify(tally(seen))}`);
});

test(`answers every body over ${BODY_LIMIT} bytes with 413, whether its length is declared or it is streamed`, async () => {
  const seen: string[] = [];
  await check(
    fc.tuple(fc.integer({ min: BODY_LIMIT + 1, max: 2_000_000 }), fc.boolean(), fc.constantFrom('decision', 'proposal') as fc.Arbitrary<'decision' | 'proposal'>),
    async ([size, chunked, route]) => {
      const body = JSON.stringify({ ...validDecision(), comment: 'x'.repeat(size) });
      const answer = await send({ method: 'POST', path: paths[route](), authorization: asCarol(), contentType: 'application/json', body, chunked });
      expectClearRefusal(answer);
      expect(answer.status).toBe(413);
      seen.push(`${chunked ? 'streamed' : 'declared'} ${answer.status}`);
    },
  );
  console.log(`fuzz-approvals-endpoint: bodies over the limit: ${JSON.stringify(tally(seen))}`);
});

test('answers random workflow ids in the path with a clear 4xx', async () => {
  const seen: string[] = [];
  const ids = fc.oneof(
    // '.' and '..' are left out: the client's URL parser resolves them before anything is sent.
    { arbitrary: unicodeString(60).filter((s) => s.length > 0 && s !== '.' && s !== '..').map(encodeURIComponent), weight: 6 },
    // Past Temporal's 1000-character id limit, and still within Node's 16 KiB limit once percent-encoded.
    { arbitrary: hugeString(1_001, 1_500).map(encodeURIComponent), weight: 4 },
    { arbitrary: fc.constantFrom('%', '%zz', '%ED%A0%80', '%00', '%2F..%2F', 'refund-%0A', '%E2%80%AE'), weight: 2 },
    // Past Node's limit: its parser answers 431 before the app sees the request.
    { arbitrary: fc.constant('x'.repeat(20_000)), weight: 1 },
  );
  await check(fc.tuple(ids, fc.constantFrom('show', 'decision', 'proposal')), async ([id, route]) => {
    const answer =
      route === 'show'
        ? await send({ method: 'GET', path: `/approvals/${id}`, authorization: asCarol() })
        : await postJson(`/approvals/${id}/${route}`, route === 'decision' ? validDecision() : { cardHash, proposal: {} });
    expectClearRefusal(answer);
    seen.push(`${route} ${answer.status}`);
  });
  console.log(`fuzz-approvals-endpoint: random workflow ids: ${JSON.stringify(tally(seen))}`);
});

test('answers 401 to every missing, forged, unsigned, expired or malformed credential, on every route, even with a body that would approve', async () => {
  const seen: string[] = [];
  await check(fc.tuple(badCredential, fc.constantFrom('list', 'show', 'decision', 'proposal') as fc.Arbitrary<keyof typeof paths>), async ([credential, route]) => {
    const authorization = await credential.header();
    const answer =
      route === 'list' || route === 'show'
        ? await send({ method: 'GET', path: paths[route](), authorization })
        : await postJsonWith(authorization, paths[route](), route === 'decision' ? validDecision() : { cardHash, proposal: {} });
    expectClearRefusal(answer);
    expect(answer.status).toBe(401);
    seen.push(credential.kind);
  });
  console.log(`fuzz-approvals-endpoint: bad credentials, all answered 401: ${JSON.stringify(tally(seen))}`);
});

test("answers 403 to every authentic token that names no tenant or an agent's id, on every route, even with a body that would approve", async () => {
  const seen: string[] = [];
  const authentic = fc.oneof(
    fc.constantFrom('carol', 'fin-1', 'ops-olga').map((sub) => ({ kind: 'no tenant', code: 'tenant', token: () => tokenFor(sub, ['support-lead', 'finance'], { tenant: undefined }) })),
    fc.constantFrom('support-bot', 'pricing-bot').map((sub) => ({ kind: "an agent's id", code: 'not-a-person', token: () => tokenFor(sub, ['support-lead', 'support-agent'], { tenant: '*' }) })),
  );
  await check(fc.tuple(authentic, fc.constantFrom('list', 'show', 'decision', 'proposal') as fc.Arbitrary<keyof typeof paths>), async ([credential, route]) => {
    const authorization = `Bearer ${await credential.token()}`;
    const answer =
      route === 'list' || route === 'show'
        ? await send({ method: 'GET', path: paths[route](), authorization })
        : await postJsonWith(authorization, paths[route](), route === 'decision' ? validDecision() : { cardHash, proposal: {} });
    expectClearRefusal(answer);
    expect([answer.status, answer.body?.code]).toEqual([403, credential.code]);
    seen.push(credential.kind);
  });
  console.log(`fuzz-approvals-endpoint: authentic tokens that grant nothing, all answered 403: ${JSON.stringify(tally(seen))}`);
});

test('answers a wrong method on every route with 405', async () => {
  const seen: string[] = [];
  const methods: RawRequest['method'][] = ['PUT', 'DELETE', 'PATCH'];
  await check(fc.tuple(fc.constantFrom(...methods), fc.constantFrom(...Object.values(paths))), async ([method, path]) => {
    const answer = await send({ method, path: path(), authorization: asCarol() });
    expectClearRefusal(answer);
    expect(answer.status).toBe(405);
    seen.push(`${method} ${answer.status}`);
  });
  console.log(`fuzz-approvals-endpoint: wrong methods: ${JSON.stringify(tally(seen))}`);
});

test('after all of it: no 5xx, no error logged, nothing decided or started, and a valid approval still completes the run', async () => {
  const untouched = await target.query(approvalQuery);
  const health = await httpCall(endpoint.baseUrl, { path: '/healthz' });
  const approved = await httpCall(endpoint.baseUrl, { path: paths.decision(), token: carol, json: validDecision() });
  const result = await target.result();
  const errorsLogged = endpoint.logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
  const listed = await workflowIdsListedAfterCanary(env.client);
  console.log(
    `fuzz-approvals-endpoint: ${statuses.length} fuzzed requests, by status ${JSON.stringify(tally(statuses))}; ${errorsLogged.length} error lines logged; ` +
      `the card after it all: ${untouched?.status} with ${untouched?.decisions.length} decisions; then healthz ${health.status}, ` +
      `a valid approval ${approved.status}, run ${result.outcome}; workflows listed: ${listed.length} (the target only)`,
  );

  expect(statuses.filter((status) => status >= 500)).toEqual([]);
  expect(errorsLogged).toEqual([]);
  expect(untouched).toMatchObject({ status: 'pending', decisions: [] });
  expect(health.status).toBe(200);
  expect([approved.status, approved.body.status]).toEqual([202, 'approved']);
  expect(result).toMatchObject({ outcome: 'completed', amount: 740 });
  expect(listed).toEqual([target.workflowId]);
});
