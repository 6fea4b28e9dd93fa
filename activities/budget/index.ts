// The budget activities a run calls around each model call: reserve the worst case from the
// tenant's day, then settle what the call cost. Both are safe to retry.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { describeIssues } from '../../common/validation';
import { createFileBudgetLedger } from './file-ledger';
import type { BudgetGrant, ModelBudgetLedger } from './ledger';
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
const settlementSchema = z.strictObject({ reservationId: z.string().min(1).max(512), spentUsd: usd });

export function createBudgetActivities(deps: { ledger: ModelBudgetLedger }) {
  return {
    async reserveModelBudget(raw: z.infer<typeof reservationSchema>): Promise<BudgetGrant> {
      return deps.ledger.reserve(parsed(reservationSchema, raw, 'budget reservation'));
    },
    async settleModelBudget(raw: z.infer<typeof settlementSchema>): Promise<void> {
      const { reservationId, spentUsd } = parsed(settlementSchema, raw, 'budget settlement');
      await deps.ledger.settle(reservationId, spentUsd);
    },
  };
}

export type BudgetActivities = ReturnType<typeof createBudgetActivities>;

function parsed<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  // A malformed request is a defect in the caller: retrying cannot fix it.
  throw ApplicationFailure.nonRetryable(`${what} is invalid: ${describeIssues(result.error)}`, 'InvalidBudgetRequest');
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
