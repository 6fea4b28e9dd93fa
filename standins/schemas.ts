// Shapes of the stand-ins' request bodies and of their persisted state. The money, id and SKU rules
// are Arbiter's own (common/*-schemas), so the stand-in refuses what the real systems would.
import { z } from 'zod';
import { channelSchema, skuSchema } from '../common/price-change-schemas';
import { currencySchema, externalIdSchema, moneyAmountSchema } from '../common/id-and-money-schemas';

const caseStatusSchema = z.object({ status: z.string().min(1).max(200), note: z.string().max(10_000) });
export type CaseStatus = z.infer<typeof caseStatusSchema>;

/** An order as the payments system knows it: what was paid, in which currency, by whom. */
export const registerOrderBodySchema = z.strictObject({
  orderId: externalIdSchema,
  amount: moneyAmountSchema,
  currency: currencySchema,
  customerId: externalIdSchema,
});

export const reserveFundsBodySchema = z.object({
  orderId: externalIdSchema,
  amount: moneyAmountSchema,
  currency: currencySchema,
});

export const issueRefundBodySchema = z.object({
  reservationId: z.string().min(1),
  orderId: externalIdSchema,
  amount: moneyAmountSchema,
  currency: currencySchema,
});

/** Release and reverse carry no data: the id is in the path. */
export const emptyBodySchema = z.object({});

export const updateCaseBodySchema = caseStatusSchema;

export const restoreCaseBodySchema = z.object({ previous: caseStatusSchema.nullable() });

export const sendMessageBodySchema = z.object({
  customerId: externalIdSchema,
  orderId: externalIdSchema,
  text: z.string().min(1).max(10_000),
});

/** `expectedPrice` is the price the change was decided on: the catalog refuses if the SKU costs something else now. */
export const setPriceBodySchema = z.object({
  sku: skuSchema,
  newPrice: moneyAmountSchema,
  currency: currencySchema,
  expectedPrice: moneyAmountSchema,
});

export const publishPriceBodySchema = z.object({
  channel: channelSchema,
  sku: skuSchema,
  price: moneyAmountSchema,
  currency: currencySchema,
});

/** A B2B customer's credit record as the ERP keeps it; registering the same record twice is one record. */
export const registerCreditCustomerBodySchema = z.strictObject({
  customerId: externalIdSchema,
  creditLimit: z.number().finite().nonnegative().max(1_000_000_000),
  currency: currencySchema,
  exposure: z.number().finite().nonnegative().max(1_000_000_000),
  daysPastDue: z.number().int().nonnegative().max(10_000),
  accountManager: externalIdSchema,
});

/** `expectedLimit` is the limit the change was decided on: the ERP refuses if the customer has another now. */
export const setCreditLimitBodySchema = z.object({
  newLimit: moneyAmountSchema,
  currency: currencySchema,
  expectedLimit: z.number().finite().nonnegative(),
});

const orderSchema = registerOrderBodySchema.extend({ registeredAt: z.string() });
export type Order = z.infer<typeof orderSchema>;

const reservationSchema = z.object({
  reservationId: z.string(),
  orderId: z.string(),
  amount: z.number(),
  currency: z.string(),
  // consumed: a refund was paid out of it; reversing the refund puts it back to reserved.
  status: z.enum(['reserved', 'consumed', 'released']),
  reservedAt: z.string(),
  releasedAt: z.string().optional(),
});
export type Reservation = z.infer<typeof reservationSchema>;

const refundSchema = z.object({
  refundId: z.string(),
  reservationId: z.string(),
  orderId: z.string(),
  amount: z.number(),
  currency: z.string(),
  status: z.enum(['issued', 'reversed']),
  issuedAt: z.string(),
  reversedAt: z.string().optional(),
});
export type Refund = z.infer<typeof refundSchema>;

const crmCaseSchema = z.object({
  caseId: z.string(),
  orderId: z.string(),
  /** null once a restore has put the order back to "no case". */
  current: caseStatusSchema.nullable(),
  updateCount: z.number().int(),
  restoreCount: z.number().int(),
});
export type CrmCase = z.infer<typeof crmCaseSchema>;

const messageSchema = z.object({
  messageId: z.string(),
  customerId: z.string(),
  orderId: z.string(),
  text: z.string(),
  sentAt: z.string(),
});
export type Message = z.infer<typeof messageSchema>;

const catalogPriceSchema = z.object({ sku: z.string(), price: z.number(), currency: z.string(), updatedAt: z.string() });
export type CatalogPrice = z.infer<typeof catalogPriceSchema>;

const priceChangeSchema = z.object({
  changeId: z.string(),
  sku: z.string(),
  previousPrice: z.number(),
  newPrice: z.number(),
  currency: z.string(),
  status: z.enum(['applied', 'restored']),
  changedAt: z.string(),
  restoredAt: z.string().optional(),
});
export type PriceChange = z.infer<typeof priceChangeSchema>;

const publicationSchema = z.object({
  publicationId: z.string(),
  channel: z.string(),
  sku: z.string(),
  price: z.number(),
  currency: z.string(),
  status: z.enum(['published', 'withdrawn']),
  publishedAt: z.string(),
  withdrawnAt: z.string().optional(),
});
export type Publication = z.infer<typeof publicationSchema>;

const creditCustomerSchema = registerCreditCustomerBodySchema.extend({ registeredAt: z.string(), updatedAt: z.string() });
export type CreditCustomer = z.infer<typeof creditCustomerSchema>;

const creditLimitChangeSchema = z.object({
  changeId: z.string(),
  customerId: z.string(),
  previousLimit: z.number(),
  newLimit: z.number(),
  currency: z.string(),
  status: z.enum(['applied', 'restored']),
  changedAt: z.string(),
  restoredAt: z.string().optional(),
});
export type CreditLimitChange = z.infer<typeof creditLimitChangeSchema>;

const storedReplySchema = z.object({ status: z.number().int(), body: z.record(z.string(), z.unknown()) });

export const standInStateSchema = z.object({
  // A default, so a state file written before orders were registered still loads.
  orders: z.array(orderSchema).default([]),
  reservations: z.array(reservationSchema),
  refunds: z.array(refundSchema),
  cases: z.array(crmCaseSchema),
  messages: z.array(messageSchema),
  // Defaults, so a state file written before the catalog and channels existed still loads.
  prices: z.array(catalogPriceSchema).default([]),
  priceChanges: z.array(priceChangeSchema).default([]),
  publications: z.array(publicationSchema).default([]),
  // Defaults, so a state file written before the ERP existed still loads.
  creditCustomers: z.array(creditCustomerSchema).default([]),
  creditLimitChanges: z.array(creditLimitChangeSchema).default([]),
  /** First answer per idempotency key: replays return it unchanged. */
  replies: z.record(z.string(), storedReplySchema),
  /** Calls seen per idempotency key, so injected faults stop after a fixed count across restarts. */
  attempts: z.record(z.string(), z.number().int()),
});
export type StandInState = z.infer<typeof standInStateSchema>;

export function emptyState(): StandInState {
  return {
    orders: [],
    reservations: [],
    refunds: [],
    cases: [],
    messages: [],
    prices: [],
    priceChanges: [],
    publications: [],
    creditCustomers: [],
    creditLimitChanges: [],
    replies: {},
    attempts: {},
  };
}
