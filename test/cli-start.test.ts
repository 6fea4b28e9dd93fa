// `arbiter start` as a user runs it: the real bin script in a child process against a real dev
// server. No worker runs, so a started run stays open and can be described as the CLI left it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ArbiterProcess, ArbiterTenant } from '../common/constants';
import { creditLimitWorkflowId } from '../common/credit-limit-schemas';
import { priceChangeWorkflowId } from '../common/price-change-schemas';
import { refundWorkflowId, type RefundRequest } from '../common/refund-schemas';
import { creditCase } from './helpers/credit-fixtures';
import { priceChangeRequest } from './helpers/price-fixtures';
import { refundRequest } from './helpers/refund-fixtures';
import { startTestServer, uniqueQueue } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const BIN = path.join(__dirname, '..', 'bin', 'arbiter.js');
const UI_URL = 'http://ui.example.test:8233';

let env: TestWorkflowEnvironment;
let dir: string;
const taskQueue = uniqueQueue('cli-start');

beforeAll(async () => {
  env = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'arbiter-cli-start-'));
});

afterAll(async () => {
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process; `stdin` is piped in when given. */
function arbiter(args: string[], stdin?: string): Promise<CliResult> {
  const child = spawn('node', [BIN, ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', ARBITER_TASK_QUEUE: taskQueue, TEMPORAL_UI_URL: UI_URL },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function inputFile(content: unknown): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

describe('arbiter start', () => {
  it('starts a refund workflow on the configured task queue and prints its ids and Web UI link', async () => {
    const request = refundRequest();
    const workflowId = refundWorkflowId(request.requestId);

    const { code, stdout, stderr } = await arbiter(['start', 'refund', '--input', inputFile(request)]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description).toMatchObject({ type: 'refund', taskQueue, status: { name: 'RUNNING' } });
    expect(stdout).toBe(
      `started refund workflow ${workflowId}, run ${description.runId}\n${UI_URL}/namespaces/default/workflows/${workflowId}\n`,
    );
  });

  it('starts a price change, with the Web UI summary and search attributes operators filter by', async () => {
    const request = priceChangeRequest('Spring promo on these lines', ['SKU-CLI']);
    const workflowId = priceChangeWorkflowId(request.requestId);

    const { code, stderr } = await arbiter(['start', 'price-change', '--input', inputFile(request)]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description).toMatchObject({ type: 'priceChange', taskQueue, status: { name: 'RUNNING' } });
    expect(description.typedSearchAttributes.get(ArbiterProcess)).toBe('price-change');
    expect(description.typedSearchAttributes.get(ArbiterTenant)).toBe('acme');
    expect(await description.staticSummary()).toBe(`reprice 1 SKU(s) (${request.skus[0]!.sku}) on web, marketplace`);
  });

  it('starts a credit-limit run, a process the CLI knows from the registry alone', async () => {
    const { request } = creditCase(30_000);
    const workflowId = creditLimitWorkflowId(request.requestId);

    const { code, stderr } = await arbiter(['start', 'credit-limit', '--input', inputFile(request)]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description).toMatchObject({ type: 'creditLimit', taskQueue, status: { name: 'RUNNING' } });
    expect(description.typedSearchAttributes.get(ArbiterProcess)).toBe('credit-limit');
    expect(await description.staticSummary()).toBe(`credit limit of 30000 EUR for customer ${request.customerId}`);
  });

  it('reports the existing run for a repeated requestId and starts no second run', async () => {
    const request = refundRequest();
    const workflowId = refundWorkflowId(request.requestId);
    const first = await arbiter(['start', 'refund', '--input', inputFile(request)]);
    const { runId } = await env.client.workflow.getHandle(workflowId).describe();

    const second = await arbiter(['start', 'refund', '--input', inputFile(request)]);

    expect(first.code).toBe(0);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toContain(`already started: refund workflow ${workflowId}, run ${runId} exists for this requestId; no new run`);
    expect((await env.client.workflow.getHandle(workflowId).describe()).runId).toBe(runId);
    const runs = await waitFor(async () => {
      const listed = [];
      for await (const run of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push(run.runId);
      return listed.length > 0 && listed;
    }, 'the run in visibility');
    expect(runs).toEqual([runId]);
  });

  it('reads the request from standard input with --input -', async () => {
    const request = refundRequest();

    const { code, stdout } = await arbiter(['start', 'refund', '--input', '-'], JSON.stringify(request));

    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^started refund workflow ${refundWorkflowId(request.requestId)}, run `));
    expect(await workflowExists(refundWorkflowId(request.requestId))).toBe(true);
  });

  it('refuses a request missing a field, naming it, and starts nothing', async () => {
    const withoutMessage: Partial<RefundRequest> = refundRequest();
    delete withoutMessage.message;

    const { code, stdout, stderr } = await arbiter(['start', 'refund', '--input', inputFile(withoutMessage)]);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^arbiter: invalid refund request: message: /);
    expect(await workflowExists(refundWorkflowId(withoutMessage.requestId!))).toBe(false);
  });

  it('refuses a field of the wrong type, naming it, and starts nothing', async () => {
    const request = refundRequest();
    const wrongType = { ...request, order: { ...request.order, amount: '40' } } as unknown as RefundRequest;

    const { code, stderr } = await arbiter(['start', 'refund', '--input', inputFile(wrongType)]);

    expect(code).toBe(1);
    expect(stderr).toMatch(/^arbiter: invalid refund request: order\.amount: .*expected number/);
    expect(await workflowExists(refundWorkflowId(request.requestId))).toBe(false);
  });

  it('refuses an unknown process and lists the known ones', async () => {
    const { code, stdout, stderr } = await arbiter(['start', 'chargeback', '--input', inputFile(refundRequest())]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^arbiter: unknown process "chargeback"; known processes: refund, price-change, credit-limit$/m);
  });
});
