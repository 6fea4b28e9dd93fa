// The credit-limit process's request, the customer's credit record as the ERP keeps it, the
// proposal, the result and the facts its policy tests. Parsed by the client before a start and
// again by the workflow, so a malformed request is refused with the field named. Pure: safe inside workflows.
import { z } from 'zod';
import { builtOnce } from './built-once';
import { toCents } from './money';
import { currencySchema, externalIdSchema, moneyAmountSchema } from './id-and-money-schemas';
import { stepErrorSchema } from './saga-schemas';
import { cardHashSchema, statementSignatureSchema } from './signed-statements';

export const creditLimitRequestSchema = builtOnce('credit-limit-schemas#creditLimitRequestSchema', () =>
  z.strictObject({
    requestId: externalIdSchema,
    tenant: externalIdSchema,
    /** The B2B customer as the ERP knows it: its record, never this request, gives the facts. */
    customerId: externalIdSchema,
    region: z.string().min(2).max(32),
    /** The limit the customer asks for; the agent may propose less. */
    requestedLimit: moneyAmountSchema,
    currency: currencySchema,
    /** Why the customer asks, in their words. Shown to the model as data. */
    reason: z.string().min(1).max(2000),
    requestedBy: externalIdSchema,
  }));
export type CreditLimitRequest = z.infer<typeof creditLimitRequestSchema>;

/** A customer's credit standing as the ERP records it: what the proposal and policy decide on. */
export const creditRecordSchema = builtOnce('credit-limit-schemas#creditRecordSchema', () =>
  z.object({
    customerId: externalIdSchema,
    creditLimit: z.number().finite().nonnegative(),
    currency: currencySchema,
    /** Open invoices and orders: what the customer owes or will owe now. */
    exposure: z.number().finite().nonnegative(),
    /** Days the oldest unpaid invoice is overdue; 0 when nothing is. */
    daysPastDue: z.number().int().nonnegative(),
    /** Who looks after the customer, and hears of every change to their limit. */
    accountManager: externalIdSchema,
  }));
export type CreditRecord = z.infer<typeof creditRecordSchema>;

/** What the credit agent (or, on the manual path, a credit analyst) proposes. Only ever input to policy. */
export const creditLimitProposalSchema = builtOnce('credit-limit-schemas#creditLimitProposalSchema', () =>
  z.strictObject({
    newLimit: moneyAmountSchema,
    currency: currencySchema,
    confidence: z.number().min(0).max(1),
    rationale: z.string().min(1).max(2000),
  }));
export type CreditLimitProposal = z.infer<typeof creditLimitProposalSchema>;

/** A person's proposal on the manual path (AI switched off, or every model failed). */
export const submittedCreditLimitProposalSchema = builtOnce('credit-limit-schemas#submittedCreditLimitProposalSchema', () =>
  z.strictObject({
    proposal: creditLimitProposalSchema,
    submittedBy: externalIdSchema,
    roles: z.array(z.string().min(1).max(64)).max(32).optional(),
    cardHash: cardHashSchema.optional(),
    signature: statementSignatureSchema.optional(),
  }));

export const creditLimitOutcomeSchema = builtOnce('credit-limit-schemas#creditLimitOutcomeSchema', () =>
  z.enum(['completed', 'compensated', 'rejected', 'denied']));

export const creditLimitResultSchema = builtOnce('credit-limit-schemas#creditLimitResultSchema', () =>
  z.object({
    outcome: creditLimitOutcomeSchema,
    requestId: z.string(),
    /** One line on why the run ended as it did. */
    reason: z.string(),
    previousLimit: z.number().optional(),
    newLimit: z.number().optional(),
    currency: z.string().optional(),
    changeId: z.string().optional(),
    messageId: z.string().optional(),
    policyRef: z.string().optional(),
    auditHead: z.string().optional(),
    failure: z.object({ step: z.string(), error: stepErrorSchema }).optional(),
  }));
export type CreditLimitResult = z.infer<typeof creditLimitResultSchema>;

export function creditLimitWorkflowId(requestId: string): string {
  return `credit-limit-${requestId}`;
}

/**
 * Where a proposal stands in its sign-off. The kit's approval asks for N people of some roles;
 * "two credit managers and one finance" is two approvals in a row, and the policy decides each.
 */
export const APPROVAL_STAGES = ['credit-review', 'finance-review'] as const;
export type ApprovalStage = (typeof APPROVAL_STAGES)[number];

/** The facts policies/credit-limit.yaml declares. A type alias, so it is a policy `Facts`. */
export type CreditLimitFacts = {
  currentLimit: number;
  newLimit: number;
  increase: number;
  increasePct: number;
  exposure: number;
  daysPastDue: number;
  currency: string;
  recordCurrency: string;
  confidence: number;
  approvalStage: string;
};

/**
 * The increase in percent of the current limit, from whole cents, rounded up to hundredths:
 * rounding must never make an increase look small enough for the auto limit. A customer with
 * no limit yet has an increase of 100% however small.
 */
export function increasePercent(currentLimit: number, newLimit: number): number {
  const current = toCents(currentLimit);
  const delta = toCents(newLimit) - current;
  if (current === 0) return delta > 0 ? 100 : 0;
  const scaled = delta * 10_000;
  const remainder = ((scaled % current) + current) % current;
  return ((scaled - remainder) / current + (remainder === 0 ? 0 : 1)) / 100;
}

export function creditLimitFacts(record: CreditRecord, proposal: CreditLimitProposal, approvalStage: ApprovalStage): CreditLimitFacts {
  return {
    currentLimit: record.creditLimit,
    newLimit: proposal.newLimit,
    increase: (toCents(proposal.newLimit) - toCents(record.creditLimit)) / 100,
    increasePct: increasePercent(record.creditLimit, proposal.newLimit),
    exposure: record.exposure,
    daysPastDue: record.daysPastDue,
    currency: proposal.currency,
    recordCurrency: record.currency,
    confidence: proposal.confidence,
    approvalStage,
  };
}
