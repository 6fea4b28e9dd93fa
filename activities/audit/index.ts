// The audit activity: validates a batch of audit events and records it in the configured sink,
// at most once per eventId, so workflows can retry it freely.
import { ApplicationFailure } from '@temporalio/activity';
import { auditEventSchema, type AuditEvent } from '../../common/audit-schemas';
import { createJsonlAuditSink } from './jsonl-sink';
import { createPostgresAuditSink } from './postgres-sink';
import type { AppendResult, AuditSink } from './sink';

export type { AppendResult, AuditSink } from './sink';
export { createJsonlAuditSink } from './jsonl-sink';
export { createPostgresAuditSink, type PostgresAuditSinkOptions } from './postgres-sink';
export { migrateDatabase } from '../database/migrate';

export interface AuditDeps {
  sink: AuditSink;
}

export function createAuditActivities(deps: AuditDeps) {
  return {
    async appendAuditEvents(events: AuditEvent[]): Promise<AppendResult> {
      // The whole batch is checked before any of it is written: a retry cannot fix a malformed
      // event, and writing half a batch would leave a trail with a hole in it.
      if (!Array.isArray(events)) {
        throw ApplicationFailure.nonRetryable('Audit events must be an array', 'InvalidAuditEvent');
      }
      const valid = events.map(validEvent);
      const result = await deps.sink.append(valid);
      // The chain's head as written, recorded in history with this result: a replay links the
      // run's next events to it, not to its own recomputation of these (workflows/audit.ts).
      return { ...result, head: valid.at(-1)?.hash };
    },
  };
}

export type AuditActivities = ReturnType<typeof createAuditActivities>;

/** The parsed event, or a non-retryable failure naming the field and the event's index (never its content). */
function validEvent(event: unknown, index: number): AuditEvent {
  const parsed = auditEventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
  throw ApplicationFailure.nonRetryable(`Audit event ${index} is invalid: ${problems.join('; ')}`, 'InvalidAuditEvent');
}

/** PostgreSQL when ARBITER_AUDIT_DATABASE_URL is set, else the JSONL file at ARBITER_AUDIT_FILE or the default path. */
export function auditSinkFromEnv(env: NodeJS.ProcessEnv = process.env, defaults: { jsonlPath: string }): AuditSink {
  if (env.ARBITER_AUDIT_DATABASE_URL) return createPostgresAuditSink(env.ARBITER_AUDIT_DATABASE_URL);
  return createJsonlAuditSink(env.ARBITER_AUDIT_FILE || defaults.jsonlPath);
}
