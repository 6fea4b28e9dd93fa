// The codec server the Temporal Web UI (and `temporal --codec-endpoint`) reads payloads through:
// POST /codec/decode and /codec/encode, for callers with the `operator` role only. The UI calls it
// from its own origin, so these routes answer CORS for the configured UI origins and nobody else.
//
// How a browser authenticates: a UI with a login passes its access token as a bearer token; the
// dev server's UI has no login, so an operator signs in once with POST /codec/session (bearer
// token), which sets an HttpOnly, SameSite=Strict cookie scoped to /codec that the UI's
// credentialed fetch carries. A cookie is ambient, so it counts only on a request whose Origin is
// an allowed UI origin: another page, even on the same site, cannot use it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import type { PayloadCodec } from '@temporalio/common';
import { EncryptionCodec, PayloadDecryptionError } from '../runtime/payload-codec';
import type { PayloadKeyRing } from '../runtime/payload-keys';
import { ALL_TENANTS, AuthError, type Caller, type TokenVerifier } from './auth';
import { codecRequestSchema, payloadFromJson, payloadToJson } from './codec-payloads';
import { bearerToken, HttpError, parseBody, readJsonBody, sendError, sendJson, SECURITY_HEADERS } from './http';
import { createRateLimiter } from './rate-limit';

export const CODEC_ROLE = 'operator';
export const CODEC_COOKIE = 'arbiter_codec_token';
/**
 * Temporal refuses a payload over 2 MiB (its blob size limit); base64 makes that about 2.7 MiB of
 * JSON. 4 MiB holds one such payload with its framing, where a decision body needs 16 KiB.
 */
export const CODEC_BODY_BYTES = 4 * 1024 * 1024;
/** A cookie outlives neither its token nor a working day. */
const MAX_COOKIE_SECONDS = 8 * 60 * 60;
/** What the Web UI sends: JSON, its namespace, and with "pass the user access token" its tokens. */
const ALLOWED_REQUEST_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';
/** The UI decodes each event's payloads in a request of its own: a long history is a burst. */
const CODEC_RATE = { ratePerSecond: 100, burst: 400 };

export interface CodecRoutesDeps {
  keyRing: PayloadKeyRing;
  allowedOrigins: string[];
  verifyToken: TokenVerifier;
  bodyBytes?: number;
}

export type CodecRoute = 'decode' | 'encode' | 'session';
const PATHS: Record<string, CodecRoute> = { '/codec/decode': 'decode', '/codec/encode': 'encode', '/codec/session': 'session' };

export function isCodecPath(pathname: string): boolean {
  return pathname in PATHS;
}

export function codecRoutes(deps: CodecRoutesDeps) {
  const codec: PayloadCodec = new EncryptionCodec(deps.keyRing);
  const allowed = new Set(deps.allowedOrigins);
  const bodyBytes = deps.bodyBytes ?? CODEC_BODY_BYTES;
  const allow = createRateLimiter(CODEC_RATE);

  /** Answers one request to a codec path; `seen` receives the caller's id for the request log. */
  async function handle(req: IncomingMessage, res: ServerResponse, pathname: string, seen: { callerId?: string }): Promise<void> {
    const route = PATHS[pathname]!;
    const origin = req.headers.origin;
    const fromAllowedOrigin = origin !== undefined && allowed.has(origin);
    // Read by the browser only for the UI's origins; every other origin gets no CORS headers at all.
    const cors: Record<string, string> = fromAllowedOrigin && route !== 'session' ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : { Vary: 'Origin' };
    try {
      const rate = allow(req.socket.remoteAddress ?? 'unknown');
      if (!rate.allowed) throw new HttpError(429, 'rate-limited', 'too many requests from this address; slow down', undefined, { 'Retry-After': String(rate.retryAfterSeconds) });
      if (req.method === 'OPTIONS') return preflight(req, res, route, fromAllowedOrigin, cors);
      if (route === 'session') return await session(req, res, seen);
      if (req.method !== 'POST') throw new HttpError(405, 'method-not-allowed', 'use POST', undefined, { Allow: 'POST' });
      // A page of another origin has no business here, whatever credentials it holds.
      if (origin !== undefined && !fromAllowedOrigin) throw new HttpError(403, 'origin-not-allowed', 'this origin may not call the codec');
      const caller = await authenticate(req, fromAllowedOrigin);
      seen.callerId = caller.id;
      requireOperator(caller);
      const body = parseBody(codecRequestSchema, await readJsonBody(req, bodyBytes));
      const payloads = await transform(route, body.payloads.map(payloadFromJson));
      sendJson(res, 200, { payloads: payloads.map(payloadToJson) }, cors);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, new HttpError(err.status, err.code, err.message, err.field, { ...err.headers, ...cors }));
      throw err;
    }
  }

  /** One payload at a time, so a refusal names which one could not be read. */
  async function transform(route: 'decode' | 'encode', payloads: ReturnType<typeof payloadFromJson>[]) {
    if (route === 'encode') return codec.encode(payloads);
    return Promise.all(
      payloads.map(async (payload, index) => {
        try {
          const [decoded] = await codec.decode([payload]);
          return decoded!;
        } catch (err) {
          if (err instanceof PayloadDecryptionError) throw new HttpError(400, 'undecodable-payload', `payloads.${index}: ${err.message}`, `payloads.${index}`);
          throw err;
        }
      }),
    );
  }

  async function authenticate(req: IncomingMessage, fromAllowedOrigin: boolean): Promise<Caller> {
    const cookie = cookieToken(req);
    // A bearer token is sent on purpose; a cookie rides along with any request, so it counts only with the UI's Origin.
    const useCookie = req.headers.authorization === undefined && cookie !== undefined && fromAllowedOrigin;
    const token = useCookie ? cookie : bearerToken(req);
    try {
      return await deps.verifyToken(token);
    } catch (err) {
      if (err instanceof AuthError) throw new HttpError(401, 'unauthenticated', err.message, undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      throw err;
    }
  }

  /**
   * POST: a bearer token with the operator role becomes the cookie (a cross-origin page cannot
   * send that header: this path answers no preflight). DELETE: the cookie is cleared.
   */
  async function session(req: IncomingMessage, res: ServerResponse, seen: { callerId?: string }): Promise<void> {
    if (req.method === 'DELETE') {
      res.writeHead(204, { ...SECURITY_HEADERS, 'Set-Cookie': sessionCookie('', 0, isHttps(req)) });
      return void res.end();
    }
    if (req.method !== 'POST') throw new HttpError(405, 'method-not-allowed', 'use POST or DELETE', undefined, { Allow: 'POST, DELETE' });
    const token = bearerToken(req);
    const caller = await authenticate(req, false);
    seen.callerId = caller.id;
    requireOperator(caller);
    const expiresAt = decodeJwt(token).exp ?? 0;
    const seconds = Math.min(MAX_COOKIE_SECONDS, Math.floor(expiresAt - Date.now() / 1000));
    res.writeHead(204, { ...SECURITY_HEADERS, 'Set-Cookie': sessionCookie(token, Math.max(seconds, 0), isHttps(req)) });
    res.end();
  }

  return { handle };
}

function preflight(req: IncomingMessage, res: ServerResponse, route: CodecRoute, fromAllowedOrigin: boolean, cors: Record<string, string>): void {
  const method = req.headers['access-control-request-method'];
  if (route === 'session' || !fromAllowedOrigin || method !== 'POST') {
    throw new HttpError(403, 'preflight-refused', 'cross-origin calls are allowed only from the Temporal Web UI, with POST, to /codec/decode and /codec/encode');
  }
  res.writeHead(204, {
    ...cors,
    'Access-Control-Allow-Methods': 'POST',
    'Access-Control-Allow-Headers': ALLOWED_REQUEST_HEADERS,
    'Access-Control-Max-Age': '600',
    'Content-Length': 0,
  });
  res.end();
}

function requireOperator(caller: Caller): void {
  if (!caller.roles.includes(CODEC_ROLE)) throw new HttpError(403, 'forbidden', `reading payloads needs the ${CODEC_ROLE} role`);
  // A payload does not say whose it is, so decoding spans tenants: only an explicit `*` claim may.
  if (caller.tenant !== ALL_TENANTS) {
    throw new HttpError(403, 'tenant', 'reading payloads spans tenants; it needs a token with tenant "*" (arbiter token --all-tenants)');
  }
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CODEC_COOKIE && value.length) return value.join('=') || undefined;
  }
  return undefined;
}

/** HttpOnly: no script reads it; SameSite=Strict: no other site's request carries it; Path: only the codec routes. */
function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${CODEC_COOKIE}=${token}; Max-Age=${maxAgeSeconds}; Path=/codec; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** Behind a TLS proxy the browser's Origin says https; then the cookie never travels in clear. */
function isHttps(req: IncomingMessage): boolean {
  return (req.headers.origin ?? '').startsWith('https:');
}
