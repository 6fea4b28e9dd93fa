// What the systems an agent reads answer: the payments record of an order, a customer's recent
// refunds, an order's CRM case notes, a SKU's weekly sales and competitors' prices. The stand-ins
// answer in these shapes and the look-up clients check every answer against them. Pure.
import { z } from 'zod';
import { builtOnce } from './built-once';
import { currencySchema, externalIdSchema } from './id-and-money-schemas';
import { skuSchema } from './price-change-schemas';

export { orderRecordSchema, type OrderRecord } from './refund-schemas';

/** How far back a refund history reaches by default, in days. */
export const REFUND_HISTORY_DAYS = 90;
export const MAX_HISTORY_DAYS = 365;
export const DEFAULT_SALES_WEEKS = 8;
export const MAX_SALES_WEEKS = 52;

const isoTimeSchema = builtOnce('lookup-schemas#isoTimeSchema', () =>
  z.string().min(10).max(40));

export const refundHistorySchema = builtOnce('lookup-schemas#refundHistorySchema', () =>
  z.object({
    customerId: externalIdSchema,
    days: z.number().int().positive().max(MAX_HISTORY_DAYS),
    refunds: z.array(
      z.object({
        orderId: externalIdSchema,
        amount: z.number().finite().nonnegative(),
        currency: currencySchema,
        issuedAt: isoTimeSchema,
        /** ledger: issued by the stand-in payments; history: from before (seeded). */
        source: z.enum(['ledger', 'history']),
      }),
    ),
  }));
export type RefundHistory = z.infer<typeof refundHistorySchema>;

export const caseNotesSchema = builtOnce('lookup-schemas#caseNotesSchema', () =>
  z.object({
    orderId: externalIdSchema,
    /** null when the CRM has no case for the order. */
    caseId: z.string().nullable(),
    status: z.string().nullable(),
    // No length cap here: the notes are what a customer or agent typed, and a tool result is
    // capped where it is shown to a model, not where it is read.
    notes: z.array(z.object({ at: isoTimeSchema, author: z.string(), text: z.string() })),
  }));
export type CaseNotes = z.infer<typeof caseNotesSchema>;

export const skuSalesSchema = builtOnce('lookup-schemas#skuSalesSchema', () =>
  z.object({
    sku: skuSchema,
    weeks: z.array(z.object({ weekStarting: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), units: z.number().int().nonnegative() })),
  }));
export type SkuSales = z.infer<typeof skuSalesSchema>;

export const competitorPricesSchema = builtOnce('lookup-schemas#competitorPricesSchema', () =>
  z.object({
    sku: skuSchema,
    currency: currencySchema,
    /** The catalog's price now; null when the catalog has not priced the SKU. */
    ownPrice: z.number().finite().nonnegative().nullable(),
    competitors: z.array(z.object({ competitor: z.string(), price: z.number().finite().positive(), observedAt: isoTimeSchema })),
  }));
export type CompetitorPrices = z.infer<typeof competitorPricesSchema>;
