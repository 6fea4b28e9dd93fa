// The shared pino logger censors secrets and personal data by path, so a field that slips into
// a log line is written as "[redacted]" and never reaches the output; inside a span, a line names
// its trace.
import { trace } from '@opentelemetry/api';
import { createLogger } from '../runtime/logger';
import { startTracing, type Tracing } from '../runtime/tracing';

/** A pino destination that keeps every raw line it is given. */
function collectLines(): { write(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const leakyFields = {
  authorization: 'Bearer abc',
  token: 'x-token-value',
  customer: { email: 'a@b.c' },
  input: { message: 'personal text' },
  orderId: 'O-1',
};

function logLeakyLine(): string {
  const destination = collectLines();
  createLogger('logger-test', { destination, level: 'info' }).info(leakyFields, 'refund requested');
  expect(destination.lines).toHaveLength(1);
  return destination.lines[0]!;
}

test('replaces authorization, token, customer email and input message with "[redacted]"', () => {
  const entry = JSON.parse(logLeakyLine());
  expect(entry).toMatchObject({
    authorization: '[redacted]',
    token: '[redacted]',
    customer: { email: '[redacted]' },
    input: { message: '[redacted]' },
  });
});

test('keeps fields that are not secret, such as the order id', () => {
  expect(JSON.parse(logLeakyLine()).orderId).toBe('O-1');
});

test('never writes the secret strings into the raw output', () => {
  const raw = logLeakyLine();
  for (const secret of ['Bearer abc', 'x-token-value', 'a@b.c', 'personal text']) {
    expect(raw).not.toContain(secret);
  }
});

describe('in a process that traces', () => {
  let tracing: Tracing;
  beforeAll(() => {
    // No processor: spans are made, and nothing leaves the test whatever the environment says.
    tracing = startTracing('logger-test', { spanProcessors: [] });
  });
  afterAll(() => tracing.shutdown());

  test('writes the trace and span ids of the span a line is written in, and none outside one', () => {
    const destination = collectLines();
    const logger = createLogger('logger-test', { destination, level: 'info' });
    const ids = trace.getTracer('logger-test').startActiveSpan('a span', (span) => {
      logger.info('inside');
      span.end();
      return span.spanContext();
    });
    logger.info('outside');
    const [inside, outside] = destination.lines.map((line) => JSON.parse(line));
    expect(inside).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outside.trace_id).toBeUndefined();
  });
});
