// The tenants' daily model budgets. Before a model call a run reserves what the call may cost at
// worst; after it, the run settles what it really cost. Concurrent runs of one tenant draw on
// one counter, so each ledger makes reserve atomic per tenant and day.

export interface BudgetReservationRequest {
  /** `<workflowId>/<runId>/model-call-<n>`: a retried reserve returns the first grant. */
  reservationId: string;
  tenant: string;
  /** The UTC day the call belongs to, `YYYY-MM-DD`, from workflow time. */
  day: string;
  dailyLimitUsd: number;
  /** Reserve up to this much... */
  wantUsd: number;
  /** ...but no less than this (the cheapest candidate's worst case); below it, nothing. */
  minUsd: number;
}

export interface BudgetGrant {
  /** What the call may spend; 0 when the tenant's day cannot cover `minUsd`. */
  grantedUsd: number;
  /** What the tenant had left of its day before this reservation. */
  availableUsd: number;
}

export interface ModelBudgetLedger {
  reserve(request: BudgetReservationRequest): Promise<BudgetGrant>;
  /** Replaces the reservation's worst case with what the call spent. Settling twice changes nothing. */
  settle(reservationId: string, spentUsd: number): Promise<void>;
  close(): Promise<void>;
}

/** Money in millionths of a dollar: sums of integers do not drift the way sums of floats do. */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function fromMicroUsd(micro: number): number {
  return micro / 1_000_000;
}

/**
 * The grant for a reservation, given what the tenant's day has used so far (all in micro-USD).
 * A reservation already made (a retried reserve) keeps its grant; its own amount does not count
 * against what was available to it.
 */
export function decideGrant(
  request: BudgetReservationRequest,
  usedMicro: number,
  alreadyReservedMicro?: number,
): { grantedMicro: number; availableMicro: number } {
  const availableMicro = Math.max(0, toMicroUsd(request.dailyLimitUsd) - usedMicro + (alreadyReservedMicro ?? 0));
  if (alreadyReservedMicro !== undefined) return { grantedMicro: alreadyReservedMicro, availableMicro };
  const grantedMicro = availableMicro >= toMicroUsd(request.minUsd) ? Math.min(toMicroUsd(request.wantUsd), availableMicro) : 0;
  return { grantedMicro, availableMicro };
}
