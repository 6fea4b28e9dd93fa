// The one pino logger of every Arbiter process. Secrets and personal data are redacted by
// path, so a field that slips into a log line is censored rather than written out. A line written
// inside a span carries its trace and span ids (runtime/tracing.ts), to find its trace from it.
import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * Paths pino censors wherever they appear (one level of nesting is enough for our log
 * shapes; deeper objects are not logged whole).
 */
export const REDACTED_PATHS = [
  'authorization',
  'token',
  'apiKey',
  'password',
  'secret',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.token',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.email',
  '*.phone',
  'input.message',
  'request.message',
  'customer.name',
  'customer.email',
  'customer.phone',
] as const;

export function createLogger(name: string, options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.ARBITER_LOG_LEVEL ?? 'info';
  return pino(
    {
      name,
      level,
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      base: { service: name },
      mixin: activeSpanIds,
    },
    options.destination,
  );
}

/** The active span's ids, or nothing outside a span (or in a process that registered no tracer provider). */
function activeSpanIds(): { trace_id?: string; span_id?: string } {
  const ids = trace.getActiveSpan()?.spanContext();
  return ids && trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}
