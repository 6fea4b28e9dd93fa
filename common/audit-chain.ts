// The hash chain that makes the audit trail tamper-evident: every event carries the hash of its
// run's previous event and its own hash. Pure (sha256 in JavaScript), so the workflow computes
// the chain inside the sandbox and `arbiter audit verify` recomputes it with the same code.
import type { AuditEvent } from './audit-schemas';
import { contentHash } from './content-hash';

/** What the first event of a run links to: no event hashes to all zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The run id of events the approvers' endpoint writes: it sees a card, never a run. */
export const ENDPOINT_RUN_ID = 'endpoint';

/** An event before it is hashed: everything but its own hash, the link included. */
export type UnhashedAuditEvent = Omit<AuditEvent, 'hash' | 'prevHash'>;
export type SealedAuditEvent = AuditEvent & { prevHash: string; hash: string };

/** sha256 over the canonical event without its own `hash` (the `prevHash` link is covered). */
export function auditEventHash(event: AuditEvent): string {
  const covered: Partial<AuditEvent> = { ...event };
  delete covered.hash;
  return contentHash(covered);
}

/**
 * The event linked to `prevHash` and sealed with its own hash. It first goes through JSON, as it
 * will on its way to the sink (Temporal's payload converter, the JSONL line, the jsonb column),
 * so what is hashed is exactly what is stored: no `undefined`, no Date objects, no `-0`.
 */
export function sealAuditEvent(event: UnhashedAuditEvent, prevHash: string): SealedAuditEvent {
  const linked = { ...(JSON.parse(JSON.stringify(event)) as UnhashedAuditEvent), prevHash };
  return { ...linked, hash: auditEventHash(linked) };
}

/** `<workflowId>/<runId>/<n>` split into the run's key and its sequence, or undefined when the id has another shape. */
export function parseRunEventId(eventId: string): { runKey: string; sequence: number } | undefined {
  const match = /^(.+\/[^/]+)\/([1-9][0-9]{0,8})$/.exec(eventId);
  if (!match) return undefined;
  return { runKey: match[1]!, sequence: Number(match[2]) };
}
