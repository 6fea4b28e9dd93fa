// The stand-in model's customer reply: a fixed sentence around the facts in Arbiter's
// customer-reply prompt, so the drafting step runs end to end without a real model.
import { z } from 'zod';
import { readRequestBlockAs } from './request-block';

/** A reply request block is told from the others by its `reply` object. */
const promptedReplySchema = z.object({
  reply: z.object({ orderId: z.string(), amount: z.number(), currency: z.string(), refundId: z.string() }),
  customer: z.object({ tier: z.string() }).optional(),
});
export type PromptedReply = z.infer<typeof promptedReplySchema>;

export function readReplyBlock(text: string): PromptedReply | undefined {
  return readRequestBlockAs(text, promptedReplySchema);
}

export function draftReply({ reply, customer }: PromptedReply): { text: string } {
  const thanks = customer?.tier === 'platinum' || customer?.tier === 'gold' ? 'Thank you for being a loyal customer. ' : '';
  return {
    text:
      `We are sorry about your order ${reply.orderId}. Your refund of ${reply.amount} ${reply.currency} has been issued ` +
      `(reference ${reply.refundId}) and should reach you within a few days. ${thanks}(Written by Arbiter's stand-in model.)`,
  };
}
