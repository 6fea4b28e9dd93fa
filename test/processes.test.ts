// The process registry is the one place a process is known: each descriptor names a policy that
// loads, a workflow the bundle exports and a demo plan, and the client refuses a process it does not list.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidRequestError, start } from '../client';
import { DEFAULT_POLICY_DIR, readPolicyFiles } from '../policies/load';
import { PROCESSES, processNamed } from '../processes';
import * as workflows from '../workflows';
import { priceChangeRequest } from './helpers/price-fixtures';
import { refundRequest } from './helpers/refund-fixtures';

test.each(PROCESSES.map((p) => [p.name, p] as const))('%s: its policy loads and its workflow is in the bundle', (name, descriptor) => {
  expect(existsSync(path.join(DEFAULT_POLICY_DIR, `${name}.yaml`))).toBe(true);
  expect(readPolicyFiles(DEFAULT_POLICY_DIR, name).policy.process).toBe(name);
  expect(typeof (workflows as Record<string, unknown>)[descriptor.workflowType]).toBe('function');
});

test.each(PROCESSES.map((p) => [p.name, p] as const))('%s: its demo plan loads, with scenarios its request schema accepts', async (_name, descriptor) => {
  const plan = (await descriptor.demo()).demoPlan('test');
  expect(plan.scenarios.length).toBeGreaterThan(0);
  for (const scenario of plan.scenarios) expect(descriptor.requestSchema.safeParse(scenario.request).error).toBeUndefined();
  // One request, one run: two scenarios of a plan must never start the same workflow.
  const ids = plan.scenarios.map((scenario) => descriptor.workflowId(scenario.request));
  expect(new Set(ids).size).toBe(ids.length);
});

test('each descriptor derives id, tenant and summary from the request alone', () => {
  const refund = refundRequest();
  const prices = priceChangeRequest('promo', ['SKU-A', 'SKU-B', 'SKU-C', 'SKU-D']);
  expect(processNamed('refund')?.workflowId(refund)).toBe(`refund-${refund.requestId}`);
  expect(processNamed('refund')?.summary(refund)).toBe(`refund ${refund.order.amount} ${refund.order.currency} on order ${refund.order.id}`);
  expect(processNamed('price-change')?.workflowId(prices)).toBe(`price-change-${prices.requestId}`);
  expect(processNamed('price-change')?.tenant(prices)).toBe(prices.tenant);
  expect(processNamed('price-change')?.summary(prices)).toMatch(/^reprice 4 SKU\(s\) \(SKU-A-\S+, SKU-B-\S+, SKU-C-\S+, \.\.\.\) on web, marketplace$/);
});

test('the client refuses a process it does not list, and a bad request, naming the field, before connecting', async () => {
  // No Temporal runs for this test: a refusal must come before any connection is tried.
  const unknown = await start('credit-line', {}).catch((err: unknown) => err);
  expect(unknown).toBeInstanceOf(InvalidRequestError);
  expect((unknown as InvalidRequestError).fields).toEqual(['process']);
  expect((unknown as Error).message).toBe('unknown process "credit-line"; known: refund, price-change, credit-limit');
  expect(processNamed('toString')).toBeUndefined();
  const bad = await start('refund', { ...refundRequest(), order: { id: 'o-1', amount: -5, currency: 'EUR' } }).catch((err: unknown) => err);
  expect(bad).toBeInstanceOf(InvalidRequestError);
  expect((bad as InvalidRequestError).fields).toContain('order.amount');
});
