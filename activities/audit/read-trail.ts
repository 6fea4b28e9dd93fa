// Reads back what the audit sinks stored, as it was stored, for `arbiter audit verify`: the JSONL
// file line by line, PostgreSQL's `event` column with the columns kept beside it.
import { readFile } from 'node:fs/promises';
import { Pool } from 'pg';
import { canonicalJson } from '../../common/canonical-json';
import type { StoredAuditEvent } from '../../common/audit-verify';
import { assertSchemaName } from '../database/migrate';

export interface StoredTrail {
  events: StoredAuditEvent[];
  /** Lines that are not JSON, by location. */
  unreadable: string[];
}

/** Whether an event belongs to the workflow asked for; by id as well as by field, so an edited field cannot hide it. */
function ofWorkflow(event: unknown, workflowId: string | undefined): boolean {
  if (workflowId === undefined) return true;
  const { workflowId: field, eventId } = (event ?? {}) as { workflowId?: unknown; eventId?: unknown };
  return field === workflowId || (typeof eventId === 'string' && eventId.startsWith(`${workflowId}/`));
}

export async function readJsonlTrail(path: string, workflowId?: string): Promise<StoredTrail> {
  const content = await readFile(path, 'utf8');
  const events: StoredAuditEvent[] = [];
  const unreadable: string[] = [];
  content.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const location = `line ${index + 1}`;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      unreadable.push(location);
      return;
    }
    if (ofWorkflow(event, workflowId)) events.push({ event, location });
  });
  return { events, unreadable };
}

interface EventRow {
  event_id: string;
  workflow_id: string;
  run_id: string;
  process: string;
  tenant: string | null;
  type: string;
  actor: unknown;
  authority: string | null;
  summary: string;
  at: Date;
  event: unknown;
}

export interface PostgresTrailOptions {
  schema?: string;
  workflowId?: string;
}

export async function readPostgresTrail(connectionString: string, options: PostgresTrailOptions = {}): Promise<StoredTrail> {
  const { schema, workflowId } = options;
  if (schema !== undefined) assertSchemaName(schema);
  const pool = new Pool({ connectionString, max: 1, ...(schema !== undefined && { options: `-c search_path=${schema}` }) });
  pool.on('error', () => undefined);
  try {
    const result = await pool.query<EventRow>(
      `SELECT event_id, workflow_id, run_id, process, tenant, type, actor, authority, summary, at, event
         FROM arbiter_audit_events
        WHERE $1::text IS NULL OR workflow_id = $1 OR starts_with(event_id, $1 || '/') OR event->>'workflowId' = $1`,
      [workflowId ?? null],
    );
    const events = result.rows.map((row) => ({ event: row.event, location: `row ${row.event_id}`, mismatches: columnMismatches(row) }));
    return { events, unreadable: [] };
  } finally {
    await pool.end();
  }
}

/**
 * The columns PostgreSQL keeps beside the event are copies that queries read; an edit to a copy
 * misleads as much as an edit to the event, so each must agree with the hashed event.
 */
function columnMismatches(row: EventRow): string[] {
  const event = (row.event ?? {}) as Record<string, unknown>;
  const same = (column: unknown, field: unknown) => canonicalJson(column ?? null) === canonicalJson(field ?? null);
  const checks: [string, boolean][] = [
    ['event_id', same(row.event_id, event.eventId)],
    ['workflow_id', same(row.workflow_id, event.workflowId)],
    ['run_id', same(row.run_id, event.runId)],
    ['process', same(row.process, event.process)],
    ['tenant', same(row.tenant, event.tenant)],
    ['type', same(row.type, event.type)],
    ['actor', same(row.actor, event.actor)],
    ['authority', same(row.authority, event.authority)],
    ['summary', same(row.summary, event.summary)],
    ['at', typeof event.at === 'string' && row.at.getTime() === Date.parse(event.at)],
  ];
  return checks.filter(([, ok]) => !ok).map(([column]) => column);
}
