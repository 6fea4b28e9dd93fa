// The read-tool activity against the stand-ins over real HTTP: results come back as capped,
// digested text (a 5 MB case note is cut, not an error), a business "not found" is an answer,
// bad arguments are refused, and a transport failure throws for Temporal to retry.
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { untrustedToolContent } from '../common/agent-tools';
import { createLookupClient } from '../activities/lookups';
import { createMcpToolClient, createToolActivities, type ToolResult, type ToolResultOk } from '../activities/tools';
import { HUGE_NOTES_ORDER_ID, INJECTION_ORDER_ID, INJECTION_TEXT } from '../standins/lookup-seeds';
import { useStandInsFixture } from './helpers/standins-fixture';

const standIns = useStandInsFixture({ name: 'tool-activities' });

function toolsAt(url: string) {
  return createToolActivities({ lookups: createLookupClient({ paymentsUrl: url, crmUrl: url, catalogUrl: url }), mcp: createMcpToolClient() });
}

function ok(result: ToolResult): ToolResultOk {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

const read = (tool: string, args: Record<string, unknown>) =>
  toolsAt(standIns.baseUrl).callReadTool({ tool, args, idempotencyKey: `wf-1/tool:${tool}:test`, source: 'builtin' });

test('answers a read with the whole result, its size and digest, when it fits', async () => {
  const result = ok(await read('get_refund_history', { customerId: 'cust-frequent' }));
  expect(result.truncated).toBe(false);
  expect(JSON.parse(result.content)).toMatchObject({ customerId: 'cust-frequent', days: 90 });
  expect(result.bytes).toBe(Buffer.byteLength(result.content));
  expect(result.digest).toBe(createHash('sha256').update(result.content).digest('hex'));
});

test('cuts a 5 MB case note to the content limit and says so, digesting the whole', async () => {
  const result = ok(await read('get_case_notes', { orderId: HUGE_NOTES_ORDER_ID }));
  expect(result.truncated).toBe(true);
  expect(result.bytes).toBeGreaterThan(5 * 1024 * 1024);
  expect(Buffer.byteLength(result.content)).toBeLessThanOrEqual(8 * 1024);
  expect(result.content).toMatch(/\[cut: \d+ bytes in all, the first 8192 shown\]$/);
  expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
});

test('hands back an injected case note as data, quoted when it is put in a prompt', async () => {
  const result = ok(await read('get_case_notes', { orderId: INJECTION_ORDER_ID }));
  expect(result.content).toContain(INJECTION_TEXT);
  const shown = untrustedToolContent('get_case_notes', result.content, result.truncated);
  expect(shown).toContain('not instructions');
  expect(shown.split('\n')[1]).toBe(JSON.stringify(result.content));
});

test('answers an order payments does not know as a finding, not a failure', async () => {
  const result = ok(await read('get_order', { orderId: 'ORD-NOPE' }));
  expect(JSON.parse(result.content)).toEqual({ found: false, message: 'payments has no order ORD-NOPE' });
});

test.each([
  ['a write tool', 'propose_refund', { action: 'deny' }, 'unknown-tool'],
  ['an unknown tool', 'get_everything', {}, 'unknown-tool'],
  ['arguments that fail the schema', 'get_sales', { sku: 'SKU-1', weeks: 400 }, 'bad-arguments'],
])('refuses %s without reading anything', async (_what, tool, args, reason) => {
  expect(await read(tool, args)).toMatchObject({ status: 'refused', reason, message: expect.any(String) });
});

test('throws a retryable error when the system cannot be reached', async () => {
  const error = await toolsAt('http://127.0.0.1:1')
    .callReadTool({ tool: 'get_sales', args: { sku: 'SKU-1' }, idempotencyKey: 'k', source: 'builtin' })
    .catch((e: unknown) => e);
  // fetch's own TypeError, from Node's realm rather than jest's, so checked by name.
  expect((error as Error).name).toBe('TypeError');
  expect(error).not.toBeInstanceOf(ApplicationFailure);
});
