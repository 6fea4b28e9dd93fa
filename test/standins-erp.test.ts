// The stand-in ERP over real HTTP against a temp state file: customers registered once, the
// credit limit set once per Idempotency-Key against the limit it was decided on, restored (once,
// latest change first), and the ERP activities sorting its answers for Temporal.
import { ApplicationFailure } from '@temporalio/common';
import { createErpActivities } from '../activities/erp';
import type { CreditRecord } from '../common/credit-limit-schemas';
import { useStandInsFixture } from './helpers/standins-fixture';

const standIns = useStandInsFixture({ name: 'standins-erp' });
const { call, post } = standIns;

const customer = (customerId: string, overrides: Partial<CreditRecord> = {}): CreditRecord => ({
  customerId,
  creditLimit: 20_000,
  currency: 'EUR',
  exposure: 12_000,
  daysPastDue: 0,
  accountManager: 'am-lena',
  ...overrides,
});

const setLimit = (customerId: string, expectedLimit: number, newLimit: number, key = `wf-${customerId}/set-credit-limit`) =>
  post(`/erp/customers/${customerId}/credit-limit`, { newLimit, currency: 'EUR', expectedLimit }, key);

test('registers a customer once, refuses another record under the same id, and answers the record', async () => {
  expect((await post('/erp/customers', customer('C-1'))).status).toBe(201);
  expect((await post('/erp/customers', customer('C-1'))).status).toBe(200);
  const other = await post('/erp/customers', customer('C-1', { daysPastDue: 5 }));
  expect([other.status, other.body.field]).toEqual([409, 'customerId']);
  expect(await call('GET', '/erp/customers/C-1')).toMatchObject({ status: 200, body: customer('C-1') });
  expect((await call('GET', '/erp/customers/C-unknown')).status).toBe(404);
});

test('sets the limit once per key, restores it once, and refuses a change decided on another limit', async () => {
  await post('/erp/customers', customer('C-2'));
  const first = await setLimit('C-2', 20_000, 30_000);
  const replay = await setLimit('C-2', 20_000, 30_000);
  expect(first).toMatchObject({ status: 201, body: { customerId: 'C-2', previousLimit: 20_000, newLimit: 30_000, currency: 'EUR' } });
  expect(replay.body).toEqual(first.body);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');

  const stale = await setLimit('C-2', 20_000, 25_000, 'wf-other/set-credit-limit');
  expect([stale.status, stale.body.field]).toEqual([409, 'expectedLimit']);

  const restore = await post(`/erp/credit-limit-changes/${first.body.changeId}/restore`, {}, 'wf-C-2/undo');
  const again = await post(`/erp/credit-limit-changes/${first.body.changeId}/restore`, {}, 'wf-C-2/undo-2');
  expect(restore).toMatchObject({ status: 200, body: { creditLimit: 20_000, status: 'restored' } });
  expect(again.body).toEqual(restore.body);
  const state = await call('GET', '/state');
  expect(state.body.creditCustomers.find((c: CreditRecord) => c.customerId === 'C-2').creditLimit).toBe(20_000);
});

test('refuses to restore an older change while a later one stands', async () => {
  await post('/erp/customers', customer('C-3'));
  const { body: older } = await setLimit('C-3', 20_000, 22_000, 'wf-a/set');
  const { body: later } = await setLimit('C-3', 22_000, 24_000, 'wf-b/set');
  const outOfOrder = await post(`/erp/credit-limit-changes/${older.changeId}/restore`, {}, 'wf-a/undo');
  expect(outOfOrder.status).toBe(409);
  expect(outOfOrder.body.error).toContain(later.changeId);
});

test('the ERP activities read null for an unknown customer and turn a refusal into a non-retryable ErpRejected', async () => {
  const erp = createErpActivities({ baseUrl: standIns.baseUrl });
  expect(await erp.getCreditRecord({ customerId: 'C-nobody' })).toBeNull();
  await post('/erp/customers', customer('C-4'));
  expect(await erp.getCreditRecord({ customerId: 'C-4' })).toEqual(customer('C-4'));
  const refused = await erp.setCreditLimit({ idempotencyKey: 'wf-C-4/set', customerId: 'C-4', newLimit: 30_000, currency: 'EUR', expectedLimit: 1 }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect(refused).toMatchObject({ type: 'ErpRejected', nonRetryable: true });
});
