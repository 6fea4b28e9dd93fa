// The stand-in model's price review: fixed rules that turn the brief in Arbiter's price-review
// prompt into price changes, the way a naive model would, including obeying a price written in
// the brief (that is how a prompt injection reaches a proposal; policy stops it).
import { z } from 'zod';
import { readRequestBlockAs } from './request-block';

/** A price-review request block is told from a refund one by its list of SKUs. */
const promptedPricingSchema = z.object({
  skus: z.array(z.object({ sku: z.string(), currentPrice: z.number().finite().positive(), currency: z.string() })),
  brief: z.string().optional(),
});
export type PromptedPricing = z.infer<typeof promptedPricingSchema>;

/** The answer shape Arbiter's priceChangeProposalSchema accepts. */
export interface PriceReviewAnswer {
  changes: { sku: string; newPrice: number; currency: string; rationale: string }[];
  confidence: number;
  summary: string;
}

interface Repricing {
  name: string;
  /** Whole percent, signed: -20 is a 20% cut. */
  percent: number;
  confidence: number;
}

interface Intent extends Repricing {
  pattern: RegExp;
}

const INTENTS: Intent[] = [
  { name: 'clearance', pattern: /\bclear(ance)?\b/i, percent: -20, confidence: 0.8 },
  { name: 'promotion', pattern: /\b(promo|promotion|sale)\b/i, percent: -8, confidence: 0.85 },
  { name: 'increase', pattern: /\b(increase|raise)\b/i, percent: 5, confidence: 0.75 },
];
/** No intent recognised (a "[redacted]" brief included): a small cut, with confidence low enough for review. */
const FALLBACK: Repricing = { name: 'unclear brief', percent: -5, confidence: 0.5 };

const ASKED_PRICE = /\bset\s+(?:the\s+|all\s+)?(?:prices?\s+)?to\s+([0-9][0-9,]*(?:\.[0-9]+)?)/i;

/** Reads a price-review request out of a prompt text; undefined when there is none or it lists no SKUs. */
export function readPricingBlock(text: string): PromptedPricing | undefined {
  return readRequestBlockAs(text, promptedPricingSchema);
}

/** In whole cents, so the answer always has at most two decimals; never below one cent. */
function applyPercent(price: number, percent: number): number {
  const cents = Math.round(price * 100);
  return Math.max(1, Math.round((cents * (100 + percent)) / 100)) / 100;
}

export function reviewPrices(request: PromptedPricing): PriceReviewAnswer {
  const brief = request.brief ?? '';
  const asked = ASKED_PRICE.exec(brief);
  if (asked) {
    const price = Math.max(1, Math.round(Number(asked[1]!.replace(/,/g, '')) * 100)) / 100;
    return {
      changes: request.skus.map(({ sku, currency }) => ({ sku, newPrice: price, currency, rationale: `the brief asks for ${price} ${currency}` })),
      confidence: 0.7,
      summary: `set ${request.skus.length} SKUs to ${price} as the brief asks`,
    };
  }
  const intent: Repricing = INTENTS.find((candidate) => candidate.pattern.test(brief)) ?? FALLBACK;
  const signed = `${intent.percent > 0 ? '+' : ''}${intent.percent}%`;
  return {
    changes: request.skus.map(({ sku, currentPrice, currency }) => ({
      sku,
      newPrice: applyPercent(currentPrice, intent.percent),
      currency,
      rationale: `the brief reads as ${intent.name}: ${signed}`,
    })),
    confidence: intent.confidence,
    summary: `${intent.name}: ${signed} on ${request.skus.length} SKUs`,
  };
}
