// The endpoint's Prometheus metrics: what waits for people and what is stuck, read from
// visibility and the runs' cards when Prometheus scrapes, plus the refusals the endpoint answered.
// Served on a listener of its own (ARBITER_ENDPOINT_METRICS_ADDRESS), never on the approvers'
// port: the figures name tenants and their backlogs, so the listener is meant for the private
// network, and ARBITER_ENDPOINT_METRICS_TOKEN is required as a bearer token (it must be set unless
// the listener is on a loopback address).
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { ArbiterApprovalPending, ArbiterProcess, ArbiterStage, ArbiterTenant, SagaStage } from '../common/constants';
import { EndpointMetric } from '../common/metric-names';
import { readLimitedBody } from '../runtime/read-body';
import { closeServer, listenOn } from '../runtime/http-entry';
import { temporalApprovalSource } from './approvals-source';
import { HttpError, sendError } from './http';
import { createRateLimiter } from './rate-limit';
import type { RefusalRecorder } from './refusal-audit';
import { isLoopbackHost } from './auth-config';

export interface EndpointMetricsOptions {
  /**
   * Cards read per scrape for the age and expiry gauges (each costs a query, and a run not in the
   * worker's cache is replayed to answer it); counts are never capped. A card already read is not
   * read again while its run waits on it.
   */
  maxCards?: number;
  /** A scrape within this long of the last one is answered from it. */
  minIntervalMs?: number;
  now?: () => number;
}

export interface EndpointMetrics {
  registry: Registry;
  /** Reads visibility and the waiting cards into the gauges; concurrent calls share one read. */
  refresh(): Promise<void>;
  /** Counts a refusal the endpoint answered (its own, or the run's validator's), then records it as `next` does. */
  countingRefusals(next: RefusalRecorder): RefusalRecorder;
}

type Kind = 'approval' | 'proposal';
interface Waiting {
  count: number;
  oldestAgeSeconds?: number;
  nextExpirySeconds?: number;
}
/** A card's times, in ms since the epoch. */
interface CardTimes {
  createdAt: number;
  expiresAt: number;
}

export function createEndpointMetrics(temporal: Client, logger: Logger, options: EndpointMetricsOptions = {}): EndpointMetrics {
  const { maxCards = 200, minIntervalMs = 5_000, now = Date.now } = options;
  const source = temporalApprovalSource(temporal, logger);
  const registry = new Registry();
  const labelNames = ['process', 'tenant', 'kind'] as const;
  const pending = new Gauge({ name: EndpointMetric.approvalsPending, help: 'runs waiting for a person (approval or proposal), by process, tenant and kind', labelNames, registers: [registry] });
  const oldest = new Gauge({ name: EndpointMetric.approvalOldestAgeSeconds, help: 'age of the oldest waiting card, from its creation', labelNames, registers: [registry] });
  const nextExpiry = new Gauge({ name: EndpointMetric.approvalNextExpirySeconds, help: 'seconds until the first waiting card expires', labelNames, registers: [registry] });
  const stuck = new Gauge({ name: EndpointMetric.compensationsStuck, help: 'running runs with a compensation waiting for an operator', labelNames: ['process', 'tenant'], registers: [registry] });
  const up = new Gauge({ name: EndpointMetric.visibilityUp, help: '1 when the last scrape could read visibility, 0 when the gauges above are empty for want of it', registers: [registry] });
  const refusals = new Counter({
    name: EndpointMetric.refusals,
    help: 'decisions and proposals the endpoint refused, its own checks and the run validator alike, by code',
    labelNames: ['process', 'tenant', 'code', 'attempted'],
    registers: [registry],
  });

  /**
   * The times of every card read, by run and what it waits for: they do not change while the run
   * waits on that card, and each read costs the run a replay when the worker has evicted it (a
   * scrape reading every card would evict the runs people are deciding on).
   */
  const cardTimes = new Map<string, CardTimes>();

  async function read(): Promise<void> {
    const waiting = new Map<string, Waiting & { labels: Record<(typeof labelNames)[number], string> }>();
    const listed: { workflowId: string; card: string; key: string }[] = [];
    const pendingQuery = `${ArbiterApprovalPending.name} = true AND ExecutionStatus = 'Running'`;
    for await (const info of temporal.workflow.list({ query: pendingQuery })) {
      const attributes = info.typedSearchAttributes;
      const kind: Kind = attributes.get(ArbiterStage) === 'awaiting-proposal' ? 'proposal' : 'approval';
      const labels = { process: attributes.get(ArbiterProcess) ?? 'unknown', tenant: attributes.get(ArbiterTenant) ?? 'unknown', kind };
      const key = JSON.stringify(labels);
      const entry = waiting.get(key) ?? { count: 0, labels };
      entry.count += 1;
      waiting.set(key, entry);
      listed.push({ workflowId: info.workflowId, card: `${info.workflowId}/${info.runId}/${kind}`, key });
    }
    const at = now();
    // A run no longer waiting, or now waiting for something else, is forgotten. A card past its
    // expiry whose run still waits (its workers are down) keeps its times: a negative expiry says so.
    const stillWaiting = new Set(listed.map(({ card }) => card));
    for (const card of cardTimes.keys()) if (!stillWaiting.has(card)) cardTimes.delete(card);
    const cardsToRead = listed.filter(({ card }) => !cardTimes.has(card)).slice(0, maxCards);
    await forEachConcurrently(cardsToRead, 8, async ({ workflowId, card }) => {
      // A run that does not answer leaves its card out of the age and expiry, not the count, and is asked again next time.
      const view = await source.view(workflowId).catch(() => undefined);
      if (view) cardTimes.set(card, { createdAt: Date.parse(view.card.createdAt), expiresAt: Date.parse(view.card.expiresAt) });
    });
    for (const { card, key } of listed) {
      const times = cardTimes.get(card);
      const entry = waiting.get(key);
      if (!times || !entry) continue;
      const age = Math.max(0, (at - times.createdAt) / 1000);
      const left = (times.expiresAt - at) / 1000;
      entry.oldestAgeSeconds = Math.max(entry.oldestAgeSeconds ?? 0, age);
      entry.nextExpirySeconds = Math.min(entry.nextExpirySeconds ?? Infinity, left);
    }
    const stuckRuns = new Map<string, { labels: { process: string; tenant: string }; count: number }>();
    for await (const info of temporal.workflow.list({ query: `${ArbiterStage.name} = '${SagaStage.compensationStuck}' AND ExecutionStatus = 'Running'` })) {
      const labels = { process: info.typedSearchAttributes.get(ArbiterProcess) ?? 'unknown', tenant: info.typedSearchAttributes.get(ArbiterTenant) ?? 'unknown' };
      const key = JSON.stringify(labels);
      stuckRuns.set(key, { labels, count: (stuckRuns.get(key)?.count ?? 0) + 1 });
    }
    // Reset, then set: a tenant whose last card was decided drops out instead of keeping its last count.
    for (const gauge of [pending, oldest, nextExpiry, stuck]) gauge.reset();
    for (const { labels, count, oldestAgeSeconds, nextExpirySeconds } of waiting.values()) {
      pending.set(labels, count);
      if (oldestAgeSeconds !== undefined) oldest.set(labels, oldestAgeSeconds);
      if (nextExpirySeconds !== undefined) nextExpiry.set(labels, nextExpirySeconds);
    }
    for (const { labels, count } of stuckRuns.values()) stuck.set(labels, count);
  }

  let inFlight: Promise<void> | undefined;
  let lastReadAt = -Infinity;
  async function refresh(): Promise<void> {
    if (inFlight) return inFlight;
    if (now() - lastReadAt < minIntervalMs) return;
    // A scrape is not what traces are for: its listings and card reads would each start one.
    inFlight = context
      .with(suppressTracing(context.active()), read)
      .then(
        () => up.set(1),
        (err: unknown) => {
          logger.warn({ err: (err as Error)?.message }, 'metrics: visibility could not be read');
          for (const gauge of [pending, oldest, nextExpiry, stuck]) gauge.reset();
          up.set(0);
        },
      )
      .finally(() => {
        lastReadAt = now();
        inFlight = undefined;
      });
    return inFlight;
  }

  const countingRefusals = (next: RefusalRecorder): RefusalRecorder => async (workflowId, view, caller, refusal, attempted = 'decision') => {
    if (view) refusals.inc({ process: view.card.process, tenant: view.card.tenant, code: refusal.code, attempted });
    await next(workflowId, view, caller, refusal, attempted);
  };

  return { registry, refresh, countingRefusals };
}

export interface MetricsServer {
  server: http.Server;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** `GET /metrics` and nothing else; no body is taken (limit 0), and a token when one is configured. */
export function createMetricsServer(metrics: EndpointMetrics, options: { token?: string; logger: Logger }): MetricsServer {
  const expected = options.token ? digest(options.token) : undefined;
  const allow = createRateLimiter({ ratePerSecond: 5, burst: 10 });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rate = allow(req.socket.remoteAddress ?? 'unknown');
    if (!rate.allowed) throw new HttpError(429, 'rate-limited', 'too many requests from this address; slow down', undefined, { 'Retry-After': String(rate.retryAfterSeconds) });
    if (new URL(req.url ?? '/', 'http://metrics.invalid').pathname !== '/metrics') throw new HttpError(404, 'not-found', 'no such resource');
    if (req.method !== 'GET') throw new HttpError(405, 'method-not-allowed', 'use GET', undefined, { Allow: 'GET' });
    await readLimitedBody(req, 0, () => new HttpError(413, 'body-too-large', 'send no body', undefined, { Connection: 'close' }));
    if (expected) {
      const match = /^Bearer +([^\s]+) *$/i.exec(req.headers.authorization ?? '');
      if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
        throw new HttpError(401, 'unauthenticated', 'send the metrics token as "Authorization: Bearer <token>"', undefined, { 'WWW-Authenticate': 'Bearer' });
      }
    }
    await metrics.refresh();
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) return sendError(res, err);
      options.logger.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'metrics request failed');
      sendError(res, new HttpError(500, 'internal', 'the request failed; it has been logged'));
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return { server, listen: (port, host) => listenOn(server, port, host), close: () => closeServer(server, 5_000) };
}

/**
 * The metrics token (ARBITER_ENDPOINT_METRICS_TOKEN) for the listener at `address`. Without one the
 * figures (tenants and their backlogs) go to anyone who reaches the address, so a listener that is
 * not on a loopback address refuses to start without it.
 */
export function endpointMetricsTokenFromEnv(address: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env.ARBITER_ENDPOINT_METRICS_TOKEN?.trim() || undefined;
  if (!token && !isLoopbackHost(splitAddress(address).host)) {
    throw new Error(
      `ARBITER_ENDPOINT_METRICS_TOKEN must be set when ARBITER_ENDPOINT_METRICS_ADDRESS (${address}) is not a loopback address: anyone who reaches it would read tenants' backlogs`,
    );
  }
  return token;
}

/** `ip:port` (as runtime/metrics.ts reads it) into what `listen` takes. */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

async function forEachConcurrently<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
