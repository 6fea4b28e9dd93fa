// The stand-ins' HTTP server: one process standing in for the payments, CRM, notification, catalog,
// channel and ERP systems that Arbiter's saga activities call, with idempotency and fault injection built in.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { closeServer, listenOn } from '../runtime/http-entry';
import { createLogger } from '../runtime/logger';
import { catalogRoutes } from './catalog';
import { channelRoutes } from './channels';
import { crmRoutes } from './crm';
import { erpCustomerRoutes, erpEffectRoutes } from './erp';
import { ReplyError, sendJson, type Reply } from './http';
import { serveIdempotently } from './idempotency';
import { buildLedger, buildPriceLedger } from './ledger';
import { lookupRoutes } from './lookups';
import { answerMcp, MCP_PATH } from './mcp-server';
import { notificationRoutes } from './notifications';
import { orderRoutes } from './orders';
import { paymentRoutes } from './payments';
import { matchTemplate, type HttpRoute, type PathParams, type RouteAnswer } from './routes';
import { openStateStore, type StateStore } from './store';

export interface StandInServerOptions {
  statePath: string;
  logger?: Logger;
}

export interface StandInServer {
  server: http.Server;
  /** Resolves with the port actually bound (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2_000;

export function createStandInServer(options: StandInServerOptions): StandInServer {
  const logger = options.logger ?? createLogger('arbiter-standins');
  const store = openStateStore(options.statePath);
  const routes = buildRoutes(store);

  const server = http.createServer((req, res) => {
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://standins').pathname;
    if (path === MCP_PATH) {
      await answerMcpLogged(req, res, startedAt);
      return;
    }
    let answered: RouteAnswer;
    try {
      answered = await dispatch(routes, method, path, req);
    } catch (error) {
      if (error instanceof ReplyError) {
        answered = { reply: error.reply };
      } else {
        logger.error({ err: error, method, path }, 'stand-in request failed');
        answered = { reply: { status: 500, body: { error: 'stand-ins: internal error' } } };
      }
    }
    const { reply, headers = {} } = answered;
    // After a 413 the rest of the body is unread; closing the connection keeps it from being
    // taken for the next request on a kept-alive socket.
    const closeHeader: Record<string, string> = reply.status === 413 ? { connection: 'close' } : {};
    sendJson(res, reply, { ...headers, ...closeHeader });
    // Method, path and status only: bodies hold personal data and are never logged.
    const replayed = headers['idempotent-replayed'] === 'true';
    const ms = Math.round(performance.now() - startedAt);
    logger.info({ method, path, status: reply.status, replayed, ms }, 'stand-in request');
  }

  /** MCP answers are the SDK's JSON-RPC, streamed by its transport: logged the same way, never their bodies. */
  async function answerMcpLogged(req: IncomingMessage, res: ServerResponse, startedAt: number): Promise<void> {
    let status: number;
    try {
      status = await answerMcp(store.state, req, res);
    } catch (error) {
      if (error instanceof ReplyError) {
        sendJson(res, error.reply, error.reply.status === 413 ? { connection: 'close' } : {});
        status = error.reply.status;
      } else {
        logger.error({ err: error, path: MCP_PATH }, 'stand-in MCP request failed');
        if (!res.headersSent) sendJson(res, { status: 500, body: { error: 'stand-ins: internal error' } });
        status = 500;
      }
    }
    logger.info({ method: req.method, path: MCP_PATH, status, ms: Math.round(performance.now() - startedAt) }, 'stand-in request');
  }

  return {
    server,
    listen: (port, host) => listenOn(server, port, host),
    async close() {
      await closeServer(server, CLOSE_GRACE_MS);
      await store.settled();
    },
  };
}

function buildRoutes(store: StateStore): HttpRoute[] {
  const plain: HttpRoute[] = [
    {
      method: 'GET',
      template: '/healthz',
      handle: async () => ({ reply: { status: 200, body: { ok: true, service: 'arbiter-standins' } } }),
    },
    {
      method: 'GET',
      template: '/state',
      handle: async () => {
        const { orders, reservations, refunds, cases, messages, prices, priceChanges, publications, creditCustomers, creditLimitChanges } = store.state;
        const body = {
          orders,
          reservations,
          refunds,
          cases,
          messages,
          ledger: buildLedger(store.state),
          prices,
          priceChanges,
          publications,
          priceLedger: buildPriceLedger(store.state),
          creditCustomers,
          creditLimitChanges,
        };
        return { reply: { status: 200, body } };
      },
    },
    {
      // For tests and demos; it has no Idempotency-Key because wiping twice is the same as once.
      method: 'POST',
      template: '/reset',
      handle: async () => {
        await store.reset();
        return { reply: { status: 200, body: { ok: true } } };
      },
    },
  ];
  const effects = [...paymentRoutes, ...crmRoutes, ...notificationRoutes, ...catalogRoutes, ...channelRoutes, ...erpEffectRoutes].map((route) => serveIdempotently(store, route));
  return [...plain, ...orderRoutes(store), ...lookupRoutes(store), ...erpCustomerRoutes(store), ...effects];
}

async function dispatch(routes: HttpRoute[], method: string, path: string, req: IncomingMessage): Promise<RouteAnswer> {
  const matches: Array<{ route: HttpRoute; params: PathParams }> = [];
  for (const route of routes) {
    const params = matchTemplate(route.template, path);
    if (params) matches.push({ route, params });
  }
  const match = matches.find((candidate) => candidate.route.method === method);
  if (match) return match.route.handle(req, match.params);
  if (matches.length === 0) return { reply: notFound(method, path) };
  const allowed = [...new Set(matches.map((candidate) => candidate.route.method))].join(', ');
  return {
    reply: { status: 405, body: { error: `${method} is not allowed on ${path}; use ${allowed}` } },
    headers: { allow: allowed },
  };
}

function notFound(method: string, path: string): Reply {
  return { status: 404, body: { error: `no stand-in route for ${method} ${path}` } };
}
