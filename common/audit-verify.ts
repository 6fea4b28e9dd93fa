// Checks a stored audit trail against its hash chain (common/audit-chain.ts) and its decision
// receipts, and says which event was edited, removed, inserted or reordered. Pure: the sinks'
// readers hand it what they stored, and it hashes exactly that, never a re-parsed copy (a schema
// would drop a key an editor added).
import { auditEventHash, ENDPOINT_RUN_ID, GENESIS_HASH, parseRunEventId } from './audit-chain';
import { auditEventSchema, type AuditEvent } from './audit-schemas';
import { contentHash } from './content-hash';
import type { DecisionReceipt, ReceiptChecker } from './decision-receipt';

/** One event as a sink holds it, with where it was found and what the sink itself saw wrong. */
export interface StoredAuditEvent {
  event: unknown;
  /** `line 12` or `row refund-1/r/3`: where an operator finds it. */
  location: string;
  /** Copies the sink keeps beside the event that disagree with it (PostgreSQL's columns). */
  mismatches?: string[];
}

export type TamperKind = 'edited' | 'removed' | 'inserted' | 'reordered' | 'truncated' | 'unchained' | 'bad-receipt' | 'malformed';

export interface Finding {
  kind: TamperKind;
  eventId: string;
  detail: string;
}

export interface RunReport {
  /** `<workflowId>/<runId>` for a run's chain, `<workflowId>/endpoint` for the endpoint's stand-alone events. */
  runKey: string;
  source: 'workflow' | 'endpoint';
  events: number;
  receipts: number;
  /** The run's last event ends it (`run.finished`, or `run.continued-as-new`); an open run is in flight, or lost its tail. */
  finished: boolean;
  /** The run ended by continuing as new: a later run of the same workflow goes on, in a chain of its own. */
  continuedAsNew?: true;
  head?: string;
  /** The first thing wrong, in chain order; nothing after it is trusted. */
  finding?: Finding;
}

export interface TrailReport {
  runs: RunReport[];
  /** Lines that were not JSON: a write torn by a crash (the sink rewrites those events) or damage. */
  unreadable: string[];
  /** Problems that belong to no run: events that are not audit events at all. */
  findings: Finding[];
}

export interface VerifyOptions {
  checkReceipt: ReceiptChecker;
  /** The anchored hash of the run's last event (its workflow result's `auditHead`). */
  head?: string;
}

interface Sealed {
  event: AuditEvent & { hash: string; prevHash: string };
  sequence: number;
  stored: StoredAuditEvent;
}

/** The events a run's chain ends with: nothing may follow them in the same run. */
const RUN_ENDS = new Set(['run.finished', 'run.continued-as-new']);

export function verifyTrail(stored: readonly StoredAuditEvent[], unreadable: string[], options: VerifyOptions): TrailReport {
  const findings: Finding[] = [];
  const runs = new Map<string, StoredAuditEvent[]>();
  const endpointEvents = new Map<string, StoredAuditEvent[]>();
  for (const item of stored) {
    const parsed = auditEventSchema.safeParse(item.event);
    if (!parsed.success) {
      const eventId = (item.event as { eventId?: unknown } | null)?.eventId;
      findings.push({ kind: 'malformed', eventId: typeof eventId === 'string' ? eventId : item.location, detail: `not an audit event (${item.location})` });
      continue;
    }
    const { eventId, workflowId, runId } = parsed.data;
    const runKey = parseRunEventId(eventId)?.runKey;
    if (runId === ENDPOINT_RUN_ID && eventId.startsWith(`${ENDPOINT_RUN_ID}/`)) push(endpointEvents, `${workflowId}/${ENDPOINT_RUN_ID}`, item);
    else if (runKey !== undefined) push(runs, runKey, item);
    else findings.push({ kind: 'inserted', eventId, detail: `its id fits no run (<workflowId>/<runId>/<n>) (${item.location})` });
  }
  const reports = [
    ...[...runs].map(([runKey, items]) => verifyRun(runKey, items, options)),
    ...[...endpointEvents].map(([runKey, items]) => verifyEndpointEvents(runKey, items, options)),
  ].sort((a, b) => (a.runKey < b.runKey ? -1 : a.runKey > b.runKey ? 1 : 0));
  return { runs: reports, unreadable, findings };
}

/** A run's events in sequence order, each linked to the one before, the first to the genesis value. */
function verifyRun(runKey: string, items: StoredAuditEvent[], options: VerifyOptions): RunReport {
  // A later version of an id supersedes an earlier one, as in the sinks: a retried workflow task
  // records its events again. The later version must chain like any other, so this hides nothing.
  const latest = [...new Map(items.map((item) => [String((item.event as AuditEvent).eventId), item])).values()];
  const chain = latest
    .map((stored) => ({ stored, raw: stored.event as Record<string, unknown>, sequence: parseRunEventId(String((stored.event as AuditEvent).eventId))!.sequence }))
    .sort((a, b) => a.sequence - b.sequence);
  const report: RunReport = { runKey, source: 'workflow', events: 0, receipts: 0, finished: false };
  const fail = (kind: TamperKind, eventId: string, detail: string): RunReport => ({ ...report, finding: { kind, eventId, detail } });

  let previous: Sealed | undefined;
  for (let index = 0; index < chain.length; index += 1) {
    const item = chain[index]!;
    const event = item.raw as AuditEvent;
    const at = `(${item.stored.location})`;
    const expected = (previous?.sequence ?? 0) + 1;
    if (typeof event.hash !== 'string' || typeof event.prevHash !== 'string') {
      const none = chain.every(({ raw }) => raw.hash === undefined && raw.prevHash === undefined);
      const why = none ? 'the whole run carries no hash chain (written before the chain existed?)' : 'carries no hash chain (stripped, or written before the chain existed)';
      return fail('unchained', event.eventId, `${why} ${at}`);
    }
    if (item.sequence > expected) {
      return fail('removed', `${runKey}/${expected}`, `missing: the trail jumps from ${previous?.event.eventId ?? 'the start'} to ${event.eventId}`);
    }
    if (auditEventHash(event) !== event.hash) return fail(...explainBrokenHash(runKey, chain, index, previous));
    if (item.stored.mismatches?.length) {
      return fail('edited', event.eventId, `the stored ${item.stored.mismatches.join(', ')} differ from the hashed event ${at}`);
    }
    if (event.prevHash !== (previous?.event.hash ?? GENESIS_HASH)) {
      if (!previous) return fail('edited', event.eventId, `the first event does not link to the genesis value ${at}`);
      return fail('edited', previous.event.eventId, `its hash no longer matches the one ${event.eventId} links to: edited, and its hash recomputed (${previous.stored.location})`);
    }
    if (previous && RUN_ENDS.has(previous.event.type)) {
      return fail('inserted', event.eventId, `comes after the run finished at ${previous.event.eventId} ${at}`);
    }
    const receiptFinding = checkReceipts(event, options.checkReceipt, at);
    if (receiptFinding) return fail('bad-receipt', event.eventId, receiptFinding);
    if (receiptOf(event) !== undefined) report.receipts += 1;
    previous = { event: event as Sealed['event'], sequence: item.sequence, stored: item.stored };
    report.events += 1;
  }
  report.finished = previous !== undefined && RUN_ENDS.has(previous.event.type);
  if (previous?.event.type === 'run.continued-as-new') report.continuedAsNew = true;
  report.head = previous?.event.hash;
  if (options.head !== undefined && previous && report.head !== options.head) {
    const anchored = chain.find((item) => (item.raw as AuditEvent).hash === options.head);
    if (anchored) return fail('inserted', chain[chain.indexOf(anchored) + 1]!.raw.eventId as string, 'comes after the anchored head: the run ended before it');
    return fail('truncated', previous.event.eventId, 'the anchored head is not in the trail: events were removed from its end after this one');
  }
  return report;
}

/**
 * An event whose content no longer matches its own hash. When the content matches under a
 * neighbouring sequence number, the events were renumbered: an event was inserted before it,
 * removed before it, or it swapped places with the next one. Otherwise it was edited.
 */
function explainBrokenHash(runKey: string, chain: { raw: Record<string, unknown>; sequence: number; stored: StoredAuditEvent }[], index: number, previous: Sealed | undefined): [TamperKind, string, string] {
  const item = chain[index]!;
  const event = item.raw as AuditEvent;
  const next = chain[index + 1];
  const hashesAs = (raw: Record<string, unknown>, sequence: number) =>
    auditEventHash({ ...(raw as AuditEvent), eventId: `${runKey}/${sequence}` }) === raw.hash;
  if (previous && hashesAs(item.raw, item.sequence - 1)) {
    return ['inserted', previous.event.eventId, `the events from ${event.eventId} on were renumbered to make room for it (${previous.stored.location})`];
  }
  if (next && hashesAs(next.raw, next.sequence - 1)) {
    if (hashesAs(item.raw, item.sequence + 1)) {
      return ['reordered', event.eventId, `swapped places with ${String(next.raw.eventId)} (${item.stored.location})`];
    }
    return ['inserted', event.eventId, `the events from ${String(next.raw.eventId)} on were renumbered to make room for it (${item.stored.location})`];
  }
  if (hashesAs(item.raw, item.sequence + 1)) {
    return ['removed', event.eventId, `the original ${event.eventId} is gone; the events after it were renumbered to close the gap`];
  }
  return ['edited', event.eventId, `its content no longer matches its hash (${item.stored.location})`];
}

/** The endpoint's refusals: no run sequence to chain them in, so each is hashed on its own (see docs/audit-trail.md). */
function verifyEndpointEvents(runKey: string, items: StoredAuditEvent[], options: VerifyOptions): RunReport {
  const report: RunReport = { runKey, source: 'endpoint', events: 0, receipts: 0, finished: false };
  for (const item of items) {
    const event = item.event as AuditEvent;
    const at = `(${item.location})`;
    const fail = (kind: TamperKind, detail: string): RunReport => ({ ...report, finding: { kind, eventId: event.eventId, detail } });
    if (typeof event.hash !== 'string' || typeof event.prevHash !== 'string') return fail('unchained', `carries no hash ${at}`);
    if (event.prevHash !== GENESIS_HASH || auditEventHash(event) !== event.hash) return fail('edited', `its content no longer matches its hash ${at}`);
    if (item.mismatches?.length) return fail('edited', `the stored ${item.mismatches.join(', ')} differ from the hashed event ${at}`);
    const receiptFinding = checkReceipts(event, options.checkReceipt, at);
    if (receiptFinding) return fail('bad-receipt', receiptFinding);
    if (receiptOf(event) !== undefined) report.receipts += 1;
    report.events += 1;
  }
  return report;
}

/**
 * A decision's receipt: at the top of the event, where Arbiter records it, or under `changed`,
 * so a receipt filed there is checked rather than skipped.
 */
function receiptOf(event: AuditEvent): unknown {
  return event.receipt ?? (event.changed as { receipt?: unknown } | null | undefined)?.receipt;
}

function checkReceipts(event: AuditEvent, checkReceipt: ReceiptChecker, at: string): string | undefined {
  const receipt = receiptOf(event);
  if (receipt === undefined) return undefined;
  const verdict = checkReceipt(receipt);
  if (verdict === 'invalid') return `its decision receipt does not verify (bad signature or malformed) ${at}`;
  if (verdict === 'unknown-key') {
    const keyId = (receipt as { keyId?: unknown } | null)?.keyId;
    return `its decision receipt names key ${JSON.stringify(String(keyId))}, which trust.yaml does not list ${at}`;
  }
  const mismatch = receiptMismatch(event, (receipt as DecisionReceipt).signed);
  return mismatch && `its decision receipt is valid but signs another ${mismatch} than the event records ${at}`;
}

/**
 * Which field of a valid receipt's statement (common/signed-statements.ts) differs from the event
 * it sits in, so a receipt moved from another decision, run or person is caught.
 */
function receiptMismatch(event: AuditEvent, signed: Record<string, unknown>): string | undefined {
  const differs = (field: string, value: unknown) => signed[field] !== value;
  if (differs('workflowId', event.workflowId)) return 'workflow';
  if (event.tenant !== undefined && differs('tenant', event.tenant)) return 'tenant';
  if (signed.kind === 'approval-decision') {
    if (differs('approverId', event.actor.id)) return 'approver';
    if (event.type !== `approval.${signed.decision === 'approve' ? 'approved' : 'rejected'}`) return 'decision';
    if (differs('cardHash', (event.shown as { cardHash?: unknown } | null | undefined)?.cardHash)) return 'card';
    if (differs('comment', (event.changed as { comment?: unknown } | null | undefined)?.comment ?? null)) return 'comment';
    return undefined;
  }
  if (signed.kind === 'proposal') {
    if (differs('submittedBy', event.actor.id)) return 'proposer';
    if (event.type !== 'proposal.received') return 'kind of event';
    const proposal = (event.changed as { proposal?: unknown } | null | undefined)?.proposal;
    if (differs('proposalHash', contentHash(proposal))) return 'proposal';
    return undefined;
  }
  return 'kind of statement';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
