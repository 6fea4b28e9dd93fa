// OpenTelemetry spans of Arbiter's own inside workflow code, and the run's trace context for the
// approvers' endpoint. The SDK's workflow interceptors (in the bundle of a worker that exports: runtime/workflow-bundle.ts)
// give the sandbox its tracer: span ids from the run's seeded random, times in workflow time,
// finished spans handed to a sink the worker does not call while it replays. Nothing here writes
// to history or decides anything; without the interceptors the tracer is a no-op.
import { context, propagation, trace, SpanStatusCode, type Attributes } from '@opentelemetry/api';

const tracer = () => trace.getTracer('arbiter-workflow');

/** Runs synchronous workflow code (policy evaluation) in a span; `outcome` names what it gave. */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => T, outcome: (result: T) => Attributes = () => ({})): T {
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      const result = fn();
      span.setAttributes(outcome(result));
      return result;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * The W3C `traceparent` of the span active now (the run's own, called from the workflow's main
 * path), or undefined when the run is not traced. The endpoint starts the spans of requests about
 * this run under it, so a decision is in the same trace as the run. Never a credential: it only
 * places spans in a trace.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
