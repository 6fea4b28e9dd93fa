// The stand-in model's credit review: fixed rules that turn the request block of Arbiter's
// credit-review prompt into a proposed limit, the way a naive model would: it grants what the
// customer asks for, with less confidence the later the customer pays. Policy does the refusing.
import { z } from 'zod';
import { readRequestBlockAs } from './request-block';

/** A credit-review request block is told from the others by its credit record. */
const promptedCreditSchema = z.object({
  creditRequest: z.object({ requestedLimit: z.number().finite().positive(), currency: z.string(), reason: z.string().optional() }),
  creditRecord: z.object({ creditLimit: z.number().finite().nonnegative(), currency: z.string(), exposure: z.number(), daysPastDue: z.number() }),
});
export type PromptedCredit = z.infer<typeof promptedCreditSchema>;

/** The answer shape Arbiter's creditLimitProposalSchema accepts. */
export interface CreditReviewAnswer {
  newLimit: number;
  currency: string;
  confidence: number;
  rationale: string;
}

/** Reads a credit-review request out of a prompt text; undefined when there is none. */
export function readCreditBlock(text: string): PromptedCredit | undefined {
  return readRequestBlockAs(text, promptedCreditSchema);
}

/** Late payers get the limit they ask for too, but with confidence low enough for a person to look. */
const LATE_PAYER_DAYS = 30;

export function reviewCredit({ creditRequest, creditRecord }: PromptedCredit): CreditReviewAnswer {
  const newLimit = Math.round(creditRequest.requestedLimit * 100) / 100;
  const late = creditRecord.daysPastDue > LATE_PAYER_DAYS;
  const utilisation = creditRecord.creditLimit > 0 ? Math.round((creditRecord.exposure / creditRecord.creditLimit) * 100) : 100;
  return {
    newLimit,
    // The ERP's currency, whatever the request says: the limit is kept there.
    currency: creditRecord.currency,
    confidence: late ? 0.5 : 0.8,
    rationale: `the customer uses ${utilisation}% of ${creditRecord.creditLimit} ${creditRecord.currency} and is ${creditRecord.daysPastDue} days past due; grant the ${newLimit} asked for`,
  };
}
