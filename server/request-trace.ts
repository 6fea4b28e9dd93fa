// One span per request to the approvers' endpoint from an authenticated caller. A request about a
// run (reading its card, deciding, proposing) joins that run's trace: the run shows its trace
// context with its card (`traceparent` in the `approval` query's answer), and the request's span
// starts under it once the endpoint has let the caller see the card. Any other request is a trace
// of its own; one that never got past authentication, or was refused as unknown (404) or too
// frequent (429) without joining a run, makes no span: anyone could make those by the thousand.
// A `traceparent` header sent by a caller is ignored, and the run's trace context decides nothing:
// it only places spans. The span is dated from the request's arrival.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { hrTime, suppressTracing } from '@opentelemetry/core';
import type { ApprovalView } from '../common/approval-schemas';

const tracer = () => trace.getTracer('arbiter-approvals');

/** Answers anyone can provoke cheaply: a span each would let them flood the trace backend. */
const UNTRACED_STATUSES = new Set([401, 404, 429]);

export class RequestTrace {
  private readonly arrivedAt = hrTime();
  private span: Span | undefined;
  private route = 'request';
  private caller = false;

  constructor(private readonly method: string | undefined) {}

  /** Names the span after the route, never the path: a path carries a workflow id. */
  named(route: string): void {
    this.route = route;
  }

  /** The caller's token was accepted: from here on, the request is worth a span. */
  authenticated(): void {
    this.caller = true;
  }

  /**
   * Runs the request's work before it knows its run outside any trace: a token check or a card
   * read would otherwise each start a trace of their own.
   */
  untraced<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(suppressTracing(context.active()), fn);
  }

  /** Starts the request's span in the trace of the run whose card was read, if that run is traced. */
  join(view: Pick<ApprovalView, 'traceparent'> | undefined): void {
    if (this.span) return;
    const run = view?.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: view.traceparent }) : ROOT_CONTEXT;
    this.span = tracer().startSpan(
      `approvals ${this.route}`,
      { kind: SpanKind.SERVER, startTime: this.arrivedAt, attributes: { 'http.request.method': this.method ?? '', 'http.route': this.route } },
      run,
    );
  }

  /** Runs a call to Temporal inside the request's span, so the update or signal carries it to the run. */
  within<T>(fn: () => Promise<T>): Promise<T> {
    this.join(undefined);
    return context.with(trace.setSpan(ROOT_CONTEXT, this.span!), fn);
  }

  /** Ends the span with the response's status; returns its ids for the request's log line. */
  end(status: number): { trace_id?: string; span_id?: string } {
    if (!this.span && (!this.caller || UNTRACED_STATUSES.has(status))) return {};
    this.join(undefined);
    const span = this.span!;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    const ids = span.spanContext();
    return trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
  }
}

/** A card as approvers get it: the run's trace context is the endpoint's to use, not theirs. */
export function withoutTraceContext<V extends Pick<ApprovalView, 'traceparent'>>(view: V): Omit<V, 'traceparent'> {
  const shown = { ...view };
  delete shown.traceparent;
  return shown;
}
