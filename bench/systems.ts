// The integration activities every measurement runs: the real activity code from activities/,
// answered either in memory (so the figures measure orchestration, not a stand-in's disk) or by
// the stand-in systems over HTTP, which write their whole state file after every change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createIntegrationActivities, type IntegrationActivities } from '../activities';
import { createLookupClient, type LookupClient } from '../activities/lookups';
import type { OrderRecord, RefundRequest } from '../common/refund-schemas';
import { createLogger } from '../runtime/logger';
import { orderOfRequest, registerStandInOrder } from '../standins/order-client';
import { createStandInServer } from '../standins/server';
import type { Systems } from './options';

export interface BenchSystems {
  activities: IntegrationActivities;
  /** The stand-ins' address in `standins` mode, for worker processes to reach the same systems. */
  standInsUrl?: string;
  close(): Promise<void>;
}

/** Orders the bench's requests refer to, as payments records them: each refund reads its order before policy. */
const benchOrders = new Map<string, OrderRecord>();
/** A worker process never sees the requests: it derives a bench order from its id instead. */
let deriveOrder: ((orderId: string) => OrderRecord | undefined) | undefined;

export function registerBenchOrder(request: RefundRequest): void {
  benchOrders.set(request.order.id, benchOrderRecord(request));
}

/** The order `request` refers to, as the stand-in payments records a new one. */
export function benchOrderRecord(request: RefundRequest): OrderRecord {
  return { ...orderOfRequest(request), refunded: 0, reserved: 0 };
}

/** For a process without the requests (bench/worker-process.ts): orders not registered here come from `derive`. */
export function deriveBenchOrders(derive: (orderId: string) => OrderRecord | undefined): void {
  deriveOrder = derive;
}

function benchOrder(orderId: string): OrderRecord | undefined {
  return benchOrders.get(orderId) ?? deriveOrder?.(orderId);
}

export async function startSystems(mode: Systems): Promise<BenchSystems> {
  if (mode === 'instant') return { activities: connectSystems('instant'), close: async () => undefined };
  const dir = mkdtempSync(path.join(tmpdir(), 'arbiter-bench-standins-'));
  const standIns = createStandInServer({ statePath: path.join(dir, 'standins.json'), logger: createLogger('bench-standins', { level: 'silent' }) });
  const url = `http://127.0.0.1:${await standIns.listen(0)}`;
  return {
    activities: connectSystems('standins', url),
    standInsUrl: url,
    close: async () => {
      await standIns.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The integration activities against the systems of `mode`: answered in memory, or by the stand-ins at `standInsUrl`. */
export function connectSystems(mode: Systems, standInsUrl?: string): IntegrationActivities {
  if (mode === 'instant') {
    const url = 'http://instant.invalid';
    return createIntegrationActivities({ paymentsUrl: url, crmUrl: url, notificationsUrl: url, catalogUrl: url, channelsUrl: url, erpUrl: url, fetch: instantFetch });
  }
  if (!standInsUrl) throw new Error('the stand-in systems have no address');
  const url = standInsUrl;
  const activities = createIntegrationActivities({ paymentsUrl: url, crmUrl: url, notificationsUrl: url, catalogUrl: url, channelsUrl: url, erpUrl: url });
  return {
    ...activities,
    // The stand-in payments learns each bench order just before the refund reads it, as a shop
    // would have registered it at checkout; the registration's HTTP call is part of the figure.
    async getOrder(input) {
      const order = benchOrder(input.orderId);
      if (order) await registerStandInOrder(url, order);
      return activities.getOrder(input);
    },
  };
}

/** Answers the saga's calls the way the stand-ins do, at once and without keeping state. */
const instantFetch: typeof fetch = async (input, init) => {
  const { pathname } = new URL(String(input));
  if ((init?.method ?? 'GET') === 'GET' && pathname.startsWith('/payments/orders/')) {
    const order = benchOrder(decodeURIComponent(pathname.split('/')[3] ?? ''));
    return new Response(JSON.stringify(order ?? { error: 'unknown order' }), { status: order ? 200 : 404, headers: { 'content-type': 'application/json' } });
  }
  const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>;
  const orderId = String(body.orderId ?? decodeURIComponent(pathname.split('/')[3] ?? ''));
  const reply = (status: number, payload: unknown) => new Response(JSON.stringify(payload), { status, headers: { 'content-type': 'application/json' } });
  if (pathname === '/payments/reservations') return reply(201, { ...body, reservationId: `rsv_${orderId}`, status: 'reserved' });
  if (pathname === '/payments/refunds') return reply(201, { ...body, refundId: `rfd_${orderId}`, status: 'refunded' });
  if (/^\/crm\/cases\/[^/]+\/updates$/.test(pathname)) {
    return reply(200, { caseId: `case_${orderId}`, orderId, previous: null, current: { status: body.status, note: body.note } });
  }
  if (pathname === '/notifications/messages') return reply(201, { messageId: `msg_${orderId}` });
  // Compensations and the price-change calls, which the refund saga does not reach when nothing fails.
  return reply(200, {});
};

/**
 * The look-ups an investigating agent makes, answered in memory through the real lookup client (its
 * HTTP reading and schema checks): the bench order, and a customer with a dozen earlier refunds and
 * a case with four notes, so each of those two results (about 1.4 KB) is over the 1 KB a result may
 * take in history and goes to the blob store (bench/tool-loop.ts measures with and without).
 */
export function benchLookups(): LookupClient {
  const url = 'http://instant.invalid';
  return createLookupClient({ paymentsUrl: url, crmUrl: url, catalogUrl: url, fetch: lookupFetch });
}

const lookupFetch: typeof fetch = async (input) => {
  const { pathname, searchParams } = new URL(String(input));
  const [, system, kind, id = '', what] = pathname.split('/').map(decodeURIComponent);
  const reply = (status: number, payload: unknown) => new Response(JSON.stringify(payload), { status, headers: { 'content-type': 'application/json' } });
  if (system === 'payments' && kind === 'orders') {
    const order = benchOrder(id);
    return order ? reply(200, order) : reply(404, { error: 'unknown order' });
  }
  if (system === 'payments' && kind === 'customers' && what === 'refunds') {
    const days = Number(searchParams.get('days') ?? 90);
    const refunds = Array.from({ length: 12 }, (_, i) => ({
      orderId: `ord-earlier-${id}-${i}`,
      amount: 10 + i * 7.5,
      currency: 'EUR',
      issuedAt: new Date(Date.UTC(2026, 10, 28 - i * 2)).toISOString(),
      source: 'history',
    }));
    return reply(200, { customerId: id, days, refunds });
  }
  if (system === 'crm' && kind === 'cases' && what === 'notes') {
    const texts = [
      'Customer called: the parcel was handed over with the outer box crushed on one corner.',
      'Photos received by email: the inner packaging is torn and the item has a cracked housing.',
      'Courier confirms the parcel was dropped at the depot; a damage report is filed under the same order.',
      'Customer asks for a refund rather than a replacement; no earlier complaints about this order.',
    ];
    const notes = texts.map((text, i) => ({ at: new Date(Date.UTC(2026, 11, 1, 9 + i)).toISOString(), author: i % 2 ? 'agent-17' : 'customer', text: `${text} ${text}` }));
    return reply(200, { orderId: id, caseId: `case_${id}`, status: 'open', notes });
  }
  return reply(404, { error: `the bench answers no ${pathname}` });
};
