// The look-ups an agent makes, over real HTTP through the activities' look-up client: refund
// history from the ledger and seeded history, CRM case notes (the seeded injection and 5 MB
// cases included), weekly sales and competitor prices, all deterministic.
import { ApplicationFailure } from '@temporalio/common';
import { createLookupClient, type LookupClient } from '../activities/lookups';
import { HUGE_NOTE_BYTES, HUGE_NOTES_ORDER_ID, INJECTION_ORDER_ID, INJECTION_TEXT } from '../standins/lookup-seeds';
import { useStandInsFixture } from './helpers/standins-fixture';

const standIns = useStandInsFixture({ name: 'lookups' });
const { call, post } = standIns;
let client: LookupClient;
beforeEach(() => {
  const url = standIns.baseUrl;
  client = createLookupClient({ paymentsUrl: url, crmUrl: url, catalogUrl: url });
});

async function refundOrder(orderId: string, customerId: string, amount: number): Promise<string> {
  await call('POST', '/payments/orders', { body: { orderId, amount, currency: 'EUR', customerId } });
  const reservation = await post('/payments/reservations', { orderId, amount, currency: 'EUR' }, `rsv-${orderId}`);
  const refund = await post('/payments/refunds', { reservationId: reservation.body.reservationId, orderId, amount, currency: 'EUR' }, `rfd-${orderId}`);
  return refund.body.refundId as string;
}

test('answers a known order with what payments records and an unknown one with null', async () => {
  await call('POST', '/payments/orders', { body: { orderId: 'ORD-1', amount: 40, currency: 'EUR', customerId: 'cust-1' } });
  expect(await client.getOrder('ORD-1')).toEqual({ orderId: 'ORD-1', amount: 40, currency: 'EUR', customerId: 'cust-1', refunded: 0, reserved: 0 });
  expect(await client.getOrder('ORD-NOPE')).toBeNull();
});

test('lists the refunds of the last 90 days from the ledger and seeded history, newest first, without reversed ones', async () => {
  await refundOrder('ORD-F-200', 'cust-frequent', 12);
  const reversed = await refundOrder('ORD-F-201', 'cust-frequent', 8);
  await post(`/payments/refunds/${reversed}/reverse`, {}, 'reverse-1');
  await refundOrder('ORD-OTHER', 'cust-other', 5);

  const history = await client.getRefundHistory('cust-frequent');
  expect(history.days).toBe(90);
  expect(history.refunds.map((r) => [r.orderId, r.source])).toEqual([
    ['ORD-F-200', 'ledger'],
    ['ORD-F-101', 'history'],
    ['ORD-F-102', 'history'],
    ['ORD-F-103', 'history'],
    ['ORD-F-104', 'history'],
  ]);
  expect((await client.getRefundHistory('cust-frequent', 365)).refunds.map((r) => r.orderId)).toContain('ORD-F-090');
  expect((await client.getRefundHistory('cust-new')).refunds).toEqual([]);
});

test('answers the seeded prompt-injection case note as plain data', async () => {
  const notes = await client.getCaseNotes(INJECTION_ORDER_ID);
  expect(notes.caseId).toBe('case_seed_inject_1');
  expect(notes.notes[0]?.text).toContain(INJECTION_TEXT);
});

test('answers the seeded huge case note whole, about 5 MB', async () => {
  const notes = await client.getCaseNotes(HUGE_NOTES_ORDER_ID);
  expect(notes.notes[0]?.text.length).toBe(HUGE_NOTE_BYTES);
});

test('adds the status note the saga wrote to the case, and answers an order without a case with no notes', async () => {
  await post('/crm/cases/ORD-NOTES-1/updates', { status: 'refunded', note: 'refund 20 EUR issued' }, 'crm-1');
  const notes = await client.getCaseNotes('ORD-NOTES-1');
  expect(notes.status).toBe('refunded');
  expect(notes.notes.map((n) => n.author)).toEqual(['customer', 'agent:maria', 'arbiter']);
  expect(await client.getCaseNotes('ORD-NO-CASE')).toEqual({ orderId: 'ORD-NO-CASE', caseId: null, status: null, notes: [] });
});

test('answers the same weekly sales for a SKU every time, one Monday-dated week each, oldest first', async () => {
  const sales = await client.getSales('SKU-1', 4);
  expect(await client.getSales('SKU-1', 4)).toEqual(sales);
  expect(sales.weeks).toHaveLength(4);
  const dates = sales.weeks.map((w) => w.weekStarting);
  expect([...dates].sort()).toEqual(dates);
  for (const date of dates) expect(new Date(`${date}T00:00:00Z`).getUTCDay()).toBe(1);
  expect((await client.getSales('SKU-1')).weeks).toHaveLength(8);
});

test('prices competitors within 15% of the catalog price, the same every time', async () => {
  await post('/catalog/prices', { sku: 'SKU-7', newPrice: 100, currency: 'USD', expectedPrice: 100 }, 'price-1');
  const prices = await client.getCompetitorPrices('SKU-7');
  expect(prices).toMatchObject({ sku: 'SKU-7', currency: 'USD', ownPrice: 100 });
  expect(prices.competitors).toHaveLength(3);
  for (const { price } of prices.competitors) {
    expect(price).toBeGreaterThanOrEqual(85);
    expect(price).toBeLessThanOrEqual(115);
  }
  expect((await client.getCompetitorPrices('SKU-7')).competitors.map((c) => c.price)).toEqual(prices.competitors.map((c) => c.price));
  expect((await client.getCompetitorPrices('SKU-UNPRICED')).ownPrice).toBeNull();
});

test('refuses a malformed id or count with 400 naming it, as a rejection that is not retried', async () => {
  const bad = await call('GET', '/catalog/skus/SKU-1/sales?weeks=0');
  expect([bad.status, bad.body.field]).toEqual([400, 'weeks']);
  const error = await client.getCaseNotes('bad id!').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).type).toBe('CrmRejected');
});
