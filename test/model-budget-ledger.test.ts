// The tenants' daily model budget ledgers: grants, idempotent retries, settlement, and no
// overspend when many runs reserve at once. PostgreSQL must be running (CI starts it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Pool } from 'pg';
import {
  createBudgetActivities,
  createFileBudgetLedger,
  createPostgresBudgetLedger,
  type BudgetReservationRequest,
  type ModelBudgetLedger,
} from '../activities/budget';

const databaseUrl = process.env.ARBITER_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `arbiter_budget_test_${process.pid}`;

function request(overrides: Partial<BudgetReservationRequest> = {}): BudgetReservationRequest {
  return { reservationId: 'wf/run/model-call-1', tenant: 'acme', day: '2026-11-25', dailyLimitUsd: 1, wantUsd: 0.4, minUsd: 0.1, ...overrides };
}

const ledgers: ModelBudgetLedger[] = [];
afterAll(async () => {
  for (const ledger of ledgers) await ledger.close();
  const admin = new Pool({ connectionString: databaseUrl });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

const kinds: [string, () => ModelBudgetLedger][] = [
  ['file', () => createFileBudgetLedger(path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-budget-')), 'budget.json'))],
  ['PostgreSQL', () => createPostgresBudgetLedger(databaseUrl, { schema })],
];

let tenants = 0;
/** A tenant no other test touched, so tests share one schema without sharing a budget. */
const freshTenant = () => `tenant-${process.pid}-${++tenants}`;

describe.each(kinds)('the %s ledger', (_kind, open) => {
  let ledger: ModelBudgetLedger;
  beforeAll(() => {
    ledger = open();
    ledgers.push(ledger);
  });

  it('grants what is wanted while the day has room, then less, then nothing below the minimum', async () => {
    const tenant = freshTenant();
    const reserve = (n: number) => ledger.reserve(request({ tenant, reservationId: `${tenant}/${n}` }));
    await expect(reserve(1)).resolves.toEqual({ grantedUsd: 0.4, availableUsd: 1 });
    await expect(reserve(2)).resolves.toEqual({ grantedUsd: 0.4, availableUsd: 0.6 });
    await expect(reserve(3)).resolves.toEqual({ grantedUsd: 0.2, availableUsd: 0.2 });
    await expect(reserve(4)).resolves.toEqual({ grantedUsd: 0, availableUsd: 0 });
  });

  it('returns the first grant to a retried reservation and counts it once', async () => {
    const tenant = freshTenant();
    const first = await ledger.reserve(request({ tenant, reservationId: `${tenant}/a` }));
    const retried = await ledger.reserve(request({ tenant, reservationId: `${tenant}/a` }));
    expect(retried).toEqual(first);
    await expect(ledger.reserve(request({ tenant, reservationId: `${tenant}/b` }))).resolves.toEqual({ grantedUsd: 0.4, availableUsd: 0.6 });
  });

  it('settles to the real cost, frees the rest, and ignores a second settlement', async () => {
    const tenant = freshTenant();
    await ledger.reserve(request({ tenant, reservationId: `${tenant}/a`, wantUsd: 0.9 }));
    await ledger.settle(`${tenant}/a`, 0.000123);
    await ledger.settle(`${tenant}/a`, 0.5);
    const next = await ledger.reserve(request({ tenant, reservationId: `${tenant}/b`, wantUsd: 5 }));
    expect(next).toEqual({ grantedUsd: 0.999877, availableUsd: 0.999877 });
  });

  it('keeps tenants and days apart', async () => {
    const tenant = freshTenant();
    await ledger.reserve(request({ tenant, reservationId: `${tenant}/a`, wantUsd: 1 }));
    await expect(ledger.reserve(request({ tenant, reservationId: `${tenant}/b` }))).resolves.toMatchObject({ grantedUsd: 0 });
    await expect(ledger.reserve(request({ tenant, day: '2026-11-26', reservationId: `${tenant}/c` }))).resolves.toMatchObject({ grantedUsd: 0.4 });
    await expect(ledger.reserve(request({ tenant: freshTenant(), reservationId: `${tenant}/d` }))).resolves.toMatchObject({ grantedUsd: 0.4 });
  });

  it('never grants more than the day holds when 100 runs reserve at once', async () => {
    const tenant = freshTenant();
    const grants = await Promise.all(
      Array.from({ length: 100 }, (_, n) => ledger.reserve(request({ tenant, reservationId: `${tenant}/${n}`, dailyLimitUsd: 1.05, wantUsd: 0.1, minUsd: 0.1 }))),
    );
    const granted = grants.filter((g) => g.grantedUsd > 0);
    console.log(`${_kind} ledger: 100 concurrent reservations of 0.1 USD against 1.05 USD: ${granted.length} granted, ${100 - granted.length} refused`);
    expect(granted).toHaveLength(10);
    expect(granted.every((g) => g.grantedUsd === 0.1)).toBe(true);
  });
});

it('keeps the file ledger across a restart', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-budget-')), 'budget.json');
  await createFileBudgetLedger(file).reserve(request({ wantUsd: 0.9 }));
  await expect(createFileBudgetLedger(file).reserve(request({ reservationId: 'other' }))).resolves.toEqual({ grantedUsd: 0.1, availableUsd: 0.1 });
});

it('refuses a malformed reservation, naming the field, without touching the ledger', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-budget-')), 'budget.json');
  const ledger = createFileBudgetLedger(file);
  const { reserveModelBudget } = createBudgetActivities({ ledger });
  const env = new MockActivityEnvironment();
  await expect(env.run(reserveModelBudget, { ...request(), day: 'yesterday' })).rejects.toMatchObject({
    type: 'InvalidBudgetRequest',
    nonRetryable: true,
    message: expect.stringContaining('day'),
  });
  await expect(env.run(reserveModelBudget, { ...request(), wantUsd: -1 })).rejects.toThrow(/wantUsd/);
  await expect(ledger.reserve(request({ wantUsd: 1 }))).resolves.toEqual({ grantedUsd: 1, availableUsd: 1 });
});
