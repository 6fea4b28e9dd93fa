// The refund process's request and result. Parsed by the client before a start and again by
// the workflow, so a malformed request is refused with the field named and nothing is started.
import { z } from 'zod';
import { builtOnce } from './built-once';
import { currencySchema, externalIdSchema, moneyAmountOrZeroSchema, moneyAmountSchema } from './id-and-money-schemas';
import { stepErrorSchema } from './saga-schemas';
import { cardHashSchema, statementSignatureSchema } from './signed-statements';

export const refundRequestSchema = builtOnce('refund-schemas#refundRequestSchema', () =>
  z.strictObject({
    requestId: externalIdSchema,
    tenant: externalIdSchema,
    customer: z.strictObject({
      id: externalIdSchema,
      tier: z.enum(['standard', 'gold', 'platinum']),
      region: z.string().min(2).max(32),
    }),
    order: z.strictObject({
      id: externalIdSchema,
      amount: moneyAmountSchema,
      currency: currencySchema,
    }),
    message: z.string().min(1).max(10_000),
    requestedBy: externalIdSchema,
  }));
export type RefundRequest = z.infer<typeof refundRequestSchema>;

/** An order as the payments system records it: the facts a refund is decided on. */
export const orderRecordSchema = builtOnce('refund-schemas#orderRecordSchema', () =>
  z.object({
    orderId: externalIdSchema,
    amount: z.number().finite().nonnegative(),
    currency: currencySchema,
    customerId: externalIdSchema,
    /** Refunds issued and not reversed. */
    refunded: z.number().finite().nonnegative(),
    /** Reservations held by refunds still in flight. */
    reserved: z.number().finite().nonnegative(),
  }));
export type OrderRecord = z.infer<typeof orderRecordSchema>;

/** What the triage agent (or, on the manual path, a person) proposes. Only ever input to policy. */
export const refundProposalSchema = builtOnce('refund-schemas#refundProposalSchema', () =>
  z.strictObject({
    action: z.enum(['refund', 'deny', 'escalate']),
    // Money: at most two decimals, so what policy decides on is what payments can pay.
    amount: moneyAmountOrZeroSchema,
    currency: currencySchema,
    category: z.string().min(1).max(64),
    confidence: z.number().min(0).max(1),
    rationale: z.string().min(1).max(2000),
  }));
export type RefundProposal = z.infer<typeof refundProposalSchema>;

/** A person's proposal on the manual path (AI switched off, or every model failed). */
export const submittedProposalSchema = builtOnce('refund-schemas#submittedProposalSchema', () =>
  z.strictObject({
    proposal: refundProposalSchema,
    submittedBy: externalIdSchema,
    /**
     * The roles the proposer's token carried: the workflow checks them against the policy's
     * proposers. Optional only so signals of runs from before the check replay; none is no role.
     */
    roles: z.array(z.string().min(1).max(64)).max(32).optional(),
    /** The proposal card the person answered, and the endpoint's signature over the submission. */
    cardHash: cardHashSchema.optional(),
    signature: statementSignatureSchema.optional(),
  }));
export type SubmittedProposal = z.infer<typeof submittedProposalSchema>;

export const refundOutcomeSchema = builtOnce('refund-schemas#refundOutcomeSchema', () =>
  z.enum(['completed', 'compensated', 'rejected', 'denied']));
export type RefundOutcome = z.infer<typeof refundOutcomeSchema>;

export const refundResultSchema = builtOnce('refund-schemas#refundResultSchema', () =>
  z.object({
    outcome: refundOutcomeSchema,
    requestId: z.string(),
    /** One line on why the run ended as it did. */
    reason: z.string(),
    amount: z.number().optional(),
    refundId: z.string().optional(),
    messageId: z.string().optional(),
    policyRef: z.string().optional(),
    /** The hash of the run's last audit event: the anchor `arbiter audit verify --head` checks the trail against. */
    auditHead: z.string().optional(),
    failure: z.object({ step: z.string(), error: stepErrorSchema }).optional(),
  }));
export type RefundResult = z.infer<typeof refundResultSchema>;

export function refundWorkflowId(requestId: string): string {
  return `refund-${requestId}`;
}
