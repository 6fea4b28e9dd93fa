// The audit trail in PostgreSQL: table arbiter_audit_events, created by ./migrations on first
// append; the primary key on event_id makes a retried append write nothing twice. A new version
// of an event (same id, another hash) replaces the stored one: a workflow task that failed and
// ran again records that task's events again at the new task's time, and the retried task's
// history is the one that counts (docs/audit-trail.md).
import type { AuditEvent } from '../../common/audit-schemas';
import { openMigratedPool } from '../database/pool';
import type { AuditSink } from './sink';

export interface PostgresAuditSinkOptions {
  /** Keep the tables in this schema (created if missing) instead of the default search_path. */
  schema?: string;
}

// Arrays of columns unnested into rows: one statement and eleven parameters whatever the batch
// size, so a large batch cannot hit PostgreSQL's limit on bind parameters.
const insertEvents = `
  INSERT INTO arbiter_audit_events
    (event_id, workflow_id, run_id, process, tenant, type, actor, authority, summary, at, event)
  SELECT * FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::jsonb[], $8::text[], $9::text[], $10::timestamptz[], $11::jsonb[]
  )
  ON CONFLICT (event_id) DO UPDATE SET
    workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id, process = EXCLUDED.process,
    tenant = EXCLUDED.tenant, type = EXCLUDED.type, actor = EXCLUDED.actor, authority = EXCLUDED.authority,
    summary = EXCLUDED.summary, at = EXCLUDED.at, event = EXCLUDED.event, recorded_at = now()
  -- Only a new version (another hash) of the event replaces the stored one: see the header.
  WHERE arbiter_audit_events.event->>'hash' IS DISTINCT FROM EXCLUDED.event->>'hash'`;

export function createPostgresAuditSink(connectionString: string, options: PostgresAuditSinkOptions = {}): AuditSink {
  const { pool, migrateOnce } = openMigratedPool(connectionString, options.schema);

  return {
    async append(events) {
      if (events.length === 0) return { written: 0, duplicates: 0 };
      await migrateOnce();
      const result = await pool.query(insertEvents, columnsOf(events));
      const written = result.rowCount ?? 0;
      return { written, duplicates: events.length - written };
    },
    async close() {
      await pool.end();
    },
  };
}

/** Column arrays for the insert, rows sorted by id so concurrent overlapping batches lock in one order and cannot deadlock. */
function columnsOf(events: AuditEvent[]): unknown[][] {
  // One row per id (the batch's last version): an upsert may not touch a row twice in one statement.
  const latest = [...new Map(events.map((event) => [event.eventId, event])).values()];
  const rows = latest.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  return [
    rows.map((e) => e.eventId),
    rows.map((e) => e.workflowId),
    rows.map((e) => e.runId),
    rows.map((e) => e.process),
    rows.map((e) => e.tenant ?? null),
    rows.map((e) => e.type),
    rows.map((e) => JSON.stringify(e.actor)),
    rows.map((e) => e.authority ?? null),
    rows.map((e) => e.summary),
    rows.map((e) => e.at),
    rows.map((e) => JSON.stringify(e)),
  ];
}
