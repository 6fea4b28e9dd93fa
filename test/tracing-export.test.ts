// Where a process's spans go: over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT when it is set, and
// nowhere outside the process when it is not.
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { startTracing } from '../runtime/tracing';

const ENDPOINT_VARIABLE = 'OTEL_EXPORTER_OTLP_ENDPOINT';
/** The exporter prefers it to the endpoint above: a developer's own must not redirect these tests. */
const TRACES_ENDPOINT_VARIABLE = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
const saved = { [ENDPOINT_VARIABLE]: process.env[ENDPOINT_VARIABLE], [TRACES_ENDPOINT_VARIABLE]: process.env[TRACES_ENDPOINT_VARIABLE] };

beforeEach(() => {
  delete process.env[TRACES_ENDPOINT_VARIABLE];
});

afterEach(() => {
  jest.restoreAllMocks();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Counts every outgoing HTTP(S) request and fetch the process makes from now on. */
function countOutgoing(): () => number {
  const spies = [jest.spyOn(http, 'request'), jest.spyOn(https, 'request'), jest.spyOn(globalThis, 'fetch')];
  return () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
}

/** Makes one span, then shuts tracing down, which sends whatever is still buffered. */
async function traceOneSpan(): Promise<{ exportsTo: string | undefined }> {
  const tracing = startTracing('arbiter-export-test');
  trace.getTracer('export-test').startSpan('one span').end();
  await tracing.shutdown();
  return { exportsTo: tracing.exportsTo };
}

it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT over OTLP/HTTP when it is set', async () => {
  const received: { method?: string; url?: string; body: string }[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, body });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  try {
    process.env[ENDPOINT_VARIABLE] = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const outgoing = countOutgoing();
    const { exportsTo } = await traceOneSpan();
    expect(exportsTo).toBe(process.env[ENDPOINT_VARIABLE]);
    expect(received.map(({ method, url }) => [method, url])).toEqual([['POST', '/v1/traces']]);
    expect(received[0]!.body).toContain('one span');
    expect(received[0]!.body).toContain('arbiter-export-test');
    // The counter sees the exporter's requests, so its zero below means something.
    expect(outgoing()).toBeGreaterThan(0);
  } finally {
    collector.close();
  }
});

it('sends nothing over the network when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
  delete process.env[ENDPOINT_VARIABLE];
  const outgoing = countOutgoing();
  const { exportsTo } = await traceOneSpan();
  expect(exportsTo).toBeUndefined();
  expect(outgoing()).toBe(0);
});
