// Approval messages: a decision by a person, and the operator's AI kill switch.
import { z } from 'zod';
import { externalIdSchema } from './refund-schemas';

export const approverSchema = z.strictObject({
  id: externalIdSchema,
  roles: z.array(z.string().min(1).max(64)).max(32),
});

export const approvalDecisionSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  approver: approverSchema,
  comment: z.string().max(2000).optional(),
  /** Temporal does not deduplicate signals: a decision sent twice with one id counts once. */
  decisionId: z.string().min(1).max(128).optional(),
});
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

export const setAiEnabledSchema = z.strictObject({
  enabled: z.boolean(),
  operator: externalIdSchema,
  reason: z.string().max(2000).optional(),
});
export type SetAiEnabled = z.infer<typeof setAiEnabledSchema>;
