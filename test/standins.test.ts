// The stand-in systems over real HTTP against a temp state file: idempotent replay, persistence across
// restarts, injected faults, validation answers and the per-order ledger.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useStandInsFixture, type Answer } from './helpers/standins-fixture';

// Nested: the stand-ins have to make the missing folder, and a folder of its own shows any temp file left behind.
const standIns = useStandInsFixture({ name: 'standins', stateFile: join('nested', 'standins.json') });
const { call, post } = standIns;

async function ledgerFor(orderId: string) {
  const state = await call('GET', '/state');
  return state.body.ledger.find((entry: { orderId: string }) => entry.orderId === orderId);
}

/** Reserves on an order payments knows (registered first, as a shop does at checkout; registering again is a no-op). */
async function reserve(orderId: string, amount: number, key = `wf-${orderId}/reserveFunds`): Promise<Answer> {
  await call('POST', '/payments/orders', { body: { orderId, amount: 1000, currency: 'EUR', customerId: 'cust-1' } });
  return post('/payments/reservations', { orderId, amount, currency: 'EUR' }, key);
}

test('replays the first answer for a repeated Idempotency-Key and reserves the funds once', async () => {
  const first = await reserve('O-1', 25.5);
  const second = await reserve('O-1', 25.5);

  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ orderId: 'O-1', amount: 25.5, currency: 'EUR', status: 'reserved' });
  expect(second.status).toBe(201);
  expect(second.body).toEqual(first.body);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(await ledgerFor('O-1')).toMatchObject({ reserved: 25.5, reservationsMade: 1 });
});

test('lets two concurrent calls with one key act only once', async () => {
  const [a, b] = await Promise.all([reserve('O-2', 10), reserve('O-2', 10)]);

  expect(a.body).toEqual(b.body);
  expect(await ledgerFor('O-2')).toMatchObject({ reserved: 10, reservationsMade: 1 });
});

test('keeps state and idempotency records across a restart on the same state file', async () => {
  const before = await reserve('O-3', 40);
  await standIns.restart();

  const replay = await reserve('O-3', 40);
  expect(replay.status).toBe(201);
  expect(replay.body).toEqual(before.body);
  expect(await ledgerFor('O-3')).toMatchObject({ reserved: 40, reservationsMade: 1 });
});

test('writes the state file whole, leaving no temp file behind', async () => {
  await reserve('O-4', 1);
  await post('/notifications/messages', { customerId: 'C-4', orderId: 'O-4', text: 'Your refund is on its way' }, 'wf-O-4/notify');

  const saved = JSON.parse(readFileSync(standIns.statePath, 'utf8'));
  expect(saved.reservations).toHaveLength(1);
  expect(saved.messages).toHaveLength(1);
  expect(readdirSync(join(standIns.stateDir, 'nested'))).toEqual(['standins.json']);
});

test('rejects CRM updates for FAIL-CRM- orders with a 422 CrmRejected', async () => {
  const answer = await post('/crm/cases/FAIL-CRM-5/updates', { status: 'refunded', note: 'n' }, 'wf-5/updateCrm');

  expect(answer.status).toBe(422);
  expect(answer.body).toEqual({ error: 'CRM rejected the update for this order', type: 'CrmRejected' });
});

test('fails FLAKY- orders with 503 twice per key, then succeeds once', async () => {
  const statuses = [];
  for (let attempt = 0; attempt < 4; attempt++) statuses.push((await reserve('FLAKY-6', 5)).status);

  expect(statuses).toEqual([503, 503, 201, 201]);
  expect(await ledgerFor('FLAKY-6')).toMatchObject({ reserved: 5, reservationsMade: 1 });
});

test('counts injected failures across a restart', async () => {
  expect((await reserve('FLAKY-7', 5)).status).toBe(503);
  await standIns.restart();

  expect((await reserve('FLAKY-7', 5)).status).toBe(503);
  expect((await reserve('FLAKY-7', 5)).status).toBe(201);
});

test('injects faults on id-addressed routes by the order stored with the record', async () => {
  let reservation = await reserve('FLAKY-8', 5);
  while (reservation.status === 503) reservation = await reserve('FLAKY-8', 5);
  const releasePath = `/payments/reservations/${reservation.body.reservationId}/release`;

  const statuses = [];
  for (let attempt = 0; attempt < 3; attempt++) statuses.push((await post(releasePath, {}, 'wf-8/releaseFunds')).status);
  expect(statuses).toEqual([503, 503, 200]);
});

test('refuses a POST without Idempotency-Key, naming the header', async () => {
  const answer = await post('/payments/reservations', { orderId: 'O-9', amount: 1, currency: 'EUR' });

  expect(answer.status).toBe(400);
  expect(answer.body.field).toBe('Idempotency-Key');
});

test.each([
  { path: '/payments/reservations', body: { orderId: 'O-10', amount: 'abc', currency: 'EUR' }, field: 'amount' },
  { path: '/payments/reservations', body: { orderId: 'O-10', amount: 1.005, currency: 'EUR' }, field: 'amount' },
  { path: '/payments/reservations', body: { orderId: 'O-10', amount: 1, currency: 'eur' }, field: 'currency' },
  { path: '/crm/cases/O-10/restore', body: { previous: { note: 'n' } }, field: 'previous.status' },
  { path: '/notifications/messages', body: { customerId: 'C-10', orderId: 'O-10' }, field: 'text' },
])('refuses an invalid body on $path, naming the field $field', async ({ path, body, field }) => {
  const answer = await post(path, body, `wf-10/${field}`);

  expect(answer.status).toBe(400);
  expect(answer.body.field).toBe(field);
});

test('refuses a body that is not JSON', async () => {
  const answer = await call('POST', '/payments/reservations', { raw: '{"orderId":', key: 'wf-11/reserve' });

  expect(answer).toMatchObject({ status: 400, body: { field: 'body' } });
});

test('refuses a body over 64 KiB with 413, whether its length is declared or streamed', async () => {
  const oversized = JSON.stringify({ customerId: 'C-12', orderId: 'O-12', text: 'x'.repeat(70 * 1024) });
  const declared = await call('POST', '/notifications/messages', { raw: oversized, key: 'wf-12/a' });

  const chunks = new TextEncoder().encode(oversized);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < chunks.length; offset += 8192) controller.enqueue(chunks.slice(offset, offset + 8192));
      controller.close();
    },
  });
  const streamed = await fetch(`${standIns.baseUrl}/notifications/messages`, {
    method: 'POST',
    headers: { 'idempotency-key': 'wf-12/b' },
    body: stream,
    duplex: 'half',
  } as RequestInit);

  expect(declared.status).toBe(413);
  expect(streamed.status).toBe(413);
  expect(await ledgerFor('O-12')).toBeUndefined();
});

test('answers 404 for an unknown route and 405 for a wrong method', async () => {
  expect((await call('GET', '/payments/nothing')).status).toBe(404);
  const wrongMethod = await call('GET', '/payments/reservations');
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toBe('POST');
  expect(wrongMethod.headers.get('content-type')).toMatch(/^application\/json/);
});

test('refuses a refund against a released reservation with 409', async () => {
  const { body: reservation } = await reserve('O-13', 30);
  const release = await post(`/payments/reservations/${reservation.reservationId}/release`, {}, 'wf-13/release');
  const releaseAgain = await post(`/payments/reservations/${reservation.reservationId}/release`, {}, 'wf-13/release-2');

  const refund = await post(
    '/payments/refunds',
    { reservationId: reservation.reservationId, orderId: 'O-13', amount: 30, currency: 'EUR' },
    'wf-13/refund',
  );
  expect(release.body).toEqual({ reservationId: reservation.reservationId, status: 'released' });
  expect(releaseAgain.status).toBe(200);
  expect(refund.status).toBe(409);
  expect(await ledgerFor('O-13')).toMatchObject({ reserved: 0, reservationsReleased: 1, refundsIssued: 0 });
});

test('answers 404 when releasing an unknown reservation', async () => {
  expect((await post('/payments/reservations/rsv_missing/release', {}, 'wf-14/release')).status).toBe(404);
});

test('records a CRM update with its previous status and restores it', async () => {
  const first = await post('/crm/cases/O-15/updates', { status: 'refund-requested', note: 'a' }, 'wf-15/crm-1');
  const second = await post('/crm/cases/O-15/updates', { status: 'refunded', note: 'b' }, 'wf-15/crm-2');
  const restored = await post('/crm/cases/O-15/restore', { previous: second.body.previous }, 'wf-15/crm-2-undo');
  const backToNoCase = await post('/crm/cases/O-15/restore', { previous: first.body.previous }, 'wf-15/crm-1-undo');

  expect(first.body).toMatchObject({ orderId: 'O-15', previous: null, current: { status: 'refund-requested', note: 'a' } });
  expect(second.body).toMatchObject({ caseId: first.body.caseId, previous: { status: 'refund-requested', note: 'a' } });
  expect(restored.body).toEqual({ caseId: first.body.caseId, orderId: 'O-15', current: { status: 'refund-requested', note: 'a' } });
  expect(backToNoCase.body).toEqual({ caseId: first.body.caseId, orderId: 'O-15', current: null });
  expect(await ledgerFor('O-15')).toMatchObject({ crmUpdates: 2, crmRestores: 2 });
});

test('sums the ledger per order in cents and counts each effect', async () => {
  const { body: first } = await reserve('O-16', 0.3);
  const { body: second } = await reserve('O-16', 0.1, 'wf-O-16/reserve-extra');
  const refund = (reservationId: string, amount: number, key: string) =>
    post('/payments/refunds', { reservationId, orderId: 'O-16', amount, currency: 'EUR' }, key);
  const { body: firstRefund } = await refund(first.reservationId, 0.1, 'wf-16/refund-1');
  await refund(second.reservationId, 0.1, 'wf-16/refund-2');
  await refund(second.reservationId, 0.1, 'wf-16/refund-2');
  const reversal = await post(`/payments/refunds/${firstRefund.refundId}/reverse`, {}, 'wf-16/refund-1-undo');
  await post('/notifications/messages', { customerId: 'C-16', orderId: 'O-16', text: 'Refund sent' }, 'wf-16/notify');

  expect(reversal.body).toEqual({ refundId: firstRefund.refundId, status: 'reversed' });
  // The reversed refund put its 0.3 back on hold; the other reservation stays paid out.
  expect(await ledgerFor('O-16')).toEqual({
    orderId: 'O-16',
    reserved: 0.3,
    refunded: 0.1,
    netRefunded: 0.1,
    messagesSent: 1,
    reservationsMade: 2,
    reservationsReleased: 0,
    refundsIssued: 2,
    refundsReversed: 1,
    crmUpdates: 0,
    crmRestores: 0,
  });
});

test('pays a reservation out once: a second refund or a release of it is refused until the refund is reversed', async () => {
  const { body: reservation } = await reserve('O-18', 5);
  const refund = (key: string) =>
    post('/payments/refunds', { reservationId: reservation.reservationId, orderId: 'O-18', amount: 5, currency: 'EUR' }, key);
  const { body: issued } = await refund('wf-18/refund');
  expect((await refund('wf-18/refund-again')).status).toBe(409);
  expect((await post(`/payments/reservations/${reservation.reservationId}/release`, {}, 'wf-18/release-early')).status).toBe(409);
  await post(`/payments/refunds/${issued.refundId}/reverse`, {}, 'wf-18/reverse');
  expect((await post(`/payments/reservations/${reservation.reservationId}/release`, {}, 'wf-18/release')).status).toBe(200);
  expect(await ledgerFor('O-18')).toMatchObject({ reserved: 0, refunded: 0, refundsIssued: 1, refundsReversed: 1, reservationsReleased: 1 });
});

test('clears all state on reset', async () => {
  await reserve('O-17', 3);
  const reset = await call('POST', '/reset');
  const state = await call('GET', '/state');

  expect(reset.status).toBe(200);
  expect(state.body).toEqual({ orders: [], reservations: [], refunds: [], cases: [], messages: [], ledger: [], prices: [], priceChanges: [], publications: [], priceLedger: [], creditCustomers: [], creditLimitChanges: [] });
  expect((await reserve('O-17', 3)).headers.get('idempotent-replayed')).toBeNull();
  expect(existsSync(standIns.statePath)).toBe(true);
});

test('reports health', async () => {
  expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true, service: 'arbiter-standins' } });
});
