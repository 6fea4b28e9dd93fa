// The tenants' daily model budget ledgers: grants, idempotent retries, settlement, and no
// overspend when many runs reserve at once. PostgreSQL must be running (CI starts it).
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import {
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

describe('the file ledger on disk', () => {
  const newFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-budget-')), 'budget.jsonl');

  it('appends one line per reservation and per settlement, and replays them after a restart', async () => {
    const file = newFile();
    const ledger = createFileBudgetLedger(file);
    await ledger.reserve(request({ reservationId: 'a', wantUsd: 0.4 }));
    await ledger.settle('a', 0.05);
    await ledger.settle('a', 0.3);
    await ledger.reserve(request({ reservationId: 'b', wantUsd: 0.2 }));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    // 0.05 spent and 0.2 held: 0.75 left.
    await expect(createFileBudgetLedger(file).reserve(request({ reservationId: 'c', wantUsd: 1 }))).resolves.toEqual({ grantedUsd: 0.75, availableUsd: 0.75 });
  });

  it('makes its folder again on the retry after the folder was removed under it', async () => {
    const file = newFile();
    const ledger = createFileBudgetLedger(file);
    await ledger.reserve(request({ reservationId: 'a', wantUsd: 0.1 }));
    rmSync(path.dirname(file), { recursive: true, force: true });
    // The failed append is the activity's failed attempt: nothing was counted, and the retry writes it.
    await expect(ledger.reserve(request({ reservationId: 'b', wantUsd: 0.1 }))).rejects.toThrow(/ENOENT/);
    await expect(ledger.reserve(request({ reservationId: 'b', wantUsd: 0.1 }))).resolves.toEqual({ grantedUsd: 0.1, availableUsd: 0.9 });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('ignores a line torn by a crash mid-append, and writes the next one on a line of its own', async () => {
    const file = newFile();
    await createFileBudgetLedger(file).reserve(request({ reservationId: 'a', wantUsd: 0.4 }));
    appendFileSync(file, '{"reserve":"torn","tenant":"acme","day":"2026-11-25","mic');
    const restarted = createFileBudgetLedger(file);
    await expect(restarted.reserve(request({ reservationId: 'b', wantUsd: 0.1 }))).resolves.toEqual({ grantedUsd: 0.1, availableUsd: 0.6 });
    await expect(createFileBudgetLedger(file).reserve(request({ reservationId: 'c', wantUsd: 1 }))).resolves.toEqual({ grantedUsd: 0.5, availableUsd: 0.5 });
  });

  it('carries over a ledger file written in the earlier one-object format', async () => {
    const file = newFile();
    const day = '2026-11-25';
    writeFileSync(
      file,
      JSON.stringify({ a: { tenant: 'acme', day, reservedMicro: 400_000, spentMicro: 100_000 }, b: { tenant: 'acme', day, reservedMicro: 200_000 } }),
    );
    const ledger = createFileBudgetLedger(file);
    // 0.1 spent and 0.2 held: 0.7 left; settling b then frees what it did not spend.
    await expect(ledger.reserve(request({ reservationId: 'probe', wantUsd: 0, minUsd: 0 }))).resolves.toEqual({ grantedUsd: 0, availableUsd: 0.7 });
    await ledger.settle('b', 0.05);
    await expect(createFileBudgetLedger(file).reserve(request({ reservationId: 'c', wantUsd: 1 }))).resolves.toEqual({ grantedUsd: 0.85, availableUsd: 0.85 });
  });
});
