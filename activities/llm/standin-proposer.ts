// A rule-based stand-in for the triage model, so every run has a proposal without an API key.
// It is honest about what it is: its model name says "stand-in". It reads the customer's
// message the way a naive model would, including an amount written in the message, which is
// how a prompt injection reaches a proposal; policy, not the proposer, stops that.
import type { RefundRequest, RefundProposal } from '../../common/refund-schemas';

export const STANDIN_MODEL = 'arbiter-standin-rules (stand-in, not a language model)';
export const TRIAGE_PROMPT = { id: 'refund-triage', version: 1 } as const;

export interface ProposalResult {
  proposal: RefundProposal;
  model: string;
  prompt: { id: string; version: number };
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

interface Category {
  name: string;
  pattern: RegExp;
  share: number;
  confidence: number;
}

const CATEGORIES: Category[] = [
  { name: 'damaged', pattern: /\b(broken|damaged|cracked|defective)\b/i, share: 1, confidence: 0.92 },
  { name: 'not-delivered', pattern: /\b(never arrived|not delivered|lost)\b/i, share: 1, confidence: 0.85 },
  { name: 'late-delivery', pattern: /\b(late|delayed)\b/i, share: 0.1, confidence: 0.8 },
];

export function proposeFromRules(request: RefundRequest): RefundProposal {
  const { order, message } = request;
  const asked = /refund\s+(?:me\s+)?([0-9][0-9,]*(?:\.[0-9]{1,2})?)/i.exec(message);
  const category = CATEGORIES.find((c) => c.pattern.test(message));
  if (asked) {
    const amount = Number(asked[1]!.replace(/,/g, ''));
    return {
      action: 'refund',
      amount,
      currency: order.currency,
      category: category?.name ?? 'customer-request',
      confidence: 0.7,
      rationale: `the customer asks for ${amount} ${order.currency}`,
    };
  }
  if (!category) {
    return {
      action: 'refund',
      amount: order.amount,
      currency: order.currency,
      category: 'other',
      confidence: 0.4,
      rationale: 'no known refund reason in the message; a person should look',
    };
  }
  return {
    action: 'refund',
    amount: Math.round(order.amount * category.share * 100) / 100,
    currency: order.currency,
    category: category.name,
    confidence: category.confidence,
    rationale: `the message reads as ${category.name}`,
  };
}

export function createStandinProposerActivities() {
  return {
    async proposeRefund(input: { request: RefundRequest }): Promise<ProposalResult> {
      const text = JSON.stringify(input.request);
      const proposal = proposeFromRules(input.request);
      return {
        proposal,
        model: STANDIN_MODEL,
        prompt: TRIAGE_PROMPT,
        // Rough token counts, so cost accounting has figures to add up even on the stand-in.
        tokensIn: Math.ceil(text.length / 4),
        tokensOut: Math.ceil(JSON.stringify(proposal).length / 4),
        costUsd: 0,
      };
    },
  };
}

export type ProposerActivities = ReturnType<typeof createStandinProposerActivities>;
