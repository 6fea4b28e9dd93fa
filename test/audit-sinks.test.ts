// The audit trail sinks: a JSONL file and a real PostgreSQL, each writing every eventId at most
// once across retries, restarts and concurrent appends; and the activity that validates first.
// PostgreSQL must be running (CI starts it); these tests fail rather than skip without it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Pool } from 'pg';
import type { AuditEvent } from '../common/audit-schemas';
import {
  auditSinkFromEnv,
  createAuditActivities,
  createJsonlAuditSink,
  createPostgresAuditSink,
  migrateDatabase,
  type AuditSink,
} from '../activities/audit';

const databaseUrl = process.env.ARBITER_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** `count` valid events of one workflow run; ids are unique per `workflowId`. */
function auditEvents(workflowId: string, count: number, firstSequence = 1): AuditEvent[] {
  return Array.from({ length: count }, (_, offset) => {
    const sequence = firstSequence + offset;
    return {
      eventId: `${workflowId}/run-1/${sequence}`,
      workflowId,
      runId: 'run-1',
      process: 'refund',
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, sequence)).toISOString(),
      type: 'step.completed',
      actor: { kind: 'agent', id: 'refund-agent' },
      authority: 'policy refund@3 rule refund-mid',
      changed: { step: sequence },
      summary: `step ${sequence} completed`,
    };
  });
}

/** Sinks opened by a test, closed after it whatever happened. */
const openSinks: AuditSink[] = [];
function opened<T extends AuditSink>(sink: T): T {
  openSinks.push(sink);
  return sink;
}
afterEach(async () => {
  await Promise.all(openSinks.splice(0).map((sink) => sink.close()));
});

describe('JSONL audit sink', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'arbiter-audit-'));
    file = join(dir, 'nested', 'audit.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fileLines(): string[] {
    return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  }

  test('writes a batch as one JSON object per line, creating the parent directory', async () => {
    const events = auditEvents('wf-jsonl-batch', 3);
    await expect(opened(createJsonlAuditSink(file)).append(events)).resolves.toEqual({ written: 3, duplicates: 0 });
    expect(fileLines().map((line) => JSON.parse(line))).toEqual(events);
  });

  test('writes nothing when the same events are appended again', async () => {
    const sink = opened(createJsonlAuditSink(file));
    const events = auditEvents('wf-jsonl-retry', 3);
    await sink.append(events);
    await expect(sink.append(events)).resolves.toEqual({ written: 0, duplicates: 3 });
    expect(fileLines()).toHaveLength(3);
  });

  test('appends a new version of an event (same id, another hash) once, even after a restart', async () => {
    const [event] = auditEvents('wf-jsonl-version', 1);
    const first = { ...event!, hash: 'a'.repeat(64) };
    const retried = { ...event!, at: '2025-01-01T00:01:00.000Z', hash: 'b'.repeat(64) };
    await opened(createJsonlAuditSink(file)).append([first]);
    const restarted = opened(createJsonlAuditSink(file));
    await expect(restarted.append([retried])).resolves.toEqual({ written: 1, duplicates: 0 });
    await expect(restarted.append([retried])).resolves.toEqual({ written: 0, duplicates: 1 });
    expect(fileLines().map((line) => JSON.parse(line))).toEqual([first, retried]);
  });

  test('still deduplicates after a restart, with a new sink on the same file', async () => {
    const events = auditEvents('wf-jsonl-restart', 3);
    await opened(createJsonlAuditSink(file)).append(events);
    const restarted = opened(createJsonlAuditSink(file));
    await expect(restarted.append(events)).resolves.toEqual({ written: 0, duplicates: 3 });
    expect(fileLines()).toHaveLength(3);
  });

  test('writes each id exactly once when two overlapping batches are appended concurrently', async () => {
    const sink = opened(createJsonlAuditSink(file));
    const [first, second] = await Promise.all([
      sink.append(auditEvents('wf-jsonl-race', 4, 1)),
      sink.append(auditEvents('wf-jsonl-race', 4, 3)),
    ]);
    expect(first.written + second.written).toBe(6);
    expect(first.duplicates + second.duplicates).toBe(2);
    const ids = fileLines().map((line) => (JSON.parse(line) as AuditEvent).eventId);
    expect(ids.sort()).toEqual(auditEvents('wf-jsonl-race', 6).map((event) => event.eventId).sort());
  });
});

describe('auditSinkFromEnv', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'arbiter-audit-env-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes to the default JSONL path when nothing is set', async () => {
    const jsonlPath = join(dir, 'default.jsonl');
    await opened(auditSinkFromEnv({}, { jsonlPath })).append(auditEvents('wf-env-default', 1));
    expect(readFileSync(jsonlPath, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('writes to ARBITER_AUDIT_FILE instead of the default path when it is set', async () => {
    const chosen = join(dir, 'chosen.jsonl');
    await opened(auditSinkFromEnv({ ARBITER_AUDIT_FILE: chosen }, { jsonlPath: join(dir, 'default.jsonl') })).append(
      auditEvents('wf-env-file', 1),
    );
    expect(readFileSync(chosen, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('PostgreSQL audit sink', () => {
  const schemas: string[] = [];
  /** A schema of this test file's own, dropped in afterAll. */
  function freshSchema(): string {
    const name = `audit_test_${randomBytes(6).toString('hex')}`;
    schemas.push(name);
    return name;
  }
  /** The sink tests share one schema; their events differ by workflow id. */
  const schema = freshSchema();
  let admin: Pool;

  function sink(): AuditSink {
    return opened(createPostgresAuditSink(databaseUrl, { schema }));
  }

  async function storedIds(workflowId: string): Promise<string[]> {
    const result = await admin.query<{ event_id: string }>(
      `SELECT event_id FROM ${schema}.arbiter_audit_events WHERE workflow_id = $1 ORDER BY event_id`,
      [workflowId],
    );
    return result.rows.map((row) => row.event_id);
  }

  beforeAll(async () => {
    admin = new Pool({ connectionString: databaseUrl, max: 2 });
    admin.on('error', () => undefined);
    try {
      await admin.query('SELECT 1');
    } catch (error) {
      await admin.end();
      throw new Error(
        `PostgreSQL is not reachable at ${withoutPassword(databaseUrl)} (${(error as Error).message}). ` +
          'Start it (pg_ctlcluster <version> main start) or point ARBITER_TEST_DATABASE_URL at a running server.',
      );
    }
  });

  afterAll(async () => {
    if (!admin) return;
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
  });

  test('the migrations create the events table and record versions 001 to 003', async () => {
    const fresh = freshSchema();
    await expect(migrateDatabase(admin, fresh)).resolves.toEqual(['001', '002', '003']);
    const tables = await admin.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'arbiter_audit_events'",
      [fresh],
    );
    expect(tables.rowCount).toBe(1);
    const versions = await admin.query(`SELECT version FROM ${fresh}.arbiter_schema_migrations ORDER BY version`);
    expect(versions.rows).toEqual([{ version: '001' }, { version: '002' }, { version: '003' }]);
  });

  test('running the migration twice applies nothing the second time', async () => {
    const fresh = freshSchema();
    await migrateDatabase(admin, fresh);
    await expect(migrateDatabase(admin, fresh)).resolves.toEqual([]);
    const versions = await admin.query(`SELECT version FROM ${fresh}.arbiter_schema_migrations`);
    expect(versions.rowCount).toBe(3);
  });

  test('two migrations started at once on a fresh schema apply each version exactly once', async () => {
    const fresh = freshSchema();
    const results = await Promise.all([migrateDatabase(admin, fresh), migrateDatabase(admin, fresh)]);
    expect(results.flat()).toEqual(['001', '002', '003']);
  });

  test('writes a batch and stores the whole event next to its columns', async () => {
    const events = auditEvents('wf-pg-batch', 3);
    await expect(sink().append(events)).resolves.toEqual({ written: 3, duplicates: 0 });
    const row = await admin.query(
      `SELECT workflow_id, actor, tenant, at, event FROM ${schema}.arbiter_audit_events WHERE event_id = $1`,
      [events[0]!.eventId],
    );
    expect(row.rows[0]).toEqual({
      workflow_id: 'wf-pg-batch',
      actor: events[0]!.actor,
      tenant: null,
      at: new Date(events[0]!.at),
      event: events[0],
    });
  });

  test('writes nothing when the same events are appended again', async () => {
    const writer = sink();
    const events = auditEvents('wf-pg-retry', 3);
    await writer.append(events);
    await expect(writer.append(events)).resolves.toEqual({ written: 0, duplicates: 3 });
    expect(await storedIds('wf-pg-retry')).toHaveLength(3);
  });

  test('replaces an event with a new version (same id, another hash), and not with the same version', async () => {
    const [event] = auditEvents('wf-pg-version', 1);
    const first = { ...event!, hash: 'a'.repeat(64) };
    const retried = { ...event!, at: '2025-01-01T00:01:00.000Z', summary: 'step 1 completed, again', hash: 'b'.repeat(64) };
    const writer = sink();
    await writer.append([first]);
    await expect(writer.append([retried])).resolves.toEqual({ written: 1, duplicates: 0 });
    await expect(writer.append([retried])).resolves.toEqual({ written: 0, duplicates: 1 });
    const rows = await admin.query(`SELECT summary, at, event FROM ${schema}.arbiter_audit_events WHERE workflow_id = 'wf-pg-version'`);
    expect(rows.rows).toEqual([{ summary: retried.summary, at: new Date(retried.at), event: retried }]);
  });

  test('still deduplicates after a restart, with a new sink on the same database', async () => {
    const events = auditEvents('wf-pg-restart', 3);
    await sink().append(events);
    await expect(sink().append(events)).resolves.toEqual({ written: 0, duplicates: 3 });
    expect(await storedIds('wf-pg-restart')).toHaveLength(3);
  });

  test('writes each id exactly once when two sinks append overlapping batches concurrently', async () => {
    const [first, second] = await Promise.all([
      sink().append(auditEvents('wf-pg-race', 40, 1)),
      sink().append(auditEvents('wf-pg-race', 40, 21)),
    ]);
    expect(first.written + second.written).toBe(60);
    expect(first.duplicates + second.duplicates).toBe(20);
    expect(await storedIds('wf-pg-race')).toHaveLength(60);
  });

  test('appendAuditEvents rejects a batch with an event missing its summary, naming the field, and writes none of it', async () => {
    const [valid, malformed] = auditEvents('wf-pg-invalid', 2);
    const withoutSummary: Partial<AuditEvent> = { ...malformed! };
    delete withoutSummary.summary;
    const { appendAuditEvents } = createAuditActivities({ sink: sink() });

    const failure = await appendAuditEvents([valid!, withoutSummary as AuditEvent]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InvalidAuditEvent', nonRetryable: true });
    expect((failure as ApplicationFailure).message).toMatch(/event 1\b.*summary/);
    expect(await storedIds('wf-pg-invalid')).toEqual([]);
  });
});

/** The URL as it may appear in a test failure: a password never does. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
