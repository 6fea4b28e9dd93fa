// What the approvers' endpoint signs before a person's decision or proposal reaches a run, and
// how a run checks it. The statement is rebuilt by the workflow from the message it acts on, its
// own workflow id and its own tenant, so a signature binds exactly what will count: nothing signed
// for one run, card or approver can be replayed onto another. Pure: used inside the workflow sandbox.
import { z } from 'zod';
import { builtOnce } from './built-once';
import type { ApprovalDecision } from './approval-schemas';
import { contentHash } from './content-hash';
import type { DecisionReceipt, ReceiptChecker } from './decision-receipt';

export const cardHashSchema = builtOnce('signed-statements#cardHashSchema', () =>
  z.string().regex(/^[0-9a-f]{64}$/, 'the 64-hex cardHash of the card the decision was made on'));

export const statementSignatureSchema = builtOnce('signed-statements#statementSignatureSchema', () =>
  z.strictObject({
    /** Which key signed: an id in the pinned policy's trust.yaml `decisionKeys`. */
    keyId: z.string().min(1).max(128),
    /** Ed25519 signature over the canonical statement, base64. */
    value: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 64-byte Ed25519 signature'),
    /** When the endpoint signed, as it said; part of the signed statement. */
    at: z.iso.datetime(),
  }));
export type StatementSignature = z.infer<typeof statementSignatureSchema>;

/** What the endpoint signs: canonical fields, among them the time it signed. */
export type Statement = Record<string, unknown> & { at: string };

/** The run a statement is about: both come from the run itself, never from the message. */
export interface StatementRun {
  workflowId: string;
  tenant: string;
}

/** The canonical decision: workflow id, card hash, decision, approver id, roles, tenant, time, decision id. */
export function decisionStatement(run: StatementRun, decision: ApprovalDecision, at: string): Statement {
  return {
    kind: 'approval-decision',
    workflowId: run.workflowId,
    tenant: run.tenant,
    cardHash: decision.cardHash,
    decision: decision.decision,
    approverId: decision.approver.id,
    roles: decision.approver.roles,
    decisionId: decision.decisionId ?? null,
    // The comment lands in the audit trail beside the decision: nobody may change it on the way.
    comment: decision.comment ?? null,
    at,
  };
}

/** What a person's proposal carries to a run; `cardHash` is the proposal card it answers. */
export interface ProposalSubmissionFields {
  submittedBy: string;
  roles?: string[];
  cardHash?: string;
  proposal: unknown;
}

/** The canonical proposal: the card it answers, who, with which roles, and a hash of the proposal itself. */
export function proposalStatement(run: StatementRun, submission: ProposalSubmissionFields, at: string): Statement {
  return {
    kind: 'proposal',
    workflowId: run.workflowId,
    tenant: run.tenant,
    cardHash: submission.cardHash ?? null,
    submittedBy: submission.submittedBy,
    roles: submission.roles ?? [],
    proposalHash: contentHash(submission.proposal),
    at,
  };
}

/** How a run treats a statement's signature: the pinned policy's keys and its break-glass setting. */
export interface SignaturePolicy {
  check: ReceiptChecker;
  /** trust.yaml's `unsignedOperatorDecisions`: an unsigned message counts, audited as unsigned. */
  allowUnsigned: boolean;
}

export type SignatureVerdict =
  | { ok: true; receipt: DecisionReceipt }
  | { ok: true; unsigned: true }
  | { ok: false; code: 'unsigned' | 'untrusted-key' | 'bad-signature'; reason: string };

/** Checks a statement's signature; the receipt it returns is what the audit trail keeps. */
export function verifyStatement(policy: SignaturePolicy, statement: Record<string, unknown>, signature: StatementSignature | undefined): SignatureVerdict {
  if (!signature) {
    if (policy.allowUnsigned) return { ok: true, unsigned: true };
    return { ok: false, code: 'unsigned', reason: 'not signed by the approvers endpoint, and the policy takes no unsigned decisions' };
  }
  const receipt: DecisionReceipt = { keyId: signature.keyId, signature: signature.value, signed: statement };
  const verdict = policy.check(receipt);
  if (verdict === 'valid') return { ok: true, receipt };
  if (verdict === 'unknown-key') return { ok: false, code: 'untrusted-key', reason: `signed with key "${signature.keyId}", which the pinned policy does not trust` };
  return { ok: false, code: 'bad-signature', reason: 'the signature does not match what was sent (forged, or changed on the way)' };
}
