// Money as the systems count it: whole cents. Adding or comparing floats like 0.1 + 0.2 drifts
// away from what was paid; every sum and comparison of amounts goes through cents. Pure, so the
// workflow sandbox uses it too.

export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

/** True for an amount a payment system can pay: no more than two decimals. */
export function hasAtMostTwoDecimals(amount: number): boolean {
  return toCents(amount) === Number((amount * 100).toFixed(6));
}
