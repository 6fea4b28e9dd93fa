// The budget ledger in PostgreSQL (table arbiter_model_budget), shared by any number of workers.
// A reservation reads the tenant's day and inserts its row under a transaction-scoped advisory
// lock on (tenant, day), so two runs can never both take the last of a budget.
import { openMigratedPool } from '../database/pool';
import { decideGrant, fromMicroUsd, toMicroUsd, type ModelBudgetLedger } from './ledger';

/** The first key of the ledger's advisory locks; the second is a hash of tenant and day. */
const budgetLockClass = 4_242_002;

export interface PostgresBudgetLedgerOptions {
  schema?: string;
}

export function createPostgresBudgetLedger(connectionString: string, options: PostgresBudgetLedgerOptions = {}): ModelBudgetLedger {
  const { pool, migrateOnce } = openMigratedPool(connectionString, options.schema);

  return {
    async reserve(request) {
      await migrateOnce();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [budgetLockClass, `${request.tenant}/${request.day}`]);
        const used = await client.query<{ micro: string }>(
          `SELECT COALESCE(SUM(COALESCE(spent_usd, reserved_usd)), 0) * 1000000 AS micro
             FROM arbiter_model_budget WHERE tenant = $1 AND day = $2`,
          [request.tenant, request.day],
        );
        const usedMicro = Number(used.rows[0]?.micro ?? 0);
        const existing = await client.query<{ micro: string }>(
          'SELECT reserved_usd * 1000000 AS micro FROM arbiter_model_budget WHERE reservation_id = $1',
          [request.reservationId],
        );
        const alreadyReservedMicro = existing.rowCount ? Number(existing.rows[0]!.micro) : undefined;
        const { grantedMicro, availableMicro } = decideGrant(request, usedMicro, alreadyReservedMicro);
        if (alreadyReservedMicro === undefined && grantedMicro > 0) {
          await client.query(
            'INSERT INTO arbiter_model_budget (reservation_id, tenant, day, reserved_usd) VALUES ($1, $2, $3, $4::numeric / 1000000)',
            [request.reservationId, request.tenant, request.day, grantedMicro],
          );
        }
        await client.query('COMMIT');
        return { grantedUsd: fromMicroUsd(grantedMicro), availableUsd: fromMicroUsd(availableMicro) };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    async settle(reservationId, spentUsd) {
      await migrateOnce();
      await pool.query(
        `UPDATE arbiter_model_budget SET spent_usd = $2::numeric / 1000000, settled_at = now()
          WHERE reservation_id = $1 AND settled_at IS NULL`,
        [reservationId, toMicroUsd(spentUsd)],
      );
    },

    async close() {
      await pool.end();
    },
  };
}
