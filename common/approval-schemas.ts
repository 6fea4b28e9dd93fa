// Approval messages and the approval card: exactly what an approver is shown, with a content
// hash so a decision made on an outdated card is refused. Shared by workflows, the approvers'
// endpoint, the page and the CLI.
import { z } from 'zod';
import { builtOnce } from './built-once';
import { externalIdSchema } from './id-and-money-schemas';
import { cardHashSchema, statementSignatureSchema } from './signed-statements';

export { cardHashSchema } from './signed-statements';

export const approverSchema = builtOnce('approval-schemas#approverSchema', () =>
  z.strictObject({
    id: externalIdSchema,
    roles: z.array(z.string().min(1).max(64)).max(32),
  }));
export type Approver = z.infer<typeof approverSchema>;

/** Where an approval stands; one list for the workflow's state, its query and the endpoint. */
export const approvalStatusSchema = builtOnce('approval-schemas#approvalStatusSchema', () =>
  z.enum(['pending', 'approved', 'rejected', 'expired-rejected', 'expired-approved']));
export type ApprovalStatus = z.infer<typeof approvalStatusSchema>;

/**
 * Every reason a run refuses a decision or a proposal. The `decide` update's validator throws an
 * ApplicationFailure whose type is one of these, and the endpoint maps each to an HTTP status
 * through one table (server/approval-rules.ts), never by reading the message.
 */
export const approvalRefusalCodeSchema = builtOnce('approval-schemas#approvalRefusalCodeSchema', () =>
  z.enum([
    'malformed',
    'not-open',
    'closed',
    'expired',
    'already-decided',
    'segregation-of-duties',
    'not-a-person',
    'role',
    'stale-card',
    'unsigned',
    'untrusted-key',
    'bad-signature',
  ]));
export type ApprovalRefusalCode = z.infer<typeof approvalRefusalCodeSchema>;

export const approvalDecisionSchema = builtOnce('approval-schemas#approvalDecisionSchema', () =>
  z.strictObject({
    decision: z.enum(['approve', 'reject']),
    approver: approverSchema,
    comment: z.string().max(2000).optional(),
    cardHash: cardHashSchema,
    /** Temporal does not deduplicate signals: a decision sent twice with one id counts once. */
    decisionId: z.string().min(1).max(128).optional(),
    /**
     * The approvers' endpoint's signature over the canonical decision (common/signed-statements.ts).
     * Without a valid one the run refuses the decision, unless its policy takes unsigned ones.
     */
    signature: statementSignatureSchema.optional(),
  }));
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** What an approver posts to the endpoint; who they are comes from their token, never from the body. */
export const decisionRequestBodySchema = builtOnce('approval-schemas#decisionRequestBodySchema', () =>
  z.strictObject({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
    cardHash: cardHashSchema,
    decisionId: z.string().min(1).max(128).optional(),
  }));
export type DecisionRequestBody = z.infer<typeof decisionRequestBodySchema>;

export const setAiEnabledSchema = builtOnce('approval-schemas#setAiEnabledSchema', () =>
  z.strictObject({
    enabled: z.boolean(),
    operator: externalIdSchema,
    reason: z.string().max(2000).optional(),
  }));
export type SetAiEnabled = z.infer<typeof setAiEnabledSchema>;

export const approvalCardSchema = builtOnce('approval-schemas#approvalCardSchema', () =>
  z.strictObject({
    /** `approval`: decide a proposal. `proposal`: AI is off or failed, a person supplies the proposal. */
    kind: z.enum(['approval', 'proposal']),
    workflowId: z.string(),
    process: z.string(),
    tenant: z.string(),
    title: z.string(),
    summary: z.string(),
    /** The proposed action and its parameters, e.g. refund.issue with amount, currency, order. */
    action: z.string(),
    parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    /** The policy's one-line reason, and the rule and policy it came from. */
    reason: z.string(),
    ruleId: z.string().optional(),
    policyRef: z.string(),
    risk: z.enum(['low', 'medium', 'high']),
    requiredApprovals: z.number().int().min(0),
    roles: z.array(z.string()),
    requestedBy: z.string(),
    /** People who may not decide: the requester, and a person who proposed the action. */
    excluded: z.array(z.string()),
    createdAt: z.string(),
    escalateAt: z.string().optional(),
    escalateTo: z.string().optional(),
    escalated: z.boolean(),
    expiresAt: z.string(),
  }));
export type ApprovalCard = z.infer<typeof approvalCardSchema>;

/** What the `approval` query answers: the card, its hash, the decisions so far, and what is still needed. */
export interface ApprovalView {
  card: ApprovalCard;
  cardHash: string;
  status: ApprovalStatus;
  decisions: { decision: 'approve' | 'reject'; approverId: string; comment?: string; at: string }[];
  stillNeeded: number;
  decidingRoles: string[];
  /**
   * The run's W3C trace context, for the endpoint's request spans to join the run's trace; absent
   * when the run is not traced. It places spans, nothing more: no check may read it.
   */
  traceparent?: string;
}

/** What the `decide` update answers when it accepts a decision. */
export interface DecisionReceipt {
  status: ApprovalView['status'];
  stillNeeded: number;
  /** True when the same decision had been counted before: nothing changed. */
  duplicate: boolean;
}
