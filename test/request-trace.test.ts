// Which requests to the approvers' endpoint make a span: an authenticated caller's, and one that
// joined a run; not what anyone can provoke by the thousand (no token, an unknown path, too fast).
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../runtime/tracing';
import { RequestTrace } from '../server/request-trace';

const spans = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(() => {
  tracing = startTracing('arbiter-request-trace-test', { spanProcessors: [new SimpleSpanProcessor(spans)] });
});

afterEach(() => spans.reset());

afterAll(async () => {
  await tracing?.shutdown();
});

/** A run's trace context as its card shows it. */
const runTraceparent = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;

it('makes no span for a request that never passed authentication, whatever its answer', () => {
  for (const status of [200, 400, 401, 403, 404, 405, 413, 429, 500]) {
    const request = new RequestTrace('GET');
    request.named('show');
    expect(request.end(status)).toEqual({});
  }
  expect(spans.getFinishedSpans()).toEqual([]);
});

it('makes no span for an authenticated request answered 401, 404 or 429 outside any run', () => {
  for (const status of [401, 404, 429]) {
    const request = new RequestTrace('GET');
    request.authenticated();
    expect(request.end(status)).toEqual({});
  }
  expect(spans.getFinishedSpans()).toEqual([]);
});

it("makes a span for an authenticated caller's request, and for one that joined a run whatever its answer", () => {
  const listing = new RequestTrace('GET');
  listing.named('list');
  listing.authenticated();
  expect(listing.end(200).trace_id).toMatch(/^[0-9a-f]{32}$/);
  const decision = new RequestTrace('POST');
  decision.named('decide');
  decision.authenticated();
  decision.join({ traceparent: runTraceparent });
  // The run's validator refused the decision after the request joined the run.
  expect(decision.end(404).trace_id).toBe('c'.repeat(32));
  expect(spans.getFinishedSpans().map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([
    ['approvals list', 200],
    ['approvals decide', 404],
  ]);
});
