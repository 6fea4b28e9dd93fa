// OpenTelemetry traces for an Arbiter process: one tracer provider per process, named for it, with
// context carried through async hooks; the SDK's interceptors on the Temporal client, workflows and
// activities. Spans leave the process over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set;
// without it they are still made (trace ids in log lines, context carried between processes) and
// dropped. See docs/operations.md, Traces.
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors, WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import type { OpenTelemetrySinks, SerializableSpan } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';

export interface Tracing {
  readonly serviceName: string;
  /** The OTLP endpoint spans are sent to; undefined when nothing leaves the process. */
  readonly exportsTo: string | undefined;
  /** Where every finished span goes, the workflows' included (they arrive through the sink below). */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** Sends what is still buffered, then leaves the process without a tracer provider. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Instead of the OTLP exporter: tests hand in an in-memory one. */
  spanProcessors?: SpanProcessor[];
}

/**
 * Registers this process's tracer provider, once, before its clients and workers are made.
 * `serviceName` names the process (`arbiter-worker`, `arbiter-approvals`); OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES override it as usual.
 */
export function startTracing(serviceName: string, options: TracingOptions = {}): Tracing {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
  const resource = Resource.default().merge(new Resource({ 'service.name': serviceName })).merge(envDetectorSync.detect());
  // The exporter reads the rest of its settings (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, the traces-only URL) itself.
  const exporting = options.spanProcessors ?? (endpoint ? [new BatchSpanProcessor(new OTLPTraceExporter())] : []);
  // Given no processor at all, the provider would look for an exporter named by OTEL_TRACES_EXPORTER.
  // Every finished span, the workflows' too (the sink hands them to this provider's processor), is
  // stripped of failure messages before any processor or exporter sees it.
  const spanProcessors = exporting.length ? exporting.map((processor) => new WithoutFailureMessages(processor)) : [new NoopSpanProcessor()];
  const provider = new BasicTracerProvider({ resource, spanProcessors });
  // W3C trace context only: baggage would carry whatever a caller put in it from process to process.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
  return {
    serviceName,
    exportsTo: options.spanProcessors ? undefined : endpoint,
    spanProcessor: provider.getActiveSpanProcessor(),
    resource,
    async shutdown() {
      await provider.shutdown();
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}

/**
 * The SDK's interceptors put a failure's message on its span word for word (`status.message`, and
 * `exception.message` and `exception.stacktrace` on the exception event), and Arbiter's failure
 * messages name customers' records, approvers and what a model answered. The span keeps that it
 * failed and the failure's type (`exception.type`), which is what a trace is read for; the message
 * stays in the run's history, behind the namespace's access rules.
 */
export class WithoutFailureMessages implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(...args: Parameters<SpanProcessor['onStart']>): void {
    this.next.onStart(...args);
  }

  onEnd(span: ReadableSpan): void {
    this.next.onEnd(withoutFailureMessages(span));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

const FAILURE_TEXT_ATTRIBUTES = ['exception.message', 'exception.stacktrace'];

/** The same span, read through: only its status and its events' failure text differ. */
export function withoutFailureMessages(span: ReadableSpan): ReadableSpan {
  const events = span.events.map((event) => {
    if (!event.attributes || !FAILURE_TEXT_ATTRIBUTES.some((name) => name in event.attributes!)) return event;
    const attributes = { ...event.attributes };
    for (const name of FAILURE_TEXT_ATTRIBUTES) delete attributes[name];
    return { ...event, attributes };
  });
  // A prototype, not a copy: the SDK's span reads its context, duration and scope through getters.
  return Object.create(span, {
    status: { value: { code: span.status.code }, enumerable: true },
    events: { value: events, enumerable: true },
  }) as ReadableSpan;
}

/**
 * For every Temporal client of Arbiter's: a span per call (start, signal, update, query), whose
 * context travels to the workflow in a header. The spans go to whatever provider the process
 * registered (a backend service using the client library brings its own); none, none made.
 */
export function tracingClientInterceptors(): ClientInterceptors {
  // Inner to the OpenTelemetry interceptor, so it sees the header that one has just written.
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor(), new TraceContextOnly()] };
}

/**
 * Leaves only `traceparent` in the trace header a client call sends to a run. A service embedding
 * the client with its own provider may inject baggage (and vendor tracestate), and the workflow
 * sandbox's propagator would copy it, in plain text, into the header of every activity the run
 * schedules: whatever a caller put there would travel with the run and be stored in its history.
 */
export class TraceContextOnly implements WorkflowClientInterceptor {
  start: NonNullable<WorkflowClientInterceptor['start']> = (input, next) => next({ ...input, headers: onlyTraceparent(input.headers) });
  startWithDetails: NonNullable<WorkflowClientInterceptor['startWithDetails']> = (input, next) => next({ ...input, headers: onlyTraceparent(input.headers) });
  signal: NonNullable<WorkflowClientInterceptor['signal']> = (input, next) => next({ ...input, headers: onlyTraceparent(input.headers) });
  signalWithStart: NonNullable<WorkflowClientInterceptor['signalWithStart']> = (input, next) => next({ ...input, headers: onlyTraceparent(input.headers) });
  query: NonNullable<WorkflowClientInterceptor['query']> = (input, next) => next({ ...input, headers: onlyTraceparent(input.headers) });
  startUpdate: NonNullable<WorkflowClientInterceptor['startUpdate']> = (input, next) => next({ ...input, headers: onlyTraceparent(input.headers) });
  startUpdateWithStart: NonNullable<WorkflowClientInterceptor['startUpdateWithStart']> = (input, next) =>
    next({ ...input, workflowStartHeaders: onlyTraceparent(input.workflowStartHeaders), updateHeaders: onlyTraceparent(input.updateHeaders) });
}

/** The headers with the trace header cut down to its `traceparent`, or without it when it has none. */
export function onlyTraceparent(headers: Headers): Headers {
  const carried = headers[TRACE_HEADER];
  if (!carried) return headers;
  const rest = { ...headers };
  delete rest[TRACE_HEADER];
  let traceparent: unknown;
  try {
    traceparent = (defaultPayloadConverter.fromPayload(carried) as Record<string, unknown> | null)?.traceparent;
  } catch {
    // Not the JSON the OpenTelemetry interceptor writes: nothing of it is sent on.
  }
  return typeof traceparent === 'string' ? { ...rest, [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) } : rest;
}

/**
 * For every worker: a span per activity, as a child of the workflow's span that scheduled it,
 * trace ids in activity log lines, and the sink workflow spans leave the workflow sandbox by.
 * The workflow side is in the bundle of a worker that exports (runtime/workflow-bundle.ts); every
 * worker takes the sink anyway, and without an exporter (tests, replay) it drops the spans.
 */
export function tracingWorkerOptions(tracing?: Tracing): { interceptors: Required<Pick<WorkerInterceptors, 'activity'>>; sinks: InjectedSinks<OpenTelemetrySinks> } {
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: tracingSinks(tracing),
  };
}

/** The sink alone, for replay workers: they never call it, but a bundle's sink must be registered. */
export function tracingSinks(tracing?: Tracing): InjectedSinks<OpenTelemetrySinks> {
  return { exporter: workflowSpanSink(tracing) };
}

/**
 * The SDK copies the whole WorkflowInfo onto every workflow span (memo, search attributes, last
 * failure among it); these fields say which run a span belongs to, and nothing about its content.
 */
type SpanRunInfo = Pick<WorkflowInfo, 'workflowId' | 'runId' | 'workflowType' | 'taskQueue' | 'namespace' | 'attempt'>;

function workflowSpanSink(tracing: Tracing | undefined): InjectedSinks<OpenTelemetrySinks>['exporter'] {
  if (!tracing) return { export: { fn: () => undefined } };
  const exporter = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  return {
    export: {
      // Called only for activations that are not replays: a replayed run exports none of its spans again.
      fn: (info, spans) => {
        const run: SpanRunInfo = {
          workflowId: info.workflowId,
          runId: info.runId,
          workflowType: info.workflowType,
          taskQueue: info.taskQueue,
          namespace: info.namespace,
          attempt: info.attempt,
        };
        const traced = spans.filter((span) => !isUntracedRead(span));
        return traced.length ? exporter.export.fn(run as WorkflowInfo, traced) : undefined;
      },
    },
  };
}

/**
 * A query that came without a trace (the endpoint's card reads, the Web UI's stack trace) would
 * be a trace of one span each, many per minute; reads are not what the traces are for.
 */
function isUntracedRead(span: SerializableSpan): boolean {
  return span.name.startsWith('HandleQuery:') && !span.parentSpanId;
}
