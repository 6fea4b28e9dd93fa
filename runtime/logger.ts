// The one pino logger of every Arbiter process. Secrets and personal data are redacted by
// path, so a field that slips into a log line is censored rather than written out.
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
    },
    options.destination,
  );
}
