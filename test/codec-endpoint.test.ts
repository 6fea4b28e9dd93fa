// The codec routes of the approvers' endpoint over real HTTP: who may decode and encode, what a
// browser page of another origin gets, the cookie sign-in for the Web UI, and malformed bodies.
import http, { type IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createLogger } from '../runtime/logger';
import { EncryptionCodec } from '../runtime/payload-codec';
import { parsePayloadKeys } from '../runtime/payload-keys';
import { createApprovalServer, type ApprovalServer } from '../server/app';
import { createTokenVerifier } from '../server/auth';
import { CODEC_BODY_BYTES, CODEC_COOKIE } from '../server/codec-routes';
import { payloadToJson } from '../server/codec-payloads';
import { TEST_SECRET, tokenFor } from './helpers/http-approvals';
import { testDecisionKey } from './helpers/decision-key';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const OTHER_ORIGIN = 'http://127.0.0.1:9999';
const KEYS = `codec-test:${randomBytes(32).toString('base64')}`;
const MESSAGE = { message: 'The parcel arrived broken, please refund.', customer: 'Jane Roe' };

let approvals: ApprovalServer;
let baseUrl: string;
let operator: string;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each route answers its own shape
  body: any;
}

/** One request with exactly the headers given, as a browser or a script would send it. */
function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, baseUrl), { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

const json = (value: unknown) => JSON.stringify(value);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

async function encryptedBody(): Promise<string> {
  const [sealed] = await new EncryptionCodec(parsePayloadKeys(KEYS)).encode([defaultPayloadConverter.toPayload(MESSAGE)]);
  return json({ payloads: [payloadToJson(sealed!)] });
}

beforeAll(async () => {
  approvals = createApprovalServer({
    decisionKey: testDecisionKey(),
    // The codec routes never call Temporal; a lazy client never connects.
    temporal: new Client(),
    verifyToken: createTokenVerifier({ secret: TEST_SECRET }),
    logger: createLogger('codec-test', { level: 'silent' }),
    codec: { keyRing: parsePayloadKeys(KEYS), allowedOrigins: [UI_ORIGIN] },
  });
  baseUrl = `http://127.0.0.1:${await approvals.listen(0)}`;
  operator = await tokenFor('olga', ['operator'], { tenant: '*' });
});

afterAll(async () => {
  await approvals?.close();
});

describe('POST /codec/decode and /codec/encode', () => {
  it('decodes an encrypted payload for an operator back to its JSON, with base64 metadata and data', async () => {
    const answer = await call('POST', '/codec/decode', bearer(operator), await encryptedBody());
    expect(answer.status).toBe(200);
    const [payload] = answer.body.payloads;
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payload.data, 'base64').toString())).toEqual(MESSAGE);
  });

  it('encodes for an operator what decode then reads back, and passes plain payloads through decode', async () => {
    const plain = payloadToJson(defaultPayloadConverter.toPayload(MESSAGE));
    const encoded = await call('POST', '/codec/encode', bearer(operator), json({ payloads: [plain] }));
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('parcel');
    const decoded = await call('POST', '/codec/decode', bearer(operator), json({ payloads: [...encoded.body.payloads, plain] }));
    expect(decoded.body.payloads).toEqual([plain, plain]);
  });

  it('answers 401 without a token', async () => {
    const answer = await call('POST', '/codec/decode', { 'Content-Type': 'application/json' }, await encryptedBody());
    expect(answer.status).toBe(401);
    expect(answer.body.payloads).toBeUndefined();
  });

  it('answers 401 to a token signed with another secret', async () => {
    const forged = await (await import('../server/auth')).mintLocalToken('another-secret-0123456789-abcdefghijklmnop', { sub: 'mallory', roles: ['operator'] });
    expect((await call('POST', '/codec/decode', bearer(forged), await encryptedBody())).status).toBe(401);
  });

  it('answers 403 to a caller without the operator role, even a finance approver', async () => {
    const approver = await tokenFor('fin-1', ['finance', 'support-lead']);
    const answer = await call('POST', '/codec/decode', bearer(approver), await encryptedBody());
    expect(answer.status).toBe(403);
    expect(answer.body.error).toContain('operator');
  });

  it('answers 403 to an operator whose token names one tenant, or none: a payload does not say whose it is', async () => {
    const [oneTenant, noTenant] = await Promise.all([tokenFor('olga', ['operator']), tokenFor('olga', ['operator'], { tenant: undefined })]);
    const answers = [await call('POST', '/codec/decode', bearer(oneTenant), await encryptedBody()), await call('POST', '/codec/decode', bearer(noTenant), await encryptedBody())];
    expect(answers.map((a) => [a.status, a.body.code])).toEqual([
      [403, 'tenant'],
      [403, 'tenant'],
    ]);
  });

  it('answers 413 to a body over the codec limit before reading it', async () => {
    const answer = await call('POST', '/codec/decode', bearer(operator), 'x'.repeat(CODEC_BODY_BYTES + 1));
    expect(answer.status).toBe(413);
  });

  it('answers 415 to a body that is not JSON, so a cross-origin page cannot skip the preflight', async () => {
    const answer = await call('POST', '/codec/decode', { Authorization: `Bearer ${operator}`, 'Content-Type': 'text/plain' }, await encryptedBody());
    expect(answer.status).toBe(415);
  });

  it.each([
    ['no payloads list', {}, 'payloads'],
    ['data that is not base64', { payloads: [{ metadata: {}, data: 'not base64!' }] }, 'payloads.0.data'],
    ['metadata that is not base64', { payloads: [{ metadata: { encoding: '%%%' }, data: '' }] }, 'payloads.0.metadata.encoding'],
  ])('answers 400 naming the field to %s', async (_case, body, field) => {
    const answer = await call('POST', '/codec/decode', bearer(operator), json(body));
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe(field);
  });

  it('answers 400 naming the payload and its key id when it was sealed with an unknown key', async () => {
    const [sealed] = await new EncryptionCodec(parsePayloadKeys(`retired-1:${randomBytes(32).toString('base64')}`)).encode([defaultPayloadConverter.toPayload(MESSAGE)]);
    const plain = payloadToJson(defaultPayloadConverter.toPayload(1));
    const answer = await call('POST', '/codec/decode', bearer(operator), json({ payloads: [plain, payloadToJson(sealed!)] }));
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('payloads.1');
    expect(answer.body.error).toContain('"retired-1"');
  });
});

describe('CORS for the Web UI', () => {
  const preflight = (origin: string, path = '/codec/decode', method = 'POST') =>
    call('OPTIONS', path, { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type,x-namespace' });

  it("answers the Web UI's preflight with its origin, credentials and the headers it sends", async () => {
    const answer = await preflight(UI_ORIGIN);
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(answer.headers['access-control-allow-credentials']).toBe('true');
    expect(answer.headers['access-control-allow-methods']).toBe('POST');
    expect(answer.headers['access-control-allow-headers']).toMatch(/Content-Type.*X-Namespace.*Authorization/);
    expect(answer.headers.vary).toContain('Origin');
  });

  it('refuses the preflight of any other origin, without CORS headers', async () => {
    for (const origin of [OTHER_ORIGIN, 'http://localhost:8233.evil.example', 'null']) {
      const answer = await preflight(origin);
      expect(answer.status).toBe(403);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses a preflight for another method, and for the cookie route even from the Web UI', async () => {
    expect((await preflight(UI_ORIGIN, '/codec/decode', 'DELETE')).status).toBe(403);
    const session = await preflight(UI_ORIGIN, '/codec/session');
    expect(session.status).toBe(403);
    expect(session.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("lets the Web UI's origin read a decode answer, and refuses a page of another origin even with a valid token", async () => {
    const fromUi = await call('POST', '/codec/decode', { ...bearer(operator), Origin: UI_ORIGIN }, await encryptedBody());
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    const fromOther = await call('POST', '/codec/decode', { ...bearer(operator), Origin: OTHER_ORIGIN }, await encryptedBody());
    expect(fromOther.status).toBe(403);
    expect(fromOther.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the Web UI cookie', () => {
  async function signIn(token: string): Promise<Answer> {
    return call('POST', '/codec/session', { Authorization: `Bearer ${token}` });
  }
  const cookieOf = (answer: Answer) => String(answer.headers['set-cookie']?.[0] ?? '').split(';')[0]!;

  it('is set for an operator as HttpOnly, SameSite=Strict, limited to /codec and to the token lifetime', async () => {
    const answer = await signIn(await tokenFor('olga', ['operator'], { tenant: '*', expiresIn: '15m' }));
    expect(answer.status).toBe(204);
    const cookie = answer.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(new RegExp(`^${CODEC_COOKIE}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/codec');
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(14 * 60);
    expect(maxAge).toBeLessThanOrEqual(15 * 60);
  });

  it('is refused to a caller without the operator role, and to no token at all', async () => {
    const refused = await signIn(await tokenFor('carol', ['support-lead']));
    expect(refused.status).toBe(403);
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect((await call('POST', '/codec/session')).status).toBe(401);
  });

  it('lets a decode from the Web UI origin through on the cookie alone', async () => {
    const cookie = cookieOf(await signIn(operator));
    const answer = await call('POST', '/codec/decode', { Cookie: cookie, Origin: UI_ORIGIN, 'Content-Type': 'application/json' }, await encryptedBody());
    expect(answer.status).toBe(200);
    expect(JSON.parse(Buffer.from(answer.body.payloads[0].data, 'base64').toString())).toEqual(MESSAGE);
  });

  it('counts for nothing without the Web UI origin: not without an Origin, not from another page', async () => {
    const cookie = cookieOf(await signIn(operator));
    const headers = { Cookie: cookie, 'Content-Type': 'application/json' };
    expect((await call('POST', '/codec/encode', headers, json({ payloads: [] }))).status).toBe(401);
    expect((await call('POST', '/codec/encode', { ...headers, Origin: OTHER_ORIGIN }, json({ payloads: [] }))).status).toBe(403);
  });

  it('is not accepted as a bearer of other routes', async () => {
    const cookie = cookieOf(await signIn(operator));
    expect((await call('GET', '/approvals', { Cookie: cookie, Origin: UI_ORIGIN })).status).toBe(401);
  });

  it('is cleared by DELETE /codec/session', async () => {
    const answer = await call('DELETE', '/codec/session');
    expect(answer.status).toBe(204);
    expect(answer.headers['set-cookie']?.[0]).toMatch(new RegExp(`^${CODEC_COOKIE}=; Max-Age=0; Path=/codec`));
  });
});
