// The tenants' daily model budgets: the ledgers, and the reservation a model call carries. The
// LLM activity that spends the money holds the reservation: it reserves before its first
// completion and settles what it spent when it ends, so a run's history holds no budget steps.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { INVALID_BUDGET_REQUEST } from '../../common/error-types';
import { describeIssues } from '../../common/validation';
import { createFileBudgetLedger } from './file-ledger';
import type { BudgetReservationRequest, ModelBudgetLedger } from './ledger';
import { createPostgresBudgetLedger } from './postgres-ledger';

export type { BudgetGrant, BudgetReservationRequest, ModelBudgetLedger } from './ledger';
export { createFileBudgetLedger } from './file-ledger';
export { createPostgresBudgetLedger } from './postgres-ledger';

const usd = z.number().finite().nonnegative().max(1_000_000);
const reservationSchema = z.strictObject({
  reservationId: z.string().min(1).max(512),
  tenant: z.string().min(1).max(128),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day, YYYY-MM-DD'),
  dailyLimitUsd: usd,
  wantUsd: usd,
  minUsd: usd,
});

/** Checks a reservation handed to an activity; a malformed one names its field and touches no ledger. */
export function parseBudgetReservation(raw: unknown): BudgetReservationRequest {
  const result = reservationSchema.safeParse(raw);
  if (result.success) return result.data;
  // A malformed request is a defect in the caller: retrying cannot fix it.
  throw ApplicationFailure.nonRetryable(`budget reservation is invalid: ${describeIssues(result.error)}`, INVALID_BUDGET_REQUEST);
}

/**
 * PostgreSQL when ARBITER_BUDGET_DATABASE_URL (or else ARBITER_AUDIT_DATABASE_URL) is set: correct
 * with any number of workers. Otherwise a JSON file, correct for the one worker process of a
 * local platform.
 */
export function budgetLedgerFromEnv(env: NodeJS.ProcessEnv, defaults: { filePath: string }): ModelBudgetLedger {
  const url = env.ARBITER_BUDGET_DATABASE_URL || env.ARBITER_AUDIT_DATABASE_URL;
  if (url) return createPostgresBudgetLedger(url);
  return createFileBudgetLedger(env.ARBITER_BUDGET_FILE || defaults.filePath);
}
