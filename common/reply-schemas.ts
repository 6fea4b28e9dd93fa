// The customer reply a model drafts once a refund is done. Pure: safe inside workflows.
import { z } from 'zod';
import { builtOnce } from './built-once';

/** What the drafting prompt is given: the refund's facts and the customer's own message. */
export interface ReplyDraftRequest {
  orderId: string;
  amount: number;
  currency: string;
  refundId: string;
  customerTier: string;
  message: string;
}

export const replyDraftSchema = builtOnce('reply-schemas#replyDraftSchema', () =>
  z.strictObject({
    text: z.string().min(20).max(2000),
  }));
export type ReplyDraft = z.infer<typeof replyDraftSchema>;

/** The reply sent when no model may draft one, or a draft misstates the facts. */
export function templateReply(request: Pick<ReplyDraftRequest, 'orderId' | 'amount' | 'currency' | 'refundId'>): string {
  return `Your refund of ${request.amount} ${request.currency} for order ${request.orderId} is on its way (reference ${request.refundId}).`;
}

/**
 * Why a drafted reply may not be sent, or undefined when it may: it must state the amount and
 * the reference exactly as the saga did them, so a model can word the reply but not the facts.
 */
export function replyObjection(text: string, request: Pick<ReplyDraftRequest, 'amount' | 'currency' | 'refundId'>): string | undefined {
  if (!text.includes(request.refundId)) return `the draft does not give the reference ${request.refundId}`;
  if (!text.includes(`${request.amount} ${request.currency}`)) return `the draft does not state ${request.amount} ${request.currency}`;
  return undefined;
}
