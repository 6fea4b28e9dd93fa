// Where audit events end up: a JSONL file or PostgreSQL, behind one interface the activity writes to.
import type { AuditEvent } from '../../common/audit-schemas';

export interface AppendResult {
  /** Events newly recorded by this call. */
  written: number;
  /** Events skipped because their `eventId` was already recorded (a retried activity). */
  duplicates: number;
  /** The hash of the batch's last event: the head of the chain as written. Set by the audit activity. */
  head?: string;
}

export interface AuditSink {
  /** Records each event at most once per `eventId`, however often the same batch is retried. */
  append(events: AuditEvent[]): Promise<AppendResult>;
  close(): Promise<void>;
}
