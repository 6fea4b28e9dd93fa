// The chat proposer activity against the real stand-in model server over HTTP: failover on rate
// limits, server errors, timeouts and refusals, repair of invalid answers, redaction and cost.
// A small recording provider (also a real HTTP server) shows exactly what goes on the wire.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createChatProposerActivities, type ChatProposerDeps, type ProposalAttempt } from '../activities/llm/chat-proposer';
import { redactFields } from '../activities/llm/redact';
import { buildTriageMessages, REFUND_PROPOSAL_JSON_SCHEMA } from '../activities/llm/triage-prompt';
import { NO_MODEL_AVAILABLE } from '../common/error-types';
import { refundProposalSchema } from '../common/refund-schemas';
import { DEFAULT_POLICY_DIR, pinBundle, readPolicyFiles } from '../policies/load';
import { routeModels, type RouteCandidate } from '../policies/routing';
import { createModelServer, type CallRecord, type ModelServer } from '../model-server/server';
import type { FaultRequest } from '../model-server/faults';
import { refundRequest } from './helpers/refund-fixtures';
import { standinCandidate } from './helpers/route-candidates';

let standin: ModelServer;
let standinUrl: string;
let sleeps: number[];

beforeAll(async () => {
  standin = createModelServer({ logger: pino({ level: 'silent' }) });
  standinUrl = `http://127.0.0.1:${await standin.listen(0)}`;
});
afterAll(() => standin.close());
beforeEach(async () => {
  sleeps = [];
  await post('/_reset', {});
});

async function post(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${standinUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
}
const injectFault = (fault: FaultRequest) => post('/_faults', fault);
async function callsTo(model: string): Promise<CallRecord[]> {
  const { calls } = (await (await fetch(`${standinUrl}/_calls`)).json()) as { calls: CallRecord[] };
  return calls.filter((call) => call.model === model);
}

const first = standinCandidate('standin-first', 'arbiter-standin-small');
const second = standinCandidate('standin-second', 'arbiter-standin-large');

function proposer(deps: Partial<ChatProposerDeps> = {}) {
  return createChatProposerActivities({
    providers: { standin: { baseUrl: `${standinUrl}/v1` } },
    env: {},
    sleep: async (ms) => void sleeps.push(ms),
    ...deps,
  });
}
const propose = (candidates: RouteCandidate[], deps: Partial<ChatProposerDeps> = {}, request = refundRequest()) =>
  proposer(deps).proposeRefund({ request, candidates, personalFields: ['customer.id', 'message'] });

async function expectNoModel(promise: Promise<unknown>): Promise<{ failure: ApplicationFailure; attempts: ProposalAttempt[] }> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  const appFailure = failure as ApplicationFailure;
  expect(appFailure.type).toBe(NO_MODEL_AVAILABLE);
  expect(appFailure.nonRetryable).toBe(true);
  return { failure: appFailure, attempts: (appFailure.details?.[0] as { attempts: ProposalAttempt[] }).attempts };
}

describe('proposeRefund on the stand-in model server', () => {
  test('proposes from the first candidate and names the stand-in model and the prompt version', async () => {
    const result = await propose([first, second]);
    expect(result.proposal).toMatchObject({ action: 'refund', amount: 40, currency: 'EUR', category: 'damaged' });
    expect(result.modelId).toBe('standin-first');
    expect(result.model).toBe('standin-first (arbiter-standin-small)');
    expect(result.prompt).toEqual({ id: 'refund-triage', version: 2 });
    expect(result.attempts).toEqual([{ modelId: 'standin-first', outcome: 'ok' }]);
    expect(result.tokensIn).toBeGreaterThan(0);
    expect(result.costUsd).toBeCloseTo((result.tokensIn * 0.1 + result.tokensOut * 0.4) / 1_000_000, 12);
    expect(await callsTo('arbiter-standin-small')).toEqual([expect.objectContaining({ status: 200, responseFormat: true, repair: false })]);
  });

  test('waits as Retry-After says after a 429 and then succeeds on the same model', async () => {
    await injectFault({ model: first.model, fault: 'rate-limit', retryAfterSeconds: 3 });
    const result = await propose([first, second]);
    expect(sleeps).toEqual([3000]);
    expect(result.modelId).toBe('standin-first');
    expect(result.attempts.map((a) => a.outcome)).toEqual(['rate-limited, waited 3000 ms', 'ok']);
    expect(await callsTo(second.model)).toHaveLength(0);
  });

  test('bounds a long Retry-After by maxRetryAfterMs', async () => {
    await injectFault({ model: first.model, fault: 'rate-limit', retryAfterSeconds: 120 });
    await propose([first], { maxRetryAfterMs: 250 });
    expect(sleeps).toEqual([250]);
  });

  test('moves to the next model after two rate-limit waits', async () => {
    await injectFault({ model: first.model, fault: 'rate-limit', times: 3, retryAfterSeconds: 1 });
    const result = await propose([first, second]);
    expect(sleeps).toEqual([1000, 1000]);
    expect(result.modelId).toBe('standin-second');
    expect(result.attempts.filter((a) => a.modelId === 'standin-first').map((a) => a.outcome)).toEqual([
      'rate-limited, waited 1000 ms',
      'rate-limited, waited 1000 ms',
      'rate-limited, gave up',
    ]);
  });

  test('retries server errors with backoff, then moves to the next model', async () => {
    await injectFault({ model: first.model, fault: 'server-error', times: -1 });
    const result = await propose([first, second]);
    expect(await callsTo(first.model)).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
    expect(result.modelId).toBe('standin-second');
    expect(result.attempts.map((a) => a.outcome)).toEqual(['server error 500', 'server error 500', 'server error 500', 'ok']);
  });

  test('succeeds on the same model when a server error clears within the retries', async () => {
    await injectFault({ model: first.model, fault: 'server-error', times: 2 });
    const result = await propose([first, second]);
    expect(result.modelId).toBe('standin-first');
    expect(await callsTo(first.model)).toHaveLength(3);
  });

  test('gives up on a model that times out and moves to the next', async () => {
    await injectFault({ model: first.model, fault: 'timeout', times: -1 });
    const result = await propose([first, second], { requestTimeoutMs: 200 });
    expect(result.modelId).toBe('standin-second');
    expect(result.attempts.filter((a) => a.modelId === 'standin-first').map((a) => a.outcome)).toEqual(['timeout', 'timeout', 'timeout']);
  });

  test.each([
    ['bad-request', 400],
    ['unauthorized', 401],
    ['not-found', 404],
  ] as const)('moves to the next model at once after %s', async (fault, status) => {
    await injectFault({ model: first.model, fault });
    const result = await propose([first, second]);
    expect(await callsTo(first.model)).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(result.modelId).toBe('standin-second');
    expect(result.attempts[0]).toEqual({ modelId: 'standin-first', outcome: `rejected ${status}` });
  });

  test('repairs malformed JSON once and accepts the repaired answer, paying for both calls', async () => {
    await injectFault({ model: first.model, fault: 'malformed-json' });
    const result = await propose([first, second]);
    expect(result.modelId).toBe('standin-first');
    expect(result.proposal.category).toBe('damaged');
    expect(result.attempts.map((a) => a.outcome)).toEqual(['invalid output (not a JSON object)', 'ok (repaired)']);
    expect((await callsTo(first.model)).map((call) => call.repair)).toEqual([false, true]);
    // The repair prompt carries the first answer as well, so it costs more than one plain call.
    const plain = await propose([second]);
    expect(result.tokensIn).toBeGreaterThan(2 * plain.tokensIn);
  });

  test('moves to the next model when the repaired answer is still the wrong shape', async () => {
    await injectFault({ model: first.model, fault: 'wrong-schema', times: 2 });
    const result = await propose([first, second]);
    expect(result.modelId).toBe('standin-second');
    const outcomes = result.attempts.filter((a) => a.modelId === 'standin-first').map((a) => a.outcome);
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]).toMatch(/^invalid output \(.*action/);
    expect(outcomes[1]).toMatch(/^invalid output after repair/);
  });

  test('throws a non-retryable NoModelAvailable with the attempts when every candidate fails', async () => {
    await injectFault({ model: first.model, fault: 'unauthorized' });
    await injectFault({ model: second.model, fault: 'server-error', times: -1 });
    const { failure, attempts } = await expectNoModel(propose([first, second]));
    expect(failure.message).toBe('no model could propose: standin-first: rejected 401; standin-second: server error 500');
    expect(attempts).toHaveLength(4);
    expect(attempts[0]).toEqual({ modelId: 'standin-first', outcome: 'rejected 401' });
  });

  test('throws NoModelAvailable when there are no candidates', async () => {
    const { failure, attempts } = await expectNoModel(propose([]));
    expect(failure.message).toMatch(/no model candidates/);
    expect(attempts).toEqual([]);
  });

  test('skips a provider whose base URL is not in the environment', async () => {
    const other = standinCandidate('elsewhere', 'arbiter-standin-rules', { provider: 'elsewhere' });
    const providers = { standin: { baseUrl: `${standinUrl}/v1` }, elsewhere: { baseUrl: 'env:ELSEWHERE_URL' } };
    const result = await propose([other, first], { providers });
    expect(result.attempts[0]).toEqual({ modelId: 'elsewhere', outcome: 'provider not configured (ELSEWHERE_URL unset)' });
    expect(result.modelId).toBe('standin-first');
  });

  test('reads a provider base URL from the environment', async () => {
    const result = await propose([first], { providers: { standin: { baseUrl: 'env:STANDIN_URL' } }, env: { STANDIN_URL: `${standinUrl}/v1` } });
    expect(result.attempts).toEqual([{ modelId: 'standin-first', outcome: 'ok' }]);
  });

  test('sends "[redacted]" for personal fields to a model that may not see them', async () => {
    const result = await propose([{ ...first, redact: true }]);
    // The stand-in finds no refund reason in a redacted message.
    expect(result.proposal).toMatchObject({ category: 'other', amount: 40 });
  });

  test('heartbeats model ids and call numbers, never the prompt, before each call inside an activity', async () => {
    await injectFault({ model: first.model, fault: 'server-error' });
    const heartbeats: unknown[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const request = refundRequest();
    const { proposeRefund } = proposer();
    await env.run(proposeRefund, { request, candidates: [first], personalFields: [] });
    expect(heartbeats).toEqual([
      { modelId: 'standin-first', call: 1 },
      { modelId: 'standin-first', call: 2 },
    ]);
  });

  test('works with the candidates routing picks from the shipped policy', async () => {
    const bundle = pinBundle(readPolicyFiles(DEFAULT_POLICY_DIR, 'refund'));
    const { candidates } = routeModels(bundle, { region: 'eu', estimatedInputTokens: 500, remainingRunBudgetUsd: 0.25 });
    const providers = { ...bundle.models.providers, standin: { baseUrl: `${standinUrl}/v1` } };
    const result = await propose(candidates, { providers });
    expect(result.modelId).toBe('standin-eu');
    expect(result.model).toMatch(/standin/);
  });
});

describe('proposeRefund on the wire', () => {
  interface Received {
    headers: IncomingHttpHeaders;
    body: {
      messages: { role: string; content: string }[];
      max_tokens?: number;
      temperature?: number;
      response_format?: { type: string; json_schema: { name: string; strict: boolean } };
    };
  }
  let recorder: Server;
  let recorderUrl: string;
  let received: Received[];
  let answer: { status: number; body: unknown };
  const proposal = { action: 'refund', amount: 40, currency: 'EUR', category: 'damaged', confidence: 0.9, rationale: 'broken on arrival' };

  beforeAll(async () => {
    recorder = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) as Received['body'] });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    recorder.listen(0, '127.0.0.1');
    await new Promise((resolve) => recorder.once('listening', resolve));
    recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise((resolve) => recorder.close(resolve)));
  beforeEach(() => {
    received = [];
    answer = {
      status: 200,
      body: {
        id: 'c-1',
        object: 'chat.completion',
        created: 0,
        model: 'recorded-model',
        choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(proposal) }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
      },
    };
  });

  const recorded = (overrides: Partial<RouteCandidate> = {}) =>
    standinCandidate('recorded', 'recorded-model', { provider: 'recorder', inputUsdPerMillionTokens: 2, outputUsdPerMillionTokens: 8, ...overrides });
  const viaRecorder = (candidates: RouteCandidate[], env: NodeJS.ProcessEnv = {}, request = refundRequest()) =>
    propose(candidates, { providers: { recorder: { baseUrl: recorderUrl, apiKeyEnv: 'RECORDER_KEY' } }, env: { RECORDER_KEY: 'sk-test-123', ...env } }, request);

  test('computes the cost from the usage and the candidate prices', async () => {
    const result = await viaRecorder([recorded()]);
    expect(result).toMatchObject({ tokensIn: 1000, tokensOut: 200, model: 'recorded (recorded-model)' });
    expect(result.costUsd).toBeCloseTo(0.0036, 12);
  });

  test('asks for structured output, the token limit and temperature 0, with the key from the environment', async () => {
    await viaRecorder([recorded({ maxOutputTokens: 321 })]);
    const [call] = received;
    expect(call?.headers.authorization).toBe('Bearer sk-test-123');
    expect(call?.body).toMatchObject({ max_tokens: 321, temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'refund_proposal', strict: true } } });
  });

  test('leaves response_format out for a model without structured output', async () => {
    await viaRecorder([recorded({ structuredOutput: false })]);
    expect(received[0]?.body.response_format).toBeUndefined();
  });

  test('redacts the customer id and message for a redacted candidate and nowhere else', async () => {
    const request = refundRequest({ message: 'My lamp arrived broken, call me on 555-0199.' });
    await viaRecorder([recorded({ redact: true })], {}, request);
    const sent = JSON.stringify(received[0]?.body.messages);
    expect(sent).not.toContain(request.customer.id);
    expect(sent).not.toContain('555-0199');
    expect(sent).toContain('\\"id\\": \\"[redacted]\\"');
    expect(sent).toContain('\\"message\\": \\"[redacted]\\"');
    expect(sent).toContain(request.order.id);
  });

  test('skips a provider whose API key variable is unset, without calling it', async () => {
    const { attempts } = await expectNoModel(viaRecorder([recorded()], { RECORDER_KEY: undefined }));
    expect(attempts).toEqual([{ modelId: 'recorded', outcome: 'provider not configured (RECORDER_KEY unset)' }]);
    expect(received).toEqual([]);
  });

  test('keeps the API key out of the failure', async () => {
    answer = { status: 401, body: { error: { message: 'Incorrect API key provided: sk-test-123', type: 'invalid_request_error' } } };
    const { failure, attempts } = await expectNoModel(viaRecorder([recorded()]));
    expect(JSON.stringify({ message: failure.message, attempts })).not.toContain('sk-test-123');
  });
});

describe('the triage prompt', () => {
  test('puts order, customer and message between BEGIN REQUEST and END REQUEST, and nothing else of the request', () => {
    const request = refundRequest();
    const messages = buildTriageMessages(request, { redact: [] });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    const user = String(messages[1]?.content);
    const block = user.slice(user.indexOf('BEGIN REQUEST\n') + 'BEGIN REQUEST\n'.length, user.indexOf('\nEND REQUEST'));
    expect(JSON.parse(block)).toEqual({ order: request.order, customer: request.customer, message: request.message });
    expect(user).not.toContain(request.tenant);
    expect(String(messages[0]?.content)).toMatch(/proposal/);
  });

  test('has a JSON schema with exactly the proposal fields, all required', () => {
    expect(Object.keys(REFUND_PROPOSAL_JSON_SCHEMA.properties).sort()).toEqual(Object.keys(refundProposalSchema.shape).sort());
    expect([...REFUND_PROPOSAL_JSON_SCHEMA.required].sort()).toEqual(Object.keys(refundProposalSchema.shape).sort());
  });
});

describe('redactFields', () => {
  test('replaces dotted paths in a deep copy and ignores unknown paths', () => {
    const request = refundRequest();
    const redacted = redactFields(request, ['customer.id', 'message', 'customer.email', 'nothing.here']);
    expect(redacted.customer).toEqual({ ...request.customer, id: '[redacted]' });
    expect(redacted.message).toBe('[redacted]');
    expect(redacted).not.toHaveProperty('customer.email');
    expect(request.message).not.toBe('[redacted]');
  });
});
