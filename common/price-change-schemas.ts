// The price-change process's request, proposal and result, plus the per-SKU facts its policy
// tests. Parsed by the client before a start and again by the workflow, so a malformed request
// is refused with the field named and nothing is started. Pure: safe inside workflows.
import { z } from 'zod';
import { builtOnce } from './built-once';
import { currencySchema, externalIdSchema, moneyAmountSchema } from './id-and-money-schemas';
import { stepErrorSchema } from './saga-schemas';
import { cardHashSchema, statementSignatureSchema } from './signed-statements';

/**
 * SKUs end up in step names and idempotency keys (`<workflowId>/publish-price:<channel>:<sku>:compensate`),
 * which the systems cap at 255 characters: 64 leaves room for the longest request id.
 */
export const skuSchema = builtOnce('price-change-schemas#skuSchema', () =>
  externalIdSchema.max(64));

/** The sales channels a price is published to. */
export const PRICE_CHANNELS = ['web', 'marketplace'] as const;
export const channelSchema = builtOnce('price-change-schemas#channelSchema', () =>
  z.enum(PRICE_CHANNELS));
export type PriceChannel = z.infer<typeof channelSchema>;

/** Refuses a list that names the same thing twice, pointing at the second occurrence. */
function noDuplicates<T>(keyOf: (item: T) => string, field?: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = keyOf(item);
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: field ? [index, field] : [index], message: `"${key}" is listed twice` });
      }
      seen.add(key);
    });
  };
}

export const skuPriceSchema = builtOnce('price-change-schemas#skuPriceSchema', () =>
  z.strictObject({
    sku: skuSchema,
    currentPrice: moneyAmountSchema,
    currency: currencySchema,
  }));
export type SkuPrice = z.infer<typeof skuPriceSchema>;

/** Each SKU becomes a catalog change and one publication per channel: 50 keeps a run's history small. */
export const MAX_SKUS_PER_REQUEST = 50;

export const priceChangeRequestSchema = builtOnce('price-change-schemas#priceChangeRequestSchema', () =>
  z.strictObject({
    requestId: externalIdSchema,
    tenant: externalIdSchema,
    region: z.string().min(2).max(32),
    channels: z
      .array(channelSchema)
      .min(1)
      .superRefine(noDuplicates((channel) => channel)),
    skus: z
      .array(skuPriceSchema)
      .min(1)
      .max(MAX_SKUS_PER_REQUEST)
      .superRefine(noDuplicates((item) => item.sku, 'sku')),
    /** What the business wants, e.g. "clear winter stock". Shown to the model as data. */
    brief: z.string().min(1).max(2000),
    requestedBy: externalIdSchema,
  }));
export type PriceChangeRequest = z.infer<typeof priceChangeRequestSchema>;

export const proposedPriceSchema = builtOnce('price-change-schemas#proposedPriceSchema', () =>
  z.strictObject({
    sku: skuSchema,
    newPrice: moneyAmountSchema,
    currency: currencySchema,
    rationale: z.string().min(1).max(1000),
  }));
export type ProposedPrice = z.infer<typeof proposedPriceSchema>;

/**
 * What the pricing agent (or, on the manual path, a person) proposes. Only ever input to policy.
 * SKUs the proposal leaves out keep their price; an empty list proposes no change at all.
 */
export const priceChangeProposalSchema = builtOnce('price-change-schemas#priceChangeProposalSchema', () =>
  z.strictObject({
    changes: z
      .array(proposedPriceSchema)
      .max(MAX_SKUS_PER_REQUEST)
      .superRefine(noDuplicates((change) => change.sku, 'sku')),
    confidence: z.number().min(0).max(1),
    summary: z.string().min(1).max(2000),
  }));
export type PriceChangeProposal = z.infer<typeof priceChangeProposalSchema>;

/** A person's proposal on the manual path (AI switched off, or every model failed). */
export const submittedPriceChangeProposalSchema = builtOnce('price-change-schemas#submittedPriceChangeProposalSchema', () =>
  z.strictObject({
    proposal: priceChangeProposalSchema,
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
export type SubmittedPriceChangeProposal = z.infer<typeof submittedPriceChangeProposalSchema>;

export const priceChangeOutcomeSchema = builtOnce('price-change-schemas#priceChangeOutcomeSchema', () =>
  z.enum(['completed', 'compensated', 'rejected', 'denied']));
export type PriceChangeOutcome = z.infer<typeof priceChangeOutcomeSchema>;

export const priceChangeResultSchema = builtOnce('price-change-schemas#priceChangeResultSchema', () =>
  z.object({
    outcome: priceChangeOutcomeSchema,
    requestId: z.string(),
    /** One line on why the run ended as it did. */
    reason: z.string(),
    applied: z.array(z.object({ sku: z.string(), oldPrice: z.number(), newPrice: z.number(), currency: z.string() })).optional(),
    /** SKUs left as they were, each with why: denied by policy, rejected by a person, not in the request. */
    skipped: z.array(z.object({ sku: z.string(), reason: z.string() })).optional(),
    policyRef: z.string().optional(),
    /** The hash of the run's last audit event: the anchor `arbiter audit verify --head` checks the trail against. */
    auditHead: z.string().optional(),
    failure: z.object({ step: z.string(), error: stepErrorSchema }).optional(),
  }));
export type PriceChangeResult = z.infer<typeof priceChangeResultSchema>;

export function priceChangeWorkflowId(requestId: string): string {
  return `price-change-${requestId}`;
}

/**
 * The signed change in percent of the current price, from whole cents, rounded to hundredths
 * away from zero: rounding must never make a change look small enough for a lower bar
 * (10.001% stays above 10). Exact at the bounds the policy draws (10% of 100.00 is 10).
 */
export function changePercent(currentPrice: number, newPrice: number): number {
  const current = Math.round(currentPrice * 100);
  const delta = Math.round(newPrice * 100) - current;
  // Integer arithmetic throughout: cents times 10 000 stay far below 2^53.
  const scaled = Math.abs(delta) * 10_000;
  const remainder = scaled % current;
  const hundredths = (scaled - remainder) / current + (remainder === 0 ? 0 : 1);
  return (Math.sign(delta) * hundredths) / 100;
}

/** The facts policies/price-change.yaml declares, for one SKU. A type alias, so it is a policy `Facts`. */
export type PriceChangeFacts = {
  currentPrice: number;
  newPrice: number;
  changePct: number;
  absChangePct: number;
  currency: string;
  currentCurrency: string;
  region: string;
  confidence: number;
};

/** The facts the price-change policy tests for one SKU, from the request and the proposal. */
export function priceChangeFacts(
  request: Pick<PriceChangeRequest, 'region'>,
  current: SkuPrice,
  change: ProposedPrice,
  confidence: number,
): PriceChangeFacts {
  const changePct = changePercent(current.currentPrice, change.newPrice);
  return {
    currentPrice: current.currentPrice,
    newPrice: change.newPrice,
    changePct,
    absChangePct: Math.abs(changePct),
    currency: change.currency,
    currentCurrency: current.currency,
    region: request.region,
    confidence,
  };
}

export interface PairedChanges {
  /** Proposed changes to SKUs of the request, each with the SKU's current price. */
  changes: { current: SkuPrice; change: ProposedPrice }[];
  /** SKUs with nothing to do: no change proposed, the same price, or not in the request at all. */
  skipped: { sku: string; reason: string }[];
}

/**
 * Pairs a proposal with the request: a model may name SKUs it was not asked about (those are
 * never applied) or propose the price a SKU already has. Request order, so runs are repeatable.
 */
export function pairChangesWithRequest(request: Pick<PriceChangeRequest, 'skus'>, proposal: PriceChangeProposal): PairedChanges {
  const proposed = new Map(proposal.changes.map((change) => [change.sku, change]));
  const paired: PairedChanges = { changes: [], skipped: [] };
  for (const current of request.skus) {
    const change = proposed.get(current.sku);
    proposed.delete(current.sku);
    if (!change) paired.skipped.push({ sku: current.sku, reason: 'no change proposed' });
    else if (change.newPrice === current.currentPrice && change.currency === current.currency) {
      paired.skipped.push({ sku: current.sku, reason: `price stays ${current.currentPrice} ${current.currency}` });
    } else paired.changes.push({ current, change });
  }
  for (const sku of proposed.keys()) paired.skipped.push({ sku, reason: 'not in the request' });
  return paired;
}
