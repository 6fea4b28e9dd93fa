// Percentiles, a bounded pool of concurrent tasks, and the small timing helpers every measurement shares.

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles of samples in milliseconds, rounded to 0.1 ms. */
export function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    mean: round(sorted.reduce((sum, n) => sum + n, 0) / sorted.length),
    min: round(sorted[0]!),
    max: round(sorted.at(-1)!),
  };
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight; the first failure stops new tasks and is thrown. */
export async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < total) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

export function elapsedMs(since: number): number {
  return performance.now() - since;
}

export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A poll's pace: a fixed interval, or one that starts at `firstMs` and grows by `growth` up to `maxMs`. */
export type PollPace = number | { firstMs: number; growth: number; maxMs: number };

/** Polls `probe` until it holds; throws naming `what` after `timeoutMs`, or what the probe throws. */
export async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs: number, pace: PollPace = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { firstMs, growth, maxMs } = typeof pace === 'number' ? { firstMs: pace, growth: 1, maxMs: pace } : pace;
  let everyMs = firstMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
    everyMs = Math.min(maxMs, everyMs * growth);
  }
}
