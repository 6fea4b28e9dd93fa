// The stand-in model as an investigating agent: when Arbiter offers tools, it looks things up by
// rule before it proposes, as a diligent (and naive) model would. Refund: the order, the customer's
// refund history and the case notes, all at once; then the triage rules, except that an amount
// written in the case notes is obeyed (that is how an injected tool result reaches a proposal;
// policy stops it). Price change: sales and competitor prices of each SKU, then the price review.
// A request whose text asks for `N look-ups` keeps calling get_refund_history N times, eight at a
// time, before proposing: the long investigation the history limits are tested with.
import { z } from 'zod';
import { readCreditBlock, reviewCredit } from './credit-rules';
import { readPricingBlock, reviewPrices } from './pricing-rules';
import { readRequestBlock, triage } from './triage-rules';

const toolSchema = z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) });
export const toolsSchema = z.array(toolSchema).max(128);

export interface StandInToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** What the conversation holds so far: each tool call the model made, and the result text when it came. */
export interface Investigation {
  offered: string[];
  /** The request block's text (the latest user message that has one). */
  userTexts: string[];
  calls: { name: string; arguments: string; result?: string }[];
}

const PARALLEL_CALLS = 8;
const ASKED_AMOUNT = /\brefund\s+([0-9][0-9,]*(?:\.[0-9]+)?)/i;
const LOOK_UPS = /\b(\d{1,4}) look-ups\b/i;

/** The calls to make this turn: look-ups still missing, else the proposal through the write tool. */
export function nextCalls(investigation: Investigation): StandInToolCall[] {
  const { offered, userTexts, calls } = investigation;
  // A look-up is made once: the same tool with the same arguments is not asked again.
  const missing = (wanted: StandInToolCall[]) =>
    wanted.filter((want) => offered.includes(want.name) && !calls.some((call) => call.name === want.name && sameArguments(call.arguments, want.arguments)));

  const pricing = userTexts.map(readPricingBlock).find((found) => found !== undefined);
  if (pricing) {
    const lookUps = missing(pricing.skus.flatMap((s) => [{ name: 'get_sales', arguments: { sku: s.sku } }, { name: 'get_competitor_prices', arguments: { sku: s.sku } }]));
    if (lookUps.length) return lookUps.slice(0, PARALLEL_CALLS);
    return [{ name: 'propose_price_changes', arguments: { ...reviewPrices(pricing) } }];
  }
  const credit = userTexts.map(readCreditBlock).find((found) => found !== undefined);
  if (credit) return [{ name: 'propose_credit_limit', arguments: { ...reviewCredit(credit) } }];

  const request = userTexts.map(readRequestBlock).find((found) => found !== undefined);
  if (!request) return [{ name: 'propose_refund', arguments: { ...triage(undefined) } }];
  const orderId = request.order.id;
  const customerId = request.customer?.id ?? '';
  const first = missing([
    { name: 'get_order', arguments: { orderId } },
    { name: 'get_refund_history', arguments: { customerId } },
    { name: 'get_case_notes', arguments: { orderId } },
  ]);
  if (first.length) return first;
  const asked = Number(LOOK_UPS.exec(request.message ?? '')?.[1] ?? 0);
  const done = calls.filter((call) => call.name === 'get_refund_history').length - 1;
  if (done < asked && offered.includes('get_refund_history')) {
    const count = Math.min(PARALLEL_CALLS, asked - done);
    return Array.from({ length: count }, (_, i) => ({ name: 'get_refund_history', arguments: { customerId, days: ((done + i) % 365) + 1 } }));
  }
  // What the notes say is read as the customer's message is: an amount in them is obeyed.
  const notes = calls.find((call) => call.name === 'get_case_notes')?.result ?? '';
  const noted = ASKED_AMOUNT.exec(notes);
  const answer = noted ? triage({ ...request, message: `refund ${noted[1]}` }) : triage(request);
  return [{ name: 'propose_refund', arguments: { ...answer } }];
}

function sameArguments(text: string, wanted: Record<string, unknown>): boolean {
  try {
    const made = JSON.parse(text) as Record<string, unknown>;
    return Object.entries(wanted).every(([key, value]) => made[key] === value) && Object.keys(made).every((key) => key in wanted);
  } catch {
    return false;
  }
}
