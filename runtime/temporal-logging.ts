// Bridges the Temporal runtime's logger (worker, workflow `log`, activity context) into pino,
// so every line of a worker process is one JSON format with one redaction list; and, with an
// address, serves the runtime's Prometheus metrics (runtime/metrics.ts).
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';
import { workerTelemetry } from './metrics';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installTemporalRuntime(logger: Logger, level: LogLevel = 'INFO', metricsAddress?: string): void {
  const telemetryOptions = workerTelemetry(metricsAddress);
  Runtime.install({
    ...(telemetryOptions && { telemetryOptions }),
    logger: new DefaultLogger(level, (entry) => {
      logger[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message);
    }),
    // The Runtime turns these into a graceful shutdown of every worker: drain, then exit.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
}
