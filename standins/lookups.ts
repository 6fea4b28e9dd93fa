// Stand-in look-ups an agent may make while it investigates: a customer's recent refunds (the
// payments ledger plus seeded history), an order's CRM case notes, a SKU's weekly sales and
// competitors' prices. Reads only; the same functions answer over HTTP and over MCP.
import type { IncomingMessage } from 'node:http';
import {
  DEFAULT_SALES_WEEKS,
  MAX_HISTORY_DAYS,
  MAX_SALES_WEEKS,
  REFUND_HISTORY_DAYS,
  type CaseNotes,
  type CompetitorPrices,
  type RefundHistory,
  type SkuSales,
} from '../common/lookup-schemas';
import { externalIdSchema } from '../common/id-and-money-schemas';
import { skuSchema } from '../common/price-change-schemas';
import { badRequest } from './http';
import { COMPETITORS, seededCases, seededRefunds, unitInterval } from './lookup-seeds';
import type { HttpRoute, PathParams } from './routes';
import type { StandInState } from './schemas';
import type { StateStore } from './store';

const DAY_MS = 24 * 60 * 60 * 1000;
const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/** Refunds issued to the customer in the last `days` days, newest first; reversed ones do not count. */
export function refundHistory(state: StandInState, customerId: string, days: number, now: Date): RefundHistory {
  const since = daysBefore(now, days).toISOString();
  const ordersOfCustomer = new Set(state.orders.filter((o) => o.customerId === customerId).map((o) => o.orderId));
  const fromLedger = state.refunds
    .filter((r) => r.status === 'issued' && ordersOfCustomer.has(r.orderId) && r.issuedAt >= since)
    .map((r) => ({ orderId: r.orderId, amount: r.amount, currency: r.currency, issuedAt: r.issuedAt, source: 'ledger' as const }));
  const fromHistory = seededRefunds
    .filter((r) => r.customerId === customerId && r.daysAgo <= days)
    .map((r) => ({ orderId: r.orderId, amount: r.amount, currency: r.currency, issuedAt: daysBefore(now, r.daysAgo).toISOString(), source: 'history' as const }));
  const refunds = [...fromLedger, ...fromHistory].sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
  return { customerId, days, refunds };
}

/** The order's CRM case: its seeded notes, then the status note the saga last wrote, oldest first. */
export function caseNotes(state: StandInState, orderId: string, now: Date): CaseNotes {
  const seeded = Object.hasOwn(seededCases, orderId) ? seededCases[orderId] : undefined;
  const live = state.cases.find((c) => c.orderId === orderId);
  const notes = (seeded?.notes() ?? []).map((n) => ({ at: daysBefore(now, n.daysAgo).toISOString(), author: n.author, text: n.text }));
  if (live?.current?.note) notes.push({ at: now.toISOString(), author: 'arbiter', text: live.current.note });
  return {
    orderId,
    caseId: live?.caseId ?? seeded?.caseId ?? null,
    status: live?.current?.status ?? seeded?.status ?? null,
    notes,
  };
}

/** Units sold per week for the last `weeks` full weeks (weeks start on Monday), oldest first. */
export function skuSales(sku: string, weeks: number, now: Date): SkuSales {
  const thisMonday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  thisMonday.setUTCDate(thisMonday.getUTCDate() - ((thisMonday.getUTCDay() + 6) % 7));
  const base = 20 + Math.floor(unitInterval(`sales:${sku}`) * 180);
  return {
    sku,
    weeks: Array.from({ length: weeks }, (_, i) => {
      const weeksAgo = weeks - i;
      const weekStarting = daysBefore(thisMonday, weeksAgo * 7).toISOString().slice(0, 10);
      // Keyed by the week's date, so a week's figure does not change as time moves on.
      const swing = 0.7 + unitInterval(`sales:${sku}:${weekStarting}`) * 0.6;
      return { weekStarting, units: Math.round(base * swing) };
    }),
  };
}

/** Each competitor's price for the SKU, within ±15% of the catalog's price (or a stable made-up one). */
export function competitorPrices(state: StandInState, sku: string, now: Date): CompetitorPrices {
  const own = state.prices.find((p) => p.sku === sku);
  const reference = own?.price ?? 5 + Math.round(unitInterval(`price:${sku}`) * 19_500) / 100;
  const competitors = COMPETITORS.map((competitor) => {
    const factor = 0.85 + unitInterval(`competitor:${competitor}:${sku}`) * 0.3;
    return { competitor, price: Math.max(0.01, Math.round(reference * factor * 100) / 100), observedAt: daysBefore(now, 1).toISOString() };
  });
  return { sku, currency: own?.currency ?? 'EUR', ownPrice: own?.price ?? null, competitors };
}

/** A whole-number query parameter within [1, max], or the default when it is absent. */
function countParam(req: IncomingMessage, name: string, fallback: number, max: number): number {
  const raw = new URL(req.url ?? '/', 'http://standins').searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) throw badRequest(`${name} must be a whole number from 1 to ${max}`, name);
  return value;
}

/** A path id the real systems would accept; anything else is a 400 naming it. */
function idParam(params: PathParams, name: string, schema = externalIdSchema): string {
  const parsed = schema.safeParse(params[name]);
  if (!parsed.success) throw badRequest(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, name);
  return parsed.data;
}

const ok = (body: object) => ({ reply: { status: 200, body: { ...body } } });

export function lookupRoutes(store: StateStore): HttpRoute[] {
  return [
    {
      method: 'GET',
      template: '/payments/customers/:customerId/refunds',
      handle: async (req: IncomingMessage, params: PathParams) =>
        ok(refundHistory(store.state, idParam(params, 'customerId'), countParam(req, 'days', REFUND_HISTORY_DAYS, MAX_HISTORY_DAYS), new Date())),
    },
    {
      method: 'GET',
      template: '/crm/cases/:orderId/notes',
      handle: async (_req: IncomingMessage, params: PathParams) => ok(caseNotes(store.state, idParam(params, 'orderId'), new Date())),
    },
    {
      method: 'GET',
      template: '/catalog/skus/:sku/sales',
      handle: async (req: IncomingMessage, params: PathParams) =>
        ok(skuSales(idParam(params, 'sku', skuSchema), countParam(req, 'weeks', DEFAULT_SALES_WEEKS, MAX_SALES_WEEKS), new Date())),
    },
    {
      method: 'GET',
      template: '/catalog/skus/:sku/competitor-prices',
      handle: async (_req: IncomingMessage, params: PathParams) => ok(competitorPrices(store.state, idParam(params, 'sku', skuSchema), new Date())),
    },
  ];
}
