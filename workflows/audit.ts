// Collects a run's audit events as they happen and hands them to the audit activity in
// batches. Event ids are `<workflowId>/<runId>/<n>`: the same on every retry and replay, so the
// sink writes each event once.
import { workflowInfo } from '@temporalio/workflow';
import type { AuditActor, AuditEvent } from '../common/audit-schemas';

export interface AuditEntry {
  type: string;
  actor: AuditActor;
  summary: string;
  authority?: string;
  shown?: unknown;
  changed?: unknown;
}

export class AuditTrail {
  private sequence = 0;
  private pending: AuditEvent[] = [];

  constructor(
    private readonly process: string,
    private readonly tenant: string | undefined,
    private readonly write: (events: AuditEvent[]) => Promise<unknown>,
  ) {}

  record(entry: AuditEntry): void {
    const { workflowId, runId } = workflowInfo();
    this.sequence += 1;
    this.pending.push({
      eventId: `${workflowId}/${runId}/${this.sequence}`,
      workflowId,
      runId,
      process: this.process,
      tenant: this.tenant,
      at: new Date().toISOString(),
      ...entry,
    });
  }

  /** Writes what was recorded since the last flush; one activity per batch keeps history short. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    await this.write(batch);
  }
}
