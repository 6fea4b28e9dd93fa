// Audit trails for the verify tests: runs chained by the same code the workflow uses, decision
// receipts signed with node:crypto (an Ed25519 implementation independent of the one that checks
// them), a trust file, and each sink as a store a tamperer can rewrite.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { GENESIS_HASH, sealAuditEvent, type SealedAuditEvent, type UnhashedAuditEvent } from '../../common/audit-chain';
import type { AuditEvent } from '../../common/audit-schemas';
import { receiptMessage, type DecisionReceipt } from '../../common/decision-receipt';
import { decisionStatement } from '../../common/signed-statements';
import { createJsonlAuditSink, createPostgresAuditSink } from '../../activities/audit';
import { runCli } from '../../cli/main';

export interface SigningKey {
  id: string;
  privateKey: KeyObject;
  /** Base64 of the raw 32-byte public key, as trust.yaml lists it. */
  publicKey: string;
}

export function signingKey(id: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { id, privateKey, publicKey: raw.toString('base64') };
}

export function signReceipt(key: SigningKey, signed: Record<string, unknown>): DecisionReceipt {
  return { keyId: key.id, signature: sign(null, receiptMessage(signed), key.privateKey).toString('base64'), signed };
}

export function writeTrustFile(dir: string, keys: SigningKey[]): string {
  const file = join(dir, 'trust.yaml');
  const list = keys.map((key) => `  - id: ${key.id}\n    publicKey: ${key.publicKey}\n`).join('');
  writeFileSync(file, `decisionKeys:${keys.length ? `\n${list}` : ' []\n'}unsignedOperatorDecisions: false\n`);
  return file;
}

/**
 * A refund run's events as its workflow chains them: started, policy, an approval with a signed
 * receipt, two steps, finished. `runId` defaults to `run-1`.
 */
export function chainedRun(workflowId: string, key: SigningKey, runId = 'run-1'): SealedAuditEvent[] {
  const base = { workflowId, runId, process: 'refund', tenant: 'acme' };
  const cardHash = 'c'.repeat(64);
  const decision = decisionStatement({ workflowId, tenant: 'acme' }, { decision: 'approve', approver: { id: 'carol', roles: ['support-lead'] }, cardHash }, '2026-12-02T04:00:02.000Z');
  const entries: Omit<UnhashedAuditEvent, 'eventId' | 'workflowId' | 'runId' | 'process' | 'at'>[] = [
    { type: 'run.started', actor: { kind: 'agent', id: 'support-bot' }, summary: 'refund 740 EUR on order o-1' },
    { type: 'policy.pinned', actor: { kind: 'policy', id: 'refund@1' }, summary: 'pinned refund@1', changed: { hash: 'p'.repeat(8) } },
    {
      type: 'approval.approved',
      actor: { kind: 'human', id: 'carol' },
      authority: 'roles support-lead under policy refund@1 rule refund-mid',
      summary: 'carol approved; 0 approval(s) still needed; now approved',
      shown: { cardHash },
      changed: { status: 'approved' },
      receipt: signReceipt(key, decision),
    },
    { type: 'step.completed', actor: { kind: 'system', id: 'arbiter' }, summary: 'reserved 740 EUR', changed: { amount: 740, currency: 'EUR' } },
    { type: 'step.completed', actor: { kind: 'system', id: 'arbiter' }, summary: 'refunded 740 EUR', changed: { amount: 740, refundId: 'r-1' } },
    { type: 'run.finished', actor: { kind: 'system', id: 'arbiter' }, summary: 'completed: refunded 740 EUR', changed: { outcome: 'completed' } },
  ];
  let prevHash = GENESIS_HASH;
  return entries.map((entry, index) => {
    const event = sealAuditEvent(
      { ...base, ...entry, eventId: `${workflowId}/${runId}/${index + 1}`, at: new Date(Date.UTC(2026, 11, 2, 4, 0, index)).toISOString() },
      prevHash,
    );
    prevHash = event.hash;
    return event;
  });
}

/** A refusal as the endpoint writes it: hashed on its own. */
export function endpointRefusal(workflowId: string): SealedAuditEvent {
  return sealAuditEvent(
    {
      eventId: `endpoint/${workflowId}-refusal`,
      workflowId,
      runId: 'endpoint',
      process: 'refund',
      tenant: 'acme',
      at: '2026-12-02T04:00:09.000Z',
      type: 'approval.refused',
      actor: { kind: 'human', id: 'alice' },
      authority: 'token roles support-lead',
      summary: 'decision by alice refused by the endpoint (403 self-approval): requesters cannot approve their own request',
      shown: { cardHash: 'c'.repeat(64) },
    },
    GENESIS_HASH,
  );
}

/** Sets one event's sequence number in its id: how a tamperer renumbers. */
export function renumbered(event: AuditEvent, sequence: number): AuditEvent {
  return { ...event, eventId: event.eventId.replace(/\/\d+$/, `/${sequence}`) };
}

/**
 * A sink's stored trail, written through the real sink, then read and rewritten the way someone
 * with write access to the store would: whole events, as JSON.
 */
export interface TamperableTrail {
  /** Arguments that point `arbiter audit verify` at this store. */
  verifyArgs: string[];
  write(events: AuditEvent[]): Promise<void>;
  /** The stored events of one workflow, in the store's order. */
  stored(workflowId: string): Promise<AuditEvent[]>;
  /** Replaces what the store holds for one workflow with `events`, as a tamperer with write access would. */
  rewrite(workflowId: string, events: unknown[]): Promise<void>;
}

export function jsonlTrail(file: string): TamperableTrail {
  const lines = () => readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  const belongs = (line: string, workflowId: string) => (JSON.parse(line) as AuditEvent).workflowId === workflowId;
  return {
    verifyArgs: ['--file', file],
    async write(events) {
      const sink = createJsonlAuditSink(file);
      await sink.append(events);
      await sink.close();
    },
    async stored(workflowId) {
      return lines().filter((line) => belongs(line, workflowId)).map((line) => JSON.parse(line) as AuditEvent);
    },
    async rewrite(workflowId, events) {
      const others = lines().filter((line) => !belongs(line, workflowId));
      writeFileSync(file, [...others, ...events.map((event) => JSON.stringify(event))].map((line) => `${line}\n`).join(''));
    },
  };
}

export function postgresTrail(databaseUrl: string, schema: string, admin: Pool): TamperableTrail {
  return {
    verifyArgs: ['--database', databaseUrl, '--schema', schema],
    async write(events) {
      const sink = createPostgresAuditSink(databaseUrl, { schema });
      try {
        await sink.append(events);
      } finally {
        await sink.close();
      }
    },
    async stored(workflowId) {
      const result = await admin.query<{ event: AuditEvent }>(`SELECT event FROM ${schema}.arbiter_audit_events WHERE workflow_id = $1 ORDER BY event_id`, [workflowId]);
      return result.rows.map((row) => row.event);
    },
    async rewrite(workflowId, events) {
      // The columns follow the rewritten event, as a careful tamperer would keep them.
      await admin.query(`DELETE FROM ${schema}.arbiter_audit_events WHERE workflow_id = $1`, [workflowId]);
      for (const event of events as AuditEvent[]) {
        await admin.query(
          `INSERT INTO ${schema}.arbiter_audit_events (event_id, workflow_id, run_id, process, tenant, type, actor, authority, summary, at, event)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [event.eventId, event.workflowId, event.runId, event.process, event.tenant ?? null, event.type, JSON.stringify(event.actor), event.authority ?? null, event.summary, event.at, JSON.stringify(event)],
        );
      }
    },
  };
}

/** `arbiter <args>` run in-process, with what it printed. */
export async function arbiter(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}
