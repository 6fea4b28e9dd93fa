// One refund that needs a person's approval, started through the Arbiter client, decided through
// the approvers' endpoint over HTTP, run by the workers of every role against a real dev server:
// its spans, collected in memory, are one trace, and none carries the prompt or the customer's words.
import { ApplicationFailure } from '@temporalio/activity';
import { Client } from '@temporalio/client';
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ArbiterClient } from '../client';
import { REQUEST_BLOCK_START } from '../activities/llm/triage-prompt';
import { EndpointMetric } from '../common/metric-names';
import { readTemporalSettings } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { startTracing, tracingClientInterceptors, tracingSinks, type Tracing } from '../runtime/tracing';
import { createEndpointMetrics } from '../server/metrics';
import { testDecisionKey } from './helpers/decision-key';
import { httpCall } from './helpers/http-client';
import { order, startTestEndpoint, tokenFor, waitForCard, type TestEndpoint } from './helpers/http-approvals';
import { testDataConverter } from './helpers/payload-keys';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { withArbiterWorkers } from './helpers/workers';

let tracing: Tracing;
const spans = new InMemorySpanExporter();
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let endpoint: TestEndpoint;

beforeAll(async () => {
  // Before any client or worker: one provider for the whole test process, which plays every part.
  tracing = startTracing('arbiter-test', { spanProcessors: [new SimpleSpanProcessor(spans)] });
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  // The endpoint's own client, with the interceptors server/main.ts gives it.
  const temporal = new Client({ connection: env.connection, dataConverter: testDataConverter(), interceptors: tracingClientInterceptors() });
  endpoint = await startTestEndpoint(env, testDecisionKey(), temporal);
});

afterAll(async () => {
  await endpoint?.approvals.close();
  await env?.teardown();
  await tracing?.shutdown();
});

/** The finished span of this name; fails naming what was there instead. */
function named(all: ReadableSpan[], name: string): ReadableSpan {
  const found = all.find((span) => span.name === name);
  if (!found) throw new Error(`no span "${name}" among: ${[...new Set(all.map((span) => span.name))].join(', ')}`);
  return found;
}

it("makes one trace of a refund with approval, from the client's start through the approver's decision to the last saga step", async () => {
  const request = order(740);
  const approver = await tokenFor('carol', ['support-lead']);
  const { workflowId, decided, result } = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, tracing }, async (taskQueue) => {
    const settings = { ...readTemporalSettings({}), address: env.address, workflowTaskQueue: taskQueue };
    const client = await ArbiterClient.connect(settings, { dataConverter: testDataConverter() });
    try {
      const { workflowId } = await client.startRefund(request);
      const { cardHash } = await waitForCard(endpoint.baseUrl, approver, workflowId, 'approval');
      const decided = await httpCall(endpoint.baseUrl, { path: `/approvals/${workflowId}/decision`, token: approver, json: { decision: 'approve', cardHash } });
      return { workflowId, decided, result: await client.refundResult(workflowId) };
    } finally {
      await client.close();
    }
  });
  expect(decided.status).toBe(202);
  expect(result.outcome).toBe('completed');

  // The run's own span leaves the workflow sandbox with the activation that completes it.
  await waitFor(async () => {
    await tracing.spanProcessor.forceFlush();
    return spans.getFinishedSpans().some((span) => span.name === 'RunWorkflow:refund' && span.attributes.workflowId === workflowId);
  }, 'the run span of the refund');
  const all = spans.getFinishedSpans();

  const start = named(all, 'StartWorkflow:refund');
  const run = named(all, 'RunWorkflow:refund');
  const policy = named(all, 'policy.evaluate');
  const modelCalls = all.filter((span) => span.attributes['gen_ai.operation.name'] === 'chat');
  const decision = named(all, 'approvals decide');
  const update = named(all, 'HandleUpdate:decide');
  const lastStep = named(all, 'RunActivity:sendCustomerMessage');
  const traceId = start.spanContext().traceId;

  expect(start.parentSpanId).toBeUndefined();
  expect(start.attributes.temporalWorkflowId).toBe(workflowId);
  expect(modelCalls.length).toBeGreaterThan(0);
  for (const span of [run, policy, ...modelCalls, decision, update, lastStep]) {
    expect([span.name, span.spanContext().traceId]).toEqual([span.name, traceId]);
  }
  // The request joined the run under the run's own span; the decision it sent carried the request's.
  expect(decision.parentSpanId).toBe(run.spanContext().spanId);
  expect(named(all, 'StartWorkflowUpdate:decide').parentSpanId).toBe(decision.spanContext().spanId);
  expect(policy.attributes).toMatchObject({ 'arbiter.process': 'refund', 'arbiter.policy.outcome': 'approve' });
  expect(modelCalls[0]!.attributes).toMatchObject({ 'gen_ai.request.model': expect.any(String), 'arbiter.model.outcome': 'answered' });
  expect(modelCalls[0]!.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
  expect(modelCalls[0]!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  expect(modelCalls[0]!.attributes['arbiter.model.cost_usd']).toEqual(expect.any(Number));

  // The request's log line names the run's trace.
  const requestLine = endpoint.logLines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request' && entry.path.endsWith('/decision'));
  expect(requestLine.trace_id).toBe(traceId);

  // Neither the prompt nor the customer's message nor the run's memo and search attributes are on any span.
  const shown = JSON.stringify(all.map((span) => ({ attributes: span.attributes, events: span.events, status: span.status })));
  for (const secret of [request.message, REQUEST_BLOCK_START, request.customer.id]) expect(shown).not.toContain(secret);
  expect(all.some((span) => 'searchAttributes' in span.attributes || 'memo' in span.attributes)).toBe(false);
});

it("makes no spans when the endpoint's metrics list the waiting runs and read their cards", async () => {
  const temporal = new Client({ connection: env.connection, dataConverter: testDataConverter(), interceptors: tracingClientInterceptors() });
  const metrics = createEndpointMetrics(temporal, createLogger('tracing-test', { level: 'silent' }), { minIntervalMs: 0 });
  const approver = await tokenFor('carol', ['support-lead']);
  const { workflowId, spansOfScrape } = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, tracing }, async (taskQueue) => {
    const settings = { ...readTemporalSettings({}), address: env.address, workflowTaskQueue: taskQueue };
    const client = await ArbiterClient.connect(settings, { dataConverter: testDataConverter() });
    try {
      const { workflowId } = await client.startRefund(order(750));
      try {
        await waitForCard(endpoint.baseUrl, approver, workflowId, 'approval');
        await tracing.spanProcessor.forceFlush();
        const before = spans.getFinishedSpans().length;
        // Until a scrape has listed the run (visibility lags) and so read its card.
        await waitFor(async () => {
          await metrics.refresh();
          return (await metrics.registry.getSingleMetric(EndpointMetric.approvalOldestAgeSeconds)!.get()).values.length > 0;
        }, 'a scrape that reads the card');
        await tracing.spanProcessor.forceFlush();
        // The approver's read above may end its span after its answer arrived.
        return { workflowId, spansOfScrape: spans.getFinishedSpans().slice(before).filter((span) => !span.name.startsWith('approvals ')) };
      } finally {
        await client.temporal.workflow.getHandle(workflowId).terminate('the test has scraped');
      }
    } finally {
      await client.close();
    }
  });
  expect(workflowId).toBeTruthy();
  expect(spansOfScrape.map((span) => span.name)).toEqual([]);
});

it("keeps a refused request to the endpoint out of the run's trace", async () => {
  const request = order(760);
  const approver = await tokenFor('carol', ['support-lead']);
  const outsider = await tokenFor('fin-anna', ['finance']);
  const { workflowId, refused } = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, tracing }, async (taskQueue) => {
    const settings = { ...readTemporalSettings({}), address: env.address, workflowTaskQueue: taskQueue };
    const client = await ArbiterClient.connect(settings, { dataConverter: testDataConverter() });
    try {
      const { workflowId } = await client.startRefund(request);
      try {
        const { cardHash } = await waitForCard(endpoint.baseUrl, approver, workflowId, 'approval');
        // A role that may not act on the card: it may neither read it nor decide it.
        const refused = [
          await httpCall(endpoint.baseUrl, { path: `/approvals/${workflowId}`, token: outsider }),
          await httpCall(endpoint.baseUrl, { path: `/approvals/${workflowId}/decision`, token: outsider, json: { decision: 'approve', cardHash } }),
        ];
        return { workflowId, refused: refused.map((answer) => answer.status) };
      } finally {
        await client.temporal.workflow.getHandle(workflowId).terminate('the test has made its requests');
      }
    } finally {
      await client.close();
    }
  });
  expect(refused).toEqual([403, 403]);
  const all = spans.getFinishedSpans();
  const runTrace = all.find((span) => span.name === 'StartWorkflow:refund' && span.attributes.temporalWorkflowId === workflowId)!.spanContext().traceId;
  const requests = all.filter((span) => span.name.startsWith('approvals ') && span.attributes['http.response.status_code'] === 403);
  expect(requests.map((span) => span.name).sort()).toEqual(expect.arrayContaining(['approvals decide', 'approvals show']));
  for (const span of requests) {
    expect([span.name, span.spanContext().traceId]).not.toEqual([span.name, runTrace]);
    expect(span.parentSpanId).toBeUndefined();
  }
  // The approver's own read, which the endpoint let them see, did join it.
  expect(all.some((span) => span.name === 'approvals show' && span.spanContext().traceId === runTrace)).toBe(true);
});

it('sends a run only the trace context, not the baggage or tracestate of the service that starts it', async () => {
  // A service embedding the client whose own provider propagates baggage, as OpenTelemetry's defaults do.
  propagation.disable();
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const baggage = propagation.setBaggage(context.active(), propagation.createBaggage({ 'enduser.id': { value: 'customer-4711@example.com' } }));
  try {
    const request = refundRequest();
    const history = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, tracing }, async (taskQueue) => {
      const settings = { ...readTemporalSettings({}), address: env.address, workflowTaskQueue: taskQueue };
      const client = await ArbiterClient.connect(settings, { dataConverter: testDataConverter() });
      try {
        const { workflowId } = await context.with(baggage, () => client.startRefund(request));
        await client.refundResult(workflowId);
        return await client.temporal.workflow.getHandle(workflowId).fetchHistory();
      } finally {
        await client.close();
      }
    });
    const carried = (history.events ?? []).flatMap((event) => {
      const fields = (event.workflowExecutionStartedEventAttributes ?? event.activityTaskScheduledEventAttributes)?.header?.fields;
      const header = fields?.['_tracer-data'];
      return header ? [defaultPayloadConverter.fromPayload<Record<string, string>>(header as Payload)] : [];
    });
    // The start and at least one activity, each with the run's trace context and nothing else.
    expect(carried.length).toBeGreaterThan(1);
    for (const header of carried) expect(Object.keys(header)).toEqual(['traceparent']);
  } finally {
    propagation.disable();
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
});

/** Every exported span's status and events, as text: where a failure's message would show. */
function failureTextOf(all: ReadableSpan[]): string {
  return JSON.stringify(all.map((span) => ({ status: span.status, events: span.events })));
}

it("exports a failed activity's spans with the failure's type and without its message or stack", async () => {
  const request = refundRequest();
  // The message names a customer's record, as the system clients' messages do.
  const secret = `/srv/crm/customers/${request.customer.id}/cases`;
  const systems = recordingSystems();
  const failingCrmUpdate: typeof systems.activities.updateCrmCase = async () => {
    throw ApplicationFailure.nonRetryable(`CRM refused ${secret}`, 'CrmRejected');
  };
  const integrations = { ...systems.activities, updateCrmCase: failingCrmUpdate };
  const { workflowId, result } = await withArbiterWorkers(env, bundle, { integrations, tracing }, async (taskQueue) => {
    const settings = { ...readTemporalSettings({}), address: env.address, workflowTaskQueue: taskQueue };
    const client = await ArbiterClient.connect(settings, { dataConverter: testDataConverter() });
    try {
      const { workflowId } = await client.startRefund(request);
      return { workflowId, result: await client.refundResult(workflowId) };
    } finally {
      await client.close();
    }
  });
  expect(result.outcome).toBe('compensated');
  await waitFor(async () => {
    await tracing.spanProcessor.forceFlush();
    return spans.getFinishedSpans().some((span) => span.name === 'RunWorkflow:refund' && span.attributes.workflowId === workflowId);
  }, 'the run span of the failed refund');
  const started = spans.getFinishedSpans().find((span) => span.name === 'StartWorkflow:refund' && span.attributes.temporalWorkflowId === workflowId);
  const all = spans.getFinishedSpans().filter((span) => span.spanContext().traceId === started?.spanContext().traceId);

  const failed = all.filter((span) => span.name === 'RunActivity:updateCrmCase');
  expect(failed.length).toBeGreaterThan(0);
  for (const span of failed) {
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    const exception = span.events.find((event) => event.name === 'exception');
    expect(exception?.attributes).toEqual({ 'exception.type': expect.any(String) });
  }
  // The workflow's span that scheduled it failed too, and arrived through the sink.
  expect(named(all, 'StartActivity:updateCrmCase').status.code).toBe(SpanStatusCode.ERROR);
  const shown = failureTextOf(all);
  for (const text of [secret, 'CRM refused', 'exception.message', 'exception.stacktrace']) expect(shown).not.toContain(text);
});

it('strips failure messages from workflow spans that arrive through the sink', async () => {
  const traceId = 'a'.repeat(32);
  const info = { workflowId: 'wf-sink', runId: 'run-sink', workflowType: 'refund', taskQueue: 'q', namespace: 'default', attempt: 1 };
  const refused = {
    name: 'ValidateUpdate:decide',
    kind: SpanKind.SERVER,
    spanContext: { traceId, spanId: 'b'.repeat(16), traceFlags: 1 },
    startTime: [1, 0],
    endTime: [2, 0],
    duration: [1, 0],
    ended: true,
    status: { code: SpanStatusCode.ERROR, message: 'approver carol may not decide: she proposed it' },
    attributes: {},
    links: [],
    events: [
      {
        name: 'exception',
        time: [1, 5],
        attributes: { 'exception.type': 'ApplicationFailure', 'exception.message': 'approver carol may not decide', 'exception.stacktrace': 'ApplicationFailure: approver carol\n    at validate' },
      },
    ],
    droppedAttributesCount: 0,
    droppedLinksCount: 0,
    droppedEventsCount: 0,
    instrumentationLibrary: { name: '@temporalio/interceptor-workflow' },
  } as const;
  const sink = tracingSinks(tracing).exporter.export.fn as (info: unknown, spans: unknown[]) => void;
  sink(info, [refused]);
  await tracing.spanProcessor.forceFlush();
  const exported = spans.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  expect(exported.map((span) => [span.name, span.status, span.events.map((event) => event.attributes)])).toEqual([
    ['ValidateUpdate:decide', { code: SpanStatusCode.ERROR }, [{ 'exception.type': 'ApplicationFailure' }]],
  ]);
  expect(failureTextOf(exported)).not.toContain('carol');
});
