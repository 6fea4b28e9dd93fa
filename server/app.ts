// The approvers' HTTP server: routes, the per-address rate limit, token checks and one log
// line per request (never the Authorization header, never a body: both can carry personal data).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { closeServer, listenOn } from '../runtime/http-entry';
import { temporalApprovalSource, type ApprovalSourceOptions } from './approvals-source';
import { AuthError, type Caller, type TokenVerifier } from './auth';
import type { OidcSignIn } from './auth-config';
import { codecRoutes, isCodecPath, type CodecRoutesDeps } from './codec-routes';
import { bearerToken, HttpError, sendError, sendJson } from './http';
import { createRateLimiter } from './rate-limit';
import { approvalRoutes, type ApprovalRoutes } from './routes';
import { refusalRecorder } from './refusal-audit';
import type { EndpointMetrics } from './metrics';
import { RequestTrace } from './request-trace';
import type { AuditSink } from '../activities/audit';
import type { DecisionSigningKey } from '../runtime/decision-key';
import { loadPage, type PagePath } from './static-page';

export interface ApprovalServerDeps {
  temporal: Client;
  verifyToken: TokenVerifier;
  logger: Logger;
  limits?: { bodyBytes?: number; ratePerSecond?: number; burst?: number };
  temporalCalls?: ApprovalSourceOptions;
  /** Where decisions refused by the endpoint itself are recorded. */
  audit?: AuditSink;
  /** Every agent id of every policy (see `policyAgentIdsIn`): a token under one of them is refused. */
  agentIds?: ReadonlySet<string>;
  /** The identity provider the page signs people in with; without it the page asks for a token. */
  signIn?: OidcSignIn;
  /** Signs every decision and proposal forwarded to a run; the run takes none unsigned (runtime/decision-key.ts). */
  decisionKey: DecisionSigningKey;
  /** The codec routes for the Temporal Web UI (server/codec-routes.ts); without it they answer 404. */
  codec?: Omit<CodecRoutesDeps, 'verifyToken'>;
  /** Counts the refusals it answers (server/metrics.ts); served on the metrics listener, not here. */
  metrics?: Pick<EndpointMetrics, 'countingRefusals'>;
}

export interface ApprovalServer {
  server: http.Server;
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

const DEFAULT_LIMITS = { bodyBytes: 16 * 1024, ratePerSecond: 20, burst: 40 };
/** In-flight requests get this long to finish when the server closes; idle keep-alive sockets close at once. */
const CLOSE_GRACE_MS = 5_000;

/** `health`, `page` and `signInConfig` need no token; every other route is an API call with a caller. */
type RouteName = 'health' | 'page' | 'signInConfig' | keyof ApprovalRoutes;
interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  name: RouteName;
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/healthz$/, name: 'health' },
  { method: 'GET', pattern: /^\/(?:app\.js|oidc\.js|style\.css)?$/, name: 'page' },
  { method: 'GET', pattern: /^\/auth\/config$/, name: 'signInConfig' },
  { method: 'GET', pattern: /^\/approvals$/, name: 'list' },
  { method: 'GET', pattern: /^\/approvals\/([^/]+)$/, name: 'show' },
  { method: 'POST', pattern: /^\/approvals\/([^/]+)\/decision$/, name: 'decide' },
  { method: 'POST', pattern: /^\/approvals\/([^/]+)\/proposal$/, name: 'propose' },
];

export function createApprovalServer(deps: ApprovalServerDeps): ApprovalServer {
  const { temporal, verifyToken, logger } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const agentIds = deps.agentIds ?? new Set<string>();
  const routes = approvalRoutes({
    source: temporalApprovalSource(temporal, logger, deps.temporalCalls),
    bodyBytes: limits.bodyBytes,
    recordRefusal: deps.metrics ? deps.metrics.countingRefusals(refusalRecorder(deps.audit, logger)) : refusalRecorder(deps.audit, logger),
    agentIds,
    decisionKey: deps.decisionKey,
  });
  const servePage = loadPage(undefined, deps.signIn);
  const allow = createRateLimiter({ ratePerSecond: limits.ratePerSecond, burst: limits.burst });
  const codec = deps.codec && codecRoutes({ ...deps.codec, verifyToken });

  async function authenticate(req: IncomingMessage): Promise<Caller> {
    const token = bearerToken(req);
    try {
      return await verifyToken(token);
    } catch (err) {
      if (err instanceof AuthError) throw new HttpError(401, 'unauthenticated', err.message, undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      throw err;
    }
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, pathname: string, seen: { callerId?: string }, trace: RequestTrace): Promise<void> {
    // The codec has its own rate, body limit, CORS and authentication (a cookie for the Web UI).
    if (codec && isCodecPath(pathname)) return codec.handle(req, res, pathname, seen);
    const address = req.socket.remoteAddress ?? 'unknown';
    const rate = allow(address);
    if (!rate.allowed) {
      throw new HttpError(429, 'rate-limited', 'too many requests from this address; slow down', undefined, { 'Retry-After': String(rate.retryAfterSeconds) });
    }
    const matching = ROUTES.filter((r) => r.pattern.test(pathname));
    if (!matching.length) throw new HttpError(404, 'not-found', 'no such resource');
    const route = matching.find((r) => r.method === req.method);
    trace.named(route?.name ?? matching[0]!.name);
    if (!route) {
      throw new HttpError(405, 'method-not-allowed', `use ${matching.map((r) => r.method).join(' or ')}`, undefined, { Allow: matching.map((r) => r.method).join(', ') });
    }
    if (route.name === 'health') return sendJson(res, 200, { ok: true });
    if (route.name === 'page') return servePage(res, pathname as PagePath);
    if (route.name === 'signInConfig') return sendJson(res, 200, deps.signIn ? { signIn: 'oidc', ...deps.signIn } : { signIn: 'token' });
    const caller = await authenticate(req);
    seen.callerId = caller.id;
    // Authentic tokens that grant nothing: no tenant (fail closed, never every tenant), or an
    // identity that is an agent's (a person must never act with an agent's name, or as one).
    if (caller.tenant === undefined) {
      throw new HttpError(403, 'tenant', 'the token names no tenant; ask for a token with a tenant claim (or an explicit "*" for operators of every tenant)');
    }
    if (agentIds.has(caller.id)) throw new HttpError(403, 'not-a-person', `${caller.id} is an agent's id; people use their own`);
    await routes[route.name]({ req, res, caller, workflowId: workflowIdFrom(route.pattern, pathname), trace });
  }

  const server = http.createServer((req, res) => {
    const startedAt = performance.now();
    const pathname = pathOf(req.url);
    const seen: { callerId?: string } = {};
    const trace = new RequestTrace(req.method);
    res.once('close', () => {
      const entry = { method: req.method, path: pathname, status: res.statusCode, ms: Math.round(performance.now() - startedAt), caller: seen.callerId };
      // Set once a token (or the codec's cookie) was accepted: only such requests make spans.
      if (seen.callerId !== undefined) trace.authenticated();
      logger.info({ ...entry, ...trace.end(res.statusCode) }, 'request');
    });
    trace.untraced(() => dispatch(req, res, pathname, seen, trace)).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) return sendError(res, err);
      // Names and messages only: a Temporal error's cause can carry the payload it was sent.
      logger.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, path: pathname }, 'request failed');
      sendError(res, new HttpError(500, 'internal', 'the request failed; it has been logged'));
    });
  });
  // Slow clients must not hold sockets open: a whole request (headers and body) gets 30 s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return {
    server,
    listen: (port, host) => listenOn(server, port, host),
    close: () => closeServer(server, CLOSE_GRACE_MS),
  };
}

/** The path without the query string: a query can carry anything, and logs must stay clean. */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://approvals.invalid').pathname;
  } catch {
    return '/';
  }
}

function workflowIdFrom(pattern: RegExp, pathname: string): string {
  const encoded = pattern.exec(pathname)?.[1] ?? '';
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(404, 'not-found', 'no such workflow');
  }
}
