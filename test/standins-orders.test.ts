// The stand-in payments' orders over real HTTP: what a refund's facts come from, registered
// idempotently, and the reservation cap that keeps two racing refunds from both passing.
import { useStandInsFixture } from './helpers/standins-fixture';

const standIns = useStandInsFixture({ name: 'orders' });
const { call, post } = standIns;

const order = { orderId: 'ORD-1', amount: 40, currency: 'EUR', customerId: 'cust-1' };
const reserve = (amount: number, key: string) => post('/payments/reservations', { orderId: 'ORD-1', amount, currency: 'EUR' }, key);

test('registers an order once and answers it with what is refunded and reserved', async () => {
  const first = await call('POST', '/payments/orders', { body: order });
  const again = await call('POST', '/payments/orders', { body: order });
  const read = await call('GET', '/payments/orders/ORD-1');
  expect([first.status, again.status]).toEqual([201, 200]);
  expect(read.status).toBe(200);
  expect(read.body).toEqual({ ...order, refunded: 0, reserved: 0 });
});

test.each([
  ['amount', { amount: 41 }],
  ['currency', { currency: 'USD' }],
  ['customerId', { customerId: 'cust-2' }],
])('refuses to re-register an order with another %s (409 naming it) and keeps the first', async (field, change) => {
  await call('POST', '/payments/orders', { body: order });
  const answer = await call('POST', '/payments/orders', { body: { ...order, ...change } });
  expect([answer.status, answer.body.field]).toEqual([409, field]);
  expect((await call('GET', '/payments/orders/ORD-1')).body).toMatchObject({ amount: 40, currency: 'EUR', customerId: 'cust-1' });
});

test('answers a malformed order with 400 naming the field, and an unknown one with 404', async () => {
  const bad = await call('POST', '/payments/orders', { body: { ...order, amount: -5 } });
  const missing = await call('GET', '/payments/orders/NOPE');
  expect([bad.status, bad.body.field]).toEqual([400, 'amount']);
  expect(missing.status).toBe(404);
});

test('refuses a reservation on an order payments does not know', async () => {
  const answer = await reserve(10, 'k-unknown');
  expect([answer.status, answer.body.code]).toEqual([404, 'unknown-order']);
});

test('caps reservations at what is paid minus refunded minus reserved, in cents', async () => {
  await call('POST', '/payments/orders', { body: order });
  const first = await reserve(30.1, 'k-1');
  const tooMuch = await reserve(9.91, 'k-2');
  const exact = await reserve(9.9, 'k-3');
  expect([first.status, tooMuch.status, tooMuch.body.code, exact.status]).toEqual([201, 409, 'exceeds-refundable', 201]);
  expect((await call('GET', '/payments/orders/ORD-1')).body).toMatchObject({ refunded: 0, reserved: 40 });
});

test('lets only as many of ten concurrent reservations through as the order can pay', async () => {
  await call('POST', '/payments/orders', { body: order });
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(15, `k-race-${i}`)));
  expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
  expect(answers.filter((a) => a.status === 409)).toHaveLength(8);
  expect((await call('GET', '/payments/orders/ORD-1')).body.reserved).toBe(30);
});

test('counts a refund issued as refunded, and a reversed one as refundable again', async () => {
  await call('POST', '/payments/orders', { body: order });
  const reservation = await reserve(40, 'k-r');
  const refund = await post('/payments/refunds', { reservationId: reservation.body.reservationId, orderId: 'ORD-1', amount: 40, currency: 'EUR' }, 'k-i');
  expect((await call('GET', '/payments/orders/ORD-1')).body).toMatchObject({ refunded: 40, reserved: 0 });
  expect((await reserve(1, 'k-more')).status).toBe(409);
  await post(`/payments/refunds/${refund.body.refundId}/reverse`, {}, 'k-rev');
  expect((await call('GET', '/payments/orders/ORD-1')).body).toMatchObject({ refunded: 0, reserved: 40 });
});
