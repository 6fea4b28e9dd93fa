// The id, currency and amount rules every process, the approvers' endpoint and the stand-in
// systems share, kept apart from any one process so a change to one reaches them all.
import { z } from 'zod';
import { builtOnce } from './built-once';
import { hasAtMostTwoDecimals } from './money';

/** Ids end up in workflow ids and idempotency keys: keep them to characters that are safe in both. */
export const externalIdSchema = builtOnce('id-and-money-schemas#externalIdSchema', () =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : - only'));

export const currencySchema = builtOnce('id-and-money-schemas#currencySchema', () =>
  z.string().regex(/^[A-Z]{3}$/, 'a 3-letter ISO 4217 code in capitals, e.g. EUR'));

const LARGEST_AMOUNT = 1_000_000_000;

export const moneyAmountSchema = builtOnce('id-and-money-schemas#moneyAmountSchema', () =>
  z
    .number()
    .finite()
    .positive()
    .max(LARGEST_AMOUNT)
    .refine(hasAtMostTwoDecimals, 'at most 2 decimals'));

/** An amount that may be zero, as in a proposal that refunds nothing. */
export const moneyAmountOrZeroSchema = builtOnce('id-and-money-schemas#moneyAmountOrZeroSchema', () =>
  z
    .number()
    .finite()
    .nonnegative()
    .max(LARGEST_AMOUNT)
    .refine(hasAtMostTwoDecimals, 'at most 2 decimals'));
