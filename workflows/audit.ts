// Collects a run's audit events as they happen and hands them to the audit activity in
// batches. Event ids are `<workflowId>/<runId>/<n>`: the same on every retry and replay, so the
// sink writes each event once. (A workflow task that fails and runs again records its events
// again at the new task's time: same ids, new hashes; the sinks keep the later version.) Each event is chained to the one before it (common/audit-chain.ts):
// the chain is computed here, in workflow code, so replay rebuilds the same hashes.
import { workflowInfo } from '@temporalio/workflow';
import { GENESIS_HASH, sealAuditEvent } from '../common/audit-chain';
import type { AuditActor, AuditEvent } from '../common/audit-schemas';

export interface AuditEntry {
  type: string;
  actor: AuditActor;
  summary: string;
  authority?: string;
  shown?: unknown;
  changed?: unknown;
  /** A human decision's signed receipt, as the endpoint handed it in. */
  receipt?: unknown;
}

export class AuditTrail {
  private sequence = 0;
  private pending: AuditEvent[] = [];
  private lastHash = GENESIS_HASH;

  constructor(
    private readonly process: string,
    private readonly tenant: string | undefined,
    /** Writes a batch; `head` is the hash of its last event as written (activities/audit). */
    private readonly write: (events: AuditEvent[]) => Promise<{ head?: string }>,
  ) {}

  /** The hash of the latest event: whoever keeps it can tell a trail cut short from a whole one. */
  get head(): string {
    return this.lastHash;
  }

  record(entry: AuditEntry): void {
    const { workflowId, runId } = workflowInfo();
    this.sequence += 1;
    // Named fields only, never `...entry`: the activity's schema drops keys it does not know, and
    // a dropped key would leave a hash that no stored event matches.
    const event = sealAuditEvent(
      {
        eventId: `${workflowId}/${runId}/${this.sequence}`,
        workflowId,
        runId,
        process: this.process,
        tenant: this.tenant,
        at: new Date().toISOString(),
        type: entry.type,
        actor: { kind: entry.actor.kind, id: entry.actor.id },
        authority: entry.authority,
        shown: entry.shown,
        changed: entry.changed,
        summary: entry.summary,
        receipt: entry.receipt,
      },
      this.lastHash,
    );
    this.lastHash = event.hash;
    this.pending.push(event);
  }

  /** Events recorded and not yet written. */
  get unwritten(): number {
    return this.pending.length;
  }

  /**
   * Hands over what is not yet written, for a run that continues as new and ends without another
   * await: the next run writes it (`carryOver`), under the ids and hashes this run gave it.
   */
  takeUnwritten(): AuditEvent[] {
    return this.pending.splice(0);
  }

  /** Events the run this one continues recorded and left unwritten: written with this run's first batch. */
  carryOver(events: AuditEvent[]): void {
    this.pending.unshift(...events);
  }

  /** Writes what was recorded since the last flush; one activity per batch keeps history short. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const written = await this.write(batch);
    // A replay recomputes the events it already wrote, and an event's time after a local activity
    // in the same workflow task can come out otherwise than it did: the events written from here
    // on link to the head as written, which history recorded, not to the recomputation.
    // (Results from before the activity returned the head have none: those runs chain as they did.)
    if (written.head !== undefined && written.head !== batch.at(-1)?.hash) this.relink(written.head);
  }

  /** Chains the unwritten events, recorded while the batch was written, on from `head`. */
  private relink(head: string): void {
    let prevHash = head;
    this.pending = this.pending.map(({ hash: _hash, prevHash: _prev, ...event }) => {
      const sealed = sealAuditEvent(event, prevHash);
      prevHash = sealed.hash;
      return sealed;
    });
    this.lastHash = prevHash;
  }
}
