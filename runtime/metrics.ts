// Where the processes serve their Prometheus metrics, and in which shape. The worker's come from
// the Temporal runtime's own exporter (the SDK's metrics and Arbiter's, emitted through the
// workflow and activity metric meters); the endpoint's from a listener of its own (server/metrics.ts).
import type { TelemetryOptions } from '@temporalio/worker';

/**
 * Prometheus conventions for the runtime's exporter: counters end in `_total`, durations are in
 * seconds. The dashboard and the alert rules in deploy/ are written against these names.
 */
export const PROMETHEUS_EXPORT = { countersTotalSuffix: true, useSecondsForDurations: true } as const;

/** `ip:port` as the runtime's exporter binds it (a socket address: no host names), IPv6 in brackets. */
const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** An `ip:port` from `variable`, undefined when unset; refuses anything else rather than serve nowhere. */
export function metricsAddressFromEnv(variable: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[variable]?.trim();
  if (!value) return undefined;
  const port = Number(ADDRESS.exec(value)?.[1] ?? NaN);
  if (!Number.isInteger(port) || port > 65_535) throw new Error(`${variable} must be ip:port (e.g. 127.0.0.1:9464 or [::1]:9464), got "${value}"`);
  return value;
}

/** The worker runtime's telemetry: Prometheus on `bindAddress` (the exporter serves `/metrics`), or none. */
export function workerTelemetry(bindAddress: string | undefined): TelemetryOptions | undefined {
  return bindAddress ? { metrics: { prometheus: { bindAddress, ...PROMETHEUS_EXPORT } } } : undefined;
}

/** The worker's metrics address: ARBITER_WORKER_METRICS_ADDRESS. */
export const workerMetricsAddressFromEnv = (env: NodeJS.ProcessEnv = process.env) => metricsAddressFromEnv('ARBITER_WORKER_METRICS_ADDRESS', env);
