// Stand-in catalog: one price per SKU, changed by a price change and put back by its restore
// (the saga compensation). Every change is kept, so the state shows what was set and undone.
import { randomUUID } from 'node:crypto';
import type { Reply } from './http';
import { effectRoute } from './routes';
import { emptyBodySchema, setPriceBodySchema } from './schemas';

const conflict = (error: string, field: string): Reply => ({ status: 409, body: { error, field } });
const sameMoney = (a: number, b: number) => Math.round(a * 100) === Math.round(b * 100);

export const setPrice = effectRoute({
  template: '/catalog/prices',
  body: setPriceBodySchema,
  // The SKU stands where the order does for payments: the FLAKY- fault rule keys on it.
  orderId: ({ body }) => body.sku,
  run({ body, state }) {
    const now = new Date().toISOString();
    let entry = state.prices.find((p) => p.sku === body.sku);
    if (!entry) {
      // The stand-in has no catalog feed: a SKU it has not seen is taken to cost what the caller expects.
      entry = { sku: body.sku, price: body.expectedPrice, currency: body.currency, updatedAt: now };
      state.prices.push(entry);
    }
    if (entry.currency !== body.currency) {
      return conflict(`SKU ${body.sku} is priced in ${entry.currency}, not ${body.currency}`, 'currency');
    }
    // The change was decided on expectedPrice; applied to another price it would be a different change.
    if (!sameMoney(entry.price, body.expectedPrice)) {
      return conflict(`SKU ${body.sku} costs ${entry.price} ${entry.currency} now, not the expected ${body.expectedPrice}`, 'expectedPrice');
    }
    const change = {
      changeId: `chg_${randomUUID()}`,
      sku: body.sku,
      previousPrice: entry.price,
      newPrice: body.newPrice,
      currency: body.currency,
      status: 'applied' as const,
      changedAt: now,
    };
    state.priceChanges.push(change);
    entry.price = body.newPrice;
    entry.updatedAt = now;
    const { changeId, sku, previousPrice, newPrice, currency } = change;
    return { status: 201, body: { changeId, sku, previousPrice, newPrice, currency } };
  },
});

export const restorePrice = effectRoute({
  template: '/catalog/changes/:changeId/restore',
  body: emptyBodySchema,
  orderId: ({ params, state }) => state.priceChanges.find((c) => c.changeId === params.changeId)?.sku,
  run({ params, state }) {
    const changeId = params.changeId ?? '';
    const change = state.priceChanges.find((c) => c.changeId === changeId);
    if (!change) return { status: 404, body: { error: `price change ${changeId} not found` } };
    const restored = { changeId, sku: change.sku, price: change.previousPrice, currency: change.currency, status: 'restored' };
    // Restoring twice is a no-op by nature: the second call finds the change restored already.
    if (change.status === 'restored') return { status: 200, body: restored };
    // Only the SKU's latest change may be undone: putting back an older price would silently
    // drop a later change made on top of it.
    const latest = state.priceChanges.filter((c) => c.sku === change.sku && c.status === 'applied').at(-1);
    if (latest && latest.changeId !== changeId) {
      return conflict(`SKU ${change.sku} was repriced since by change ${latest.changeId}; restore that first`, 'changeId');
    }
    const now = new Date().toISOString();
    const entry = state.prices.find((p) => p.sku === change.sku);
    if (entry) {
      entry.price = change.previousPrice;
      entry.updatedAt = now;
    }
    change.status = 'restored';
    change.restoredAt = now;
    return { status: 200, body: restored };
  },
});

export const catalogRoutes = [setPrice, restorePrice];
