// The JSON-over-HTTP client against a real local server: what it sends, and how it sorts answers
// into business refusals (non-retryable ApplicationFailure) and transport failures (plain Error).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { createSystemClient, type SystemClient } from '../activities/system-client';

interface ReceivedRequest {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Fixed answers per path, like a CRM that accepts one call, refuses one and is down for others. */
const answers: Record<string, { status: number; body: unknown }> = {
  '/customers/notes': { status: 201, body: { noteId: 'N-7', stored: true } },
  '/customers/reject': { status: 422, body: { error: 'customer C-9 is archived' } },
  '/customers/down': { status: 503, body: { error: 'maintenance window' } },
  '/customers/busy': { status: 429, body: { error: 'slow down' } },
};

let server: Server;
let received: ReceivedRequest[];
let crm: SystemClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method, path: request.url, headers: request.headers, body });
      const answer = answers[request.url ?? ''] ?? { status: 404, body: { error: 'no such path' } };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  crm = createSystemClient({ system: 'Crm', baseUrl: `http://127.0.0.1:${port}/` });
});

beforeEach(() => {
  received = [];
});

afterAll(async () => {
  // fetch keeps connections alive; close them so the server's close does not wait for their timeout.
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

/** The error a call fails with; fails the test if the call succeeds. */
async function failureOf(path: string): Promise<unknown> {
  try {
    await crm(path, { customerId: 'C-9' }, 'wf-1/updateCrm');
  } catch (error) {
    return error;
  }
  throw new Error(`expected POST ${path} to fail`);
}

test('sends the idempotency key header and the JSON body with a POST', async () => {
  await crm('/customers/notes', { customerId: 'C-1', note: 'refund approved' }, 'wf-42/addCrmNote');
  expect(received).toHaveLength(1);
  const [request] = received;
  expect(request?.method).toBe('POST');
  expect(request?.headers['idempotency-key']).toBe('wf-42/addCrmNote');
  expect(request?.headers['content-type']).toBe('application/json');
  expect(JSON.parse(request?.body ?? '')).toEqual({ customerId: 'C-1', note: 'refund approved' });
});

test('returns the parsed body of a 2xx answer', async () => {
  const result = await crm<{ noteId: string; stored: boolean }>('/customers/notes', { customerId: 'C-1' }, 'wf-42/addCrmNote');
  expect(result).toEqual({ noteId: 'N-7', stored: true });
});

test('turns a 422 into a non-retryable CrmRejected ApplicationFailure carrying the server error text', async () => {
  const error = await failureOf('/customers/reject');
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe('CrmRejected');
  expect(failure.message).toContain('customer C-9 is archived');
});

test('turns a 503 into a plain retryable Error, not an ApplicationFailure', async () => {
  const error = await failureOf('/customers/down');
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(ApplicationFailure);
  expect((error as Error).message).toContain('maintenance window');
});

test('turns a 429 into a plain retryable Error, not an ApplicationFailure', async () => {
  const error = await failureOf('/customers/busy');
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(ApplicationFailure);
  expect((error as Error).message).toContain('HTTP 429');
});
