// A token bucket per client address: short bursts pass, a sustained flood is refused with the
// seconds until the next request would pass.
export interface RateLimitOptions {
  ratePerSecond: number;
  burst: number;
  /** Milliseconds from a monotonic clock; injectable so the arithmetic can be driven without waiting. */
  now?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Past this many addresses, buckets that have refilled are dropped, so a scan from many addresses cannot grow memory for ever. */
const SWEEP_THRESHOLD = 10_000;

export function createRateLimiter(options: RateLimitOptions): (key: string) => RateDecision {
  const { ratePerSecond, burst } = options;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, at: number) => {
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.updatedMs) / 1000) * ratePerSecond);
    bucket.updatedMs = at;
  };

  const sweep = (at: number) => {
    for (const [key, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= burst) buckets.delete(key);
    }
  };

  return (key) => {
    const at = now();
    if (buckets.size >= SWEEP_THRESHOLD) sweep(at);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: burst, updatedMs: at };
      buckets.set(key, bucket);
    }
    refill(bucket, at);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
  };
}
