// The stand-in model's "reasoning": fixed rules that turn the refund request in Arbiter's triage
// prompt into a proposal, the way a naive model would, including obeying an amount written in
// the customer's message (that is how a prompt injection reaches a proposal; policy stops it).
import { z } from 'zod';
import { readRequestBlockAs } from './request-block';

const promptedRequestSchema = z.object({
  order: z.object({ id: z.string(), amount: z.number().finite().nonnegative(), currency: z.string() }),
  customer: z.object({ id: z.string().optional(), tier: z.string(), region: z.string() }).optional(),
  message: z.string().optional(),
});
export type PromptedRequest = z.infer<typeof promptedRequestSchema>;

/** The answer shape Arbiter's refundProposalSchema accepts. */
export interface TriageAnswer {
  action: 'refund' | 'deny' | 'escalate';
  amount: number;
  currency: string;
  category: string;
  confidence: number;
  rationale: string;
}

interface Reason {
  category: string;
  pattern: RegExp;
  /** Amount as a share of the order, rounded to cents. */
  share: (orderAmount: number) => number;
  confidence: number;
}

const REASONS: Reason[] = [
  { category: 'damaged', pattern: /\b(broken|damaged|cracked|defective)\b/i, share: (amount) => amount, confidence: 0.92 },
  { category: 'not-delivered', pattern: /\b(never arrived|not delivered|lost)\b/i, share: (amount) => amount, confidence: 0.85 },
  // amount * 10 / 100 rather than amount * 0.1, so 0.1's binary error never shows in the cents.
  { category: 'late-delivery', pattern: /\b(late|delayed)\b/i, share: (amount) => Math.round(amount * 10) / 100, confidence: 0.8 },
];

const ASKED_AMOUNT = /\brefund\s+([0-9][0-9,]*(?:\.[0-9]+)?)/i;

/** Reads the request block out of a prompt text; undefined when there is none or it is not a request. */
/** Reads the refund request out of a prompt text; undefined when there is none or it is not a request. */
export function readRequestBlock(text: string): PromptedRequest | undefined {
  return readRequestBlockAs(text, promptedRequestSchema);
}

export function triage(request: PromptedRequest | undefined): TriageAnswer {
  if (!request) {
    return { action: 'escalate', amount: 0, currency: 'EUR', category: 'other', confidence: 0, rationale: 'no request found' };
  }
  const { order } = request;
  const message = request.message ?? '';
  const asked = ASKED_AMOUNT.exec(message);
  if (asked) {
    const amount = Number(asked[1]!.replace(/,/g, ''));
    const rationale = `the customer asks for ${amount} ${order.currency}`;
    return { action: 'refund', amount, currency: order.currency, category: 'customer-request', confidence: 0.7, rationale };
  }
  const reason = REASONS.find((candidate) => candidate.pattern.test(message));
  if (!reason) {
    // Also the answer for a "[redacted]" message: nothing to read, so low confidence.
    const rationale = 'no known refund reason in the message; a person should look';
    return { action: 'refund', amount: order.amount, currency: order.currency, category: 'other', confidence: 0.4, rationale };
  }
  return {
    action: 'refund',
    amount: reason.share(order.amount),
    currency: order.currency,
    category: reason.category,
    confidence: reason.confidence,
    rationale: `the message reads as ${reason.category}`,
  };
}
