// Applies Arbiter's SQL migrations (./migrations/*.sql, in name order: the audit trail, the model
// budget ledger, the blob store) that a database has not recorded yet, so every worker can call it at start-up.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';

const migrationsDir = join(__dirname, 'migrations');

/** One key for all Arbiter migrations: workers starting at once take turns instead of racing. */
const migrationLockKey = 4_242_001;

/** Lower-case SQL identifiers only, so a schema name never needs quoting or escaping. */
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!schemaNamePattern.test(schema)) {
    throw new Error(`Schema name must match ${schemaNamePattern.source}, got "${schema}"`);
  }
}

/**
 * Applies pending migrations, each in its own transaction, and returns the versions it applied
 * (empty when the database was already up to date). With `schema`, creates it if missing and
 * migrates inside it.
 */
export async function migrateDatabase(pool: Pool, schema?: string): Promise<string[]> {
  if (schema !== undefined) assertSchemaName(schema);
  const files = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
  const applied: string[] = [];
  for (const file of files) {
    const version = file.split('_')[0] ?? file;
    const sql = await readFile(join(migrationsDir, file), 'utf8');
    const didApply = await underMigrationLock(pool, schema, async (client) => {
      // Checked under the lock: another worker may have applied it while this one waited.
      const recorded = await client.query('SELECT 1 FROM arbiter_schema_migrations WHERE version = $1', [version]);
      if (recorded.rowCount) return false;
      await client.query(sql);
      await client.query('INSERT INTO arbiter_schema_migrations (version, applied_at) VALUES ($1, now())', [version]);
      return true;
    });
    if (didApply) applied.push(version);
  }
  return applied;
}

/** Runs `work` in a transaction that holds the migration lock, with the bookkeeping table in place. */
async function underMigrationLock<T>(
  pool: Pool,
  schema: string | undefined,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey]);
    // Inside the lock: concurrent CREATE ... IF NOT EXISTS can still fail on a duplicate key.
    if (schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`SET LOCAL search_path TO ${schema}`);
    }
    await client.query(
      'CREATE TABLE IF NOT EXISTS arbiter_schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL)',
    );
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
