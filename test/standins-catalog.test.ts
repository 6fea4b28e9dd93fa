// The stand-ins' catalog and channels over real HTTP against a temp state file: idempotent replay,
// restore and withdraw, the price-change fault rules, validation answers, persistence across
// restarts, and the catalog and channels activities sorting the answers for Temporal.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createCatalogActivities } from '../activities/catalog';
import { createChannelsActivities } from '../activities/channels';
import { useStandInsFixture, type Answer } from './helpers/standins-fixture';

const standIns = useStandInsFixture({ name: 'standins-catalog' });
const { call, post } = standIns;

function setPrice(sku: string, expectedPrice: number, newPrice: number, key = `wf-${sku}/set-price`, currency = 'EUR'): Promise<Answer> {
  return post('/catalog/prices', { sku, newPrice, currency, expectedPrice }, key);
}

function publish(sku: string, channel: string, price: number, key = `wf-${sku}/publish-${channel}`): Promise<Answer> {
  return post('/channels/publications', { channel, sku, price, currency: 'EUR' }, key);
}

async function priceLedgerFor(sku: string) {
  const state = await call('GET', '/state');
  return state.body.priceLedger.find((entry: { sku: string }) => entry.sku === sku);
}

describe('catalog', () => {
  test('replays the first answer for a repeated Idempotency-Key and changes the price once', async () => {
    const first = await setPrice('SKU-1', 20, 18);
    const second = await setPrice('SKU-1', 20, 18);

    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sku: 'SKU-1', previousPrice: 20, newPrice: 18, currency: 'EUR' });
    expect(first.body.changeId).toMatch(/^chg_/);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await priceLedgerFor('SKU-1')).toMatchObject({ price: 18, changesApplied: 1, changesRestored: 0 });
  });

  test('restores the price a change replaced, and a second restore changes nothing', async () => {
    const { body: change } = await setPrice('SKU-2', 49.99, 39.99);
    const restore = await post(`/catalog/changes/${change.changeId}/restore`, {}, 'wf-SKU-2/set-price:compensate');
    const again = await post(`/catalog/changes/${change.changeId}/restore`, {}, 'wf-SKU-2/set-price:compensate-2');

    expect(restore).toMatchObject({ status: 200, body: { changeId: change.changeId, sku: 'SKU-2', price: 49.99, status: 'restored' } });
    expect(again).toMatchObject({ status: 200, body: restore.body });
    expect(await priceLedgerFor('SKU-2')).toMatchObject({ price: 49.99, changesApplied: 1, changesRestored: 1 });
  });

  test('refuses to restore an older change while a later one stands, then restores in reverse order', async () => {
    const { body: older } = await setPrice('SKU-3', 10, 9, 'wf-a/set-price');
    const { body: later } = await setPrice('SKU-3', 9, 9.5, 'wf-b/set-price');

    const outOfOrder = await post(`/catalog/changes/${older.changeId}/restore`, {}, 'wf-a/undo');
    expect(outOfOrder.status).toBe(409);
    expect(outOfOrder.body.field).toBe('changeId');
    expect(outOfOrder.body.error).toContain(later.changeId);

    expect((await post(`/catalog/changes/${later.changeId}/restore`, {}, 'wf-b/undo')).status).toBe(200);
    expect((await post(`/catalog/changes/${older.changeId}/restore`, {}, 'wf-a/undo-2')).status).toBe(200);
    expect(await priceLedgerFor('SKU-3')).toMatchObject({ price: 10, changesApplied: 2, changesRestored: 2 });
  });

  test('refuses a change decided on a price the SKU no longer has, naming expectedPrice', async () => {
    await setPrice('SKU-4', 30, 27, 'wf-a/set-price');
    const stale = await setPrice('SKU-4', 30, 24, 'wf-b/set-price');

    expect(stale.status).toBe(409);
    expect(stale.body.field).toBe('expectedPrice');
    expect(await priceLedgerFor('SKU-4')).toMatchObject({ price: 27, changesApplied: 1 });
  });

  test('refuses a change in another currency than the SKU is priced in, naming currency', async () => {
    await setPrice('SKU-5', 30, 27, 'wf-a/set-price');
    const otherCurrency = await setPrice('SKU-5', 27, 25, 'wf-b/set-price', 'USD');

    expect(otherCurrency.status).toBe(409);
    expect(otherCurrency.body.field).toBe('currency');
  });

  test('answers 404 when restoring an unknown change', async () => {
    expect((await post('/catalog/changes/chg_missing/restore', {}, 'wf-6/undo')).status).toBe(404);
  });
});

describe('channels', () => {
  test('publishes a price once per key and withdraws it, twice without harm', async () => {
    const first = await publish('SKU-10', 'web', 18);
    const replay = await publish('SKU-10', 'web', 18);
    await publish('SKU-10', 'marketplace', 18);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ channel: 'web', sku: 'SKU-10', price: 18, currency: 'EUR', status: 'published' });
    expect(replay.body).toEqual(first.body);
    expect(await priceLedgerFor('SKU-10')).toMatchObject({ publicationsMade: 2, liveChannels: ['marketplace', 'web'] });

    const withdrawPath = `/channels/publications/${first.body.publicationId}/withdraw`;
    const withdrawn = await post(withdrawPath, {}, 'wf-SKU-10/publish-web:compensate');
    const again = await post(withdrawPath, {}, 'wf-SKU-10/publish-web:compensate-2');

    expect(withdrawn.body).toEqual({ publicationId: first.body.publicationId, status: 'withdrawn' });
    expect(again.status).toBe(200);
    expect(await priceLedgerFor('SKU-10')).toMatchObject({ publicationsMade: 2, publicationsWithdrawn: 1, liveChannels: ['marketplace'] });
  });

  test('rejects publications of FAIL-CHANNEL- SKUs with a 422 ChannelsRejected and publishes nothing', async () => {
    const answer = await publish('FAIL-CHANNEL-11', 'web', 5);

    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({ error: 'channel web refused the price for this SKU', type: 'ChannelsRejected' });
    expect(await priceLedgerFor('FAIL-CHANNEL-11')).toBeUndefined();
  });

  test('answers 404 when withdrawing an unknown publication', async () => {
    expect((await post('/channels/publications/pub_missing/withdraw', {}, 'wf-12/undo')).status).toBe(404);
  });
});

describe('faults and persistence', () => {
  test('fails FLAKY- SKUs with 503 twice per key, then sets the price once', async () => {
    const statuses = [];
    for (let attempt = 0; attempt < 4; attempt++) statuses.push((await setPrice('FLAKY-20', 10, 9)).status);

    expect(statuses).toEqual([503, 503, 201, 201]);
    expect(await priceLedgerFor('FLAKY-20')).toMatchObject({ price: 9, changesApplied: 1 });
  });

  test('injects faults on a withdrawal by the SKU stored with the publication', async () => {
    let published = await publish('FLAKY-21', 'web', 5);
    while (published.status === 503) published = await publish('FLAKY-21', 'web', 5);
    const withdrawPath = `/channels/publications/${published.body.publicationId}/withdraw`;

    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt++) statuses.push((await post(withdrawPath, {}, 'wf-21/withdraw')).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  test('keeps prices, publications and idempotency records across a restart', async () => {
    const change = await setPrice('SKU-22', 12, 10);
    const publication = await publish('SKU-22', 'web', 10);
    await standIns.restart();

    expect((await setPrice('SKU-22', 12, 10)).body).toEqual(change.body);
    expect((await publish('SKU-22', 'web', 10)).body).toEqual(publication.body);
    const restore = await post(`/catalog/changes/${change.body.changeId}/restore`, {}, 'wf-SKU-22/set-price:compensate');
    expect(restore.body.price).toBe(12);
    expect(await priceLedgerFor('SKU-22')).toMatchObject({ price: 12, changesApplied: 1, changesRestored: 1, publicationsMade: 1 });
  });

  test('loads a state file written before the catalog and channels existed', async () => {
    await standIns.stop();
    mkdirSync(dirname(standIns.statePath), { recursive: true });
    writeFileSync(standIns.statePath, JSON.stringify({ reservations: [], refunds: [], cases: [], messages: [], replies: {}, attempts: {} }));
    await standIns.start();

    expect((await setPrice('SKU-23', 8, 7)).status).toBe(201);
  });

  test('clears prices, changes and publications on reset', async () => {
    await setPrice('SKU-24', 8, 7);
    await publish('SKU-24', 'web', 7);
    await call('POST', '/reset');
    const state = await call('GET', '/state');

    expect(state.body).toMatchObject({ prices: [], priceChanges: [], publications: [], priceLedger: [] });
  });
});

describe('validation', () => {
  test.each([
    { path: '/catalog/prices', body: { sku: 'SKU-30', newPrice: 0, currency: 'EUR', expectedPrice: 5 }, field: 'newPrice' },
    { path: '/catalog/prices', body: { sku: 'SKU-30', newPrice: 4.999, currency: 'EUR', expectedPrice: 5 }, field: 'newPrice' },
    { path: '/catalog/prices', body: { sku: 'SKU-30', newPrice: 4, currency: 'EUR' }, field: 'expectedPrice' },
    { path: '/catalog/prices', body: { sku: 'S'.repeat(65), newPrice: 4, currency: 'EUR', expectedPrice: 5 }, field: 'sku' },
    { path: '/channels/publications', body: { channel: 'fax', sku: 'SKU-30', price: 4, currency: 'EUR' }, field: 'channel' },
    { path: '/channels/publications', body: { channel: 'web', sku: 'SKU-30', price: 4, currency: 'eur' }, field: 'currency' },
  ])('refuses an invalid body on $path, naming the field $field', async ({ path, body, field }) => {
    const answer = await post(path, body, `wf-30/${field}`);

    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe(field);
  });

  test('refuses a price change without Idempotency-Key, naming the header', async () => {
    const answer = await post('/catalog/prices', { sku: 'SKU-31', newPrice: 4, currency: 'EUR', expectedPrice: 5 });

    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('Idempotency-Key');
  });
});

describe('catalog and channels activities', () => {
  const activities = () => ({ ...createCatalogActivities({ baseUrl: standIns.baseUrl }), ...createChannelsActivities({ baseUrl: standIns.baseUrl }) });

  async function failureOf(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => {
        throw new Error('expected the call to fail');
      },
      (error: unknown) => error,
    );
  }

  test('set, publish, withdraw and restore put the SKU back where it was', async () => {
    const { setPrice: set, restorePrice, publishPrice, withdrawPublication } = activities();
    const change = await set({ idempotencyKey: 'wf-40/set', sku: 'SKU-40', newPrice: 80, currency: 'EUR', expectedPrice: 100 });
    const publication = await publishPrice({ idempotencyKey: 'wf-40/pub', channel: 'web', sku: 'SKU-40', price: change.newPrice, currency: 'EUR' });
    await withdrawPublication({ idempotencyKey: 'wf-40/pub:compensate', publicationId: publication.publicationId });
    await restorePrice({ idempotencyKey: 'wf-40/set:compensate', changeId: change.changeId });

    expect(change).toMatchObject({ sku: 'SKU-40', previousPrice: 100, newPrice: 80 });
    expect(await priceLedgerFor('SKU-40')).toMatchObject({ price: 100, changesRestored: 1, publicationsWithdrawn: 1, liveChannels: [] });
  });

  test('turns a FAIL-CHANNEL- refusal into a non-retryable ChannelsRejected', async () => {
    const error = await failureOf(
      activities().publishPrice({ idempotencyKey: 'wf-41/pub', channel: 'marketplace', sku: 'FAIL-CHANNEL-41', price: 5, currency: 'EUR' }),
    );

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'ChannelsRejected', nonRetryable: true });
  });

  test('turns a stale expected price into a non-retryable CatalogRejected', async () => {
    const { setPrice: set } = activities();
    await set({ idempotencyKey: 'wf-42/a', sku: 'SKU-42', newPrice: 9, currency: 'EUR', expectedPrice: 10 });
    const error = await failureOf(set({ idempotencyKey: 'wf-42/b', sku: 'SKU-42', newPrice: 8, currency: 'EUR', expectedPrice: 10 }));

    expect(error).toMatchObject({ type: 'CatalogRejected', nonRetryable: true });
  });

  test('leaves a FLAKY- 503 retryable: a plain error, not an ApplicationFailure', async () => {
    const error = await failureOf(
      activities().setPrice({ idempotencyKey: 'wf-43/set', sku: 'FLAKY-43', newPrice: 9, currency: 'EUR', expectedPrice: 10 }),
    );

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApplicationFailure);
  });
});
