// The approver commands of the `arbiter` CLI against the real endpoint and a real dev server:
// mint a token from the local secret, list what waits, approve, and a refused decision.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { order, startTestEndpoint, TEST_SECRET, waitUntilListed, withRefundRun, type TestEndpoint } from './helpers/http-approvals';
import { bundleWorkflows, startTestServer } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let endpoint: TestEndpoint;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  endpoint = await startTestEndpoint(env);
});

afterAll(async () => {
  await endpoint?.approvals.close();
  await env?.teardown();
});

/** Runs the CLI without blocking this process, whose worker must keep serving the run. */
async function arbiter(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = path.join(__dirname, '..', 'bin', 'arbiter.js');
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [bin, ...args], {
      env: { ...process.env, ARBITER_JWT_SECRET: TEST_SECRET, ARBITER_URL: endpoint.baseUrl },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('arbiter token', () => {
  it('refuses to mint a token without a tenant, and mints every tenant only when told so out loud', async () => {
    const without = await arbiter(['token', '--sub', 'carol', '--roles', 'support-lead']);
    const starred = await arbiter(['token', '--sub', 'carol', '--roles', 'support-lead', '--tenant', '*']);
    const all = await arbiter(['token', '--sub', 'ops-olga', '--roles', 'operator', '--all-tenants']);
    expect([without.code, without.stderr]).toEqual([2, expect.stringContaining('exactly one of --tenant <t> and --all-tenants')]);
    expect(starred.code).toBe(2);
    expect(all.code).toBe(0);
    expect(JSON.parse(Buffer.from(all.stdout.trim().split('.')[1]!, 'base64url').toString())).toMatchObject({ sub: 'ops-olga', tenant: '*' });
  });
});

describe('arbiter approver commands', () => {
  it('mints a token, lists the waiting card, and approves it so the run completes', async () => {
    const { listed, approved, result } = await withRefundRun(env, bundle, order(740), async (handle) => {
      const token = (await arbiter(['token', '--sub', 'carol', '--roles', 'support-lead', '--tenant', 'acme'])).stdout.trim();
      await waitUntilListed(endpoint.baseUrl, token, handle.workflowId);
      const listed = await arbiter(['approvals', '--token', token]);
      const approved = await arbiter(['approve', handle.workflowId, '--token', token, '--comment', 'photos checked']);
      return { listed, approved, result: await handle.result() };
    });
    expect(listed.stdout).toContain('1 approval(s) needed  Refund 740 EUR on order');
    expect(listed.stdout).toContain('(rule refund-mid)');
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toMatch(/^approved refund-.*: now approved, 0 approval\(s\) still needed$/m);
    expect(result.outcome).toBe('completed');
  });

  it('reports the endpoint refusing a decision by someone without the role, with exit 1', async () => {
    const refused = await withRefundRun(env, bundle, order(740), async (handle) => {
      const token = (await arbiter(['token', '--sub', 'fin-1', '--roles', 'finance', '--tenant', 'acme'])).stdout.trim();
      await waitUntilListed(endpoint.baseUrl, (await arbiter(['token', '--sub', 'carol', '--roles', 'support-lead', '--tenant', 'acme'])).stdout.trim(), handle.workflowId);
      return arbiter(['reject', handle.workflowId, '--token', token]);
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^arbiter: 403: /m);
  });

  it('refuses to run without a token, saying how to get one', async () => {
    const { code, stderr } = await arbiter(['approvals']);
    expect(code).toBe(2);
    expect(stderr).toContain('arbiter token');
  });
});
