// One PostgreSQL pool per store, its schema set at connection start-up and Arbiter's migrations
// run once before its first query; the audit sink, the budget ledger and the blob store share it.
import { Pool } from 'pg';
import { assertSchemaName, migrateDatabase } from './migrate';

export interface MigratedPool {
  pool: Pool;
  /** Resolves once the migrations ran; a failed run is tried again by the next caller (a retried activity). */
  migrateOnce(): Promise<unknown>;
}

export function openMigratedPool(connectionString: string, schema: string | undefined): MigratedPool {
  if (schema !== undefined) assertSchemaName(schema);
  // Set at connection start-up, so every pooled connection sees the schema before its first query.
  const pool = new Pool({ connectionString, max: 4, ...(schema !== undefined && { options: `-c search_path=${schema}` }) });
  // An idle connection the server drops must not crash the worker: the pool discards it and the
  // next query opens a new one.
  pool.on('error', () => undefined);
  let migrated: Promise<unknown> | undefined;
  const migrateOnce = () =>
    (migrated ??= migrateDatabase(pool, schema).catch((error: unknown) => {
      migrated = undefined;
      throw error;
    }));
  return { pool, migrateOnce };
}
