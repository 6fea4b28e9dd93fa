// The worker process SIGKILLed in the middle of refund sagas and a new one started in its place:
// Temporal resumes each run from its history, and the systems' idempotency keys turn the calls
// the dead worker made but never reported into replays, so the ledger shows each effect once.
// Real parts throughout (dev server; stand-in systems, model server and workers/main.ts as processes), with a
// pass-through proxy in front of the stand-ins that makes the kill land at the same point in every run.
import { registerRequestOrder } from './helpers/payments-record';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ArbiterClient } from '../client';
import { readTemporalSettings } from '../runtime/config';
import { FLAKY_ORDER_PREFIX } from '../standins/idempotency';
import type { LedgerEntry } from '../standins/ledger';
import type { StandInState } from '../standins/schemas';
import { descendantsOf, isRunning, killAll, type ProcessRef } from './helpers/proc-tree';
import { refundRequest } from './helpers/refund-fixtures';
import { TEST_PAYLOAD_KEYS } from './helpers/payload-keys';
import { startTestServer, uniqueQueue } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const REPO_ROOT = path.resolve(__dirname, '..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
/** Small enough for the refund-small rule (auto, no approval); FLAKY- orders make every system call fail twice first. */
const AMOUNTS = [11, 17.5, 23, 29.9, 34, 42];

type StandInsView = Pick<StandInState, 'refunds' | 'messages'> & { ledger: LedgerEntry[] };

/** A child started through tsx, which runs the script in a node process of its own: a tree of two. */
interface Service {
  name: string;
  child: ChildProcess;
  output: () => string;
}

/**
 * A pass-through proxy between the worker and the stand-ins. While `holding`, it withholds the
 * answer to every refund the payments system issued: the refund exists, and the worker does not
 * know. A SIGKILL then lands in exactly the window where a retry could pay out twice.
 */
interface Gate {
  url: string;
  holding: boolean;
  /** Orders whose issued refund the worker never heard of. */
  withheld: Set<string>;
  /** Orders whose refund call the stand-ins answered by replaying its stored answer, once the gate opened. */
  replayedRefunds: string[];
  server: http.Server;
}

let env: TestWorkflowEnvironment;
let dataDir: string;
let standInsUrl: string;
let gate: Gate;
let modelUrl: string;
const services: Service[] = [];
/** Every process each service tree had, so afterAll stops them even after their launcher died. */
const seen = new Map<number, ProcessRef>();

/** Without the developer's TEMPORAL_*, ARBITER_* and OPENAI_* settings, so only this test's choices reach the children. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(TEMPORAL_|ARBITER_|OPENAI_)/.test(key)));
}

function startService(name: string, script: string, extraEnv: NodeJS.ProcessEnv): Service {
  const child = spawn(TSX, [path.join(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: { ...cleanEnv(), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a SIGKILL reaches tsx's node child too.
    detached: true,
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const service = { name, child, output: () => output };
  services.push(service);
  return service;
}

function treeOf({ child }: Service): ProcessRef[] {
  const refs = [...descendantsOf(process.pid).filter((ref) => ref.pid === child.pid), ...(child.pid ? descendantsOf(child.pid) : [])];
  for (const ref of refs) seen.set(ref.pid, ref);
  return refs;
}

/** The service's pino log lines, parsed; a line still being written is skipped. */
function logLines(service: Service): Record<string, unknown>[] {
  return service
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        return line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

/** Waits until the service logs what `find` looks for; fails at once if the service exits. */
async function awaitLog<T>(service: Service, what: string, find: (line: Record<string, unknown>) => T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const line of logLines(service)) {
      const found = find(line);
      if (found !== undefined) return found;
    }
    if (service.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${service.name} did not log ${what} (exit code ${service.child.exitCode}); its output:\n${service.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const boundUrl = (field: string) => (line: Record<string, unknown>) => (typeof line[field] === 'string' ? line[field] : undefined);

async function startGate(): Promise<Gate> {
  const server = http.createServer((req, res) => void forward(req, res));
  const gate: Gate = { url: '', holding: true, withheld: new Set(), replayedRefunds: [], server };
  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.entries(req.headers).filter(([name]) => ['content-type', 'idempotency-key'].includes(name));
    const upstream = await fetch(`${standInsUrl}${req.url}`, {
      method: req.method,
      headers: headers as [string, string][],
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    }).catch(() => undefined);
    if (!upstream) return void res.writeHead(502).end();
    const body = await upstream.text();
    const replayed = upstream.headers.get('idempotent-replayed') === 'true';
    if (req.method === 'POST' && req.url === '/payments/refunds' && upstream.ok) {
      const { orderId } = JSON.parse(body) as { orderId: string };
      if (gate.holding) return void gate.withheld.add(orderId);
      if (replayed) gate.replayedRefunds.push(orderId);
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json', 'idempotent-replayed': String(replayed) }).end(body);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gate;
}

function startWorker(taskQueue: string): Service {
  return startService('worker', 'workers/main.ts', {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    ARBITER_TASK_QUEUE: taskQueue,
    ARBITER_SANDBOX_URL: gate.url,
    ARBITER_MODEL_URL: modelUrl,
    ARBITER_DATA_DIR: dataDir,
    ARBITER_AUDIT_FILE: path.join(dataDir, 'audit.jsonl'),
    ARBITER_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
  });
}

async function waitUntilPolling(worker: Service): Promise<void> {
  await awaitLog(worker, 'that it polls', (line) => (line.msg === 'arbiter workers polling' ? true : undefined));
}

async function standInsState(): Promise<StandInsView> {
  const response = await fetch(`${standInsUrl}/state`);
  return (await response.json()) as StandInsView;
}

/** The promise's value, or after `ms` an error saying what `explain` finds. */
async function withDeadline<T>(promise: Promise<T>, ms: number, explain: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), ms)));
  try {
    const value = await Promise.race([promise, expired]);
    if (value === 'expired') throw new Error(await explain());
    return value;
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'arbiter-worker-crash-'));
  const standIns = startService('standins', 'standins/main.ts', {
    ARBITER_SANDBOX_PORT: '0',
    ARBITER_SANDBOX_STATE: path.join(dataDir, 'standins.json'),
  });
  const models = startService('models', 'model-server/main.ts', { ARBITER_MODEL_PORT: '0' });
  [env, standInsUrl, modelUrl] = await Promise.all([
    startTestServer(),
    awaitLog(standIns, 'its URL', boundUrl('url')),
    awaitLog(models, 'its URL', boundUrl('baseUrl')),
  ]);
  gate = await startGate();
}, 90_000);

afterAll(async () => {
  for (const service of services) treeOf(service);
  killAll(seen.values());
  gate?.server.closeAllConnections();
  gate?.server.close();
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the worker killed (SIGKILL) in the middle of the saga, restarted, and the ledger shows each effect exactly once', async () => {
  const taskQueue = uniqueQueue('worker-crash');
  const client = new ArbiterClient(env.client, readTemporalSettings({ TEMPORAL_ADDRESS: env.address, ARBITER_TASK_QUEUE: taskQueue }));
  const requests = AMOUNTS.map((amount) => {
    const request = refundRequest();
    return { ...request, order: { ...request.order, id: `${FLAKY_ORDER_PREFIX}${request.order.id}`, amount } };
  });
  const orderIds = requests.map((r) => r.order.id);
  await Promise.all(requests.map((request) => registerRequestOrder(standInsUrl, request)));
  const runs = await Promise.all(requests.map((request) => client.startRefund(request)));
  const firstWorker = startWorker(taskQueue);
  await waitUntilPolling(firstWorker);

  // Every run stops with its refund issued in the payments system and the answer withheld.
  await waitFor(async () => orderIds.every((id) => gate.withheld.has(id)), 'every run to have its refund issued', 30_000).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; the worker's output ends:\n${firstWorker.output().slice(-4000)}`);
  });
  const stepsAtKill = await Promise.all(
    runs.map(async (run) => (await client.stepLog(run.workflowId)).filter((e) => e.kind === 'action' && e.status === 'completed').map((e) => e.step)),
  );
  const doomed = treeOf(firstWorker);
  killAll(doomed);
  await waitFor(async () => !doomed.some(isRunning), 'the killed worker to be gone', 5_000);
  gate.holding = false;

  const killedAt = Date.now();
  await waitUntilPolling(startWorker(taskQueue));
  const results = await withDeadline(Promise.all(runs.map((run) => client.refundResult(run.workflowId))), 50_000, async () => {
    // A run that cannot finish (a compensation stuck on a refused undo, say) waits for an operator: say where each stands.
    const stands = await Promise.all(
      runs.map(async (run) => `${run.workflowId}: ${(await client.stepLog(run.workflowId)).map((e) => `${e.step} ${e.kind} ${e.status}`).join(', ')}`),
    );
    return `the runs did not all finish after the restart; their step logs:\n${stands.join('\n')}`;
  });
  const recoveryMs = Date.now() - killedAt;
  const final = await standInsState();

  const tally = stepsAtKill.reduce<Record<string, number>>((counts, steps) => {
    const last = steps.at(-1) ?? 'none';
    return { ...counts, [last]: (counts[last] ?? 0) + 1 };
  }, {});
  console.log(
    `worker-crash: ${runs.length} runs killed with issue-refund done in the payments system but unreported; last step the workflow saw complete: ` +
      `${JSON.stringify(tally)}; all completed ${recoveryMs} ms after the kill (new worker start and activity timeout included); ` +
      `refund calls replayed by idempotency key afterwards: ${gate.replayedRefunds.length}`,
  );

  // The workflows had not yet seen the refund the payments system had already made.
  expect(stepsAtKill).toEqual(runs.map(() => ['reserve-funds']));
  expect(results.map((r) => r.outcome)).toEqual(runs.map(() => 'completed'));
  // The retried refund call of each run was answered from the stand-ins' idempotency record.
  expect([...gate.replayedRefunds].sort()).toEqual([...orderIds].sort());
  for (const [index, orderId] of orderIds.entries()) {
    expect(final.ledger.find((entry) => entry.orderId === orderId)).toEqual({
      orderId,
      reserved: 0,
      refunded: AMOUNTS[index],
      netRefunded: AMOUNTS[index],
      reservationsMade: 1,
      reservationsReleased: 0,
      refundsIssued: 1,
      refundsReversed: 0,
      crmUpdates: 1,
      crmRestores: 0,
      messagesSent: 1,
    });
    // The run and the systems agree on which refund and which message are the one.
    expect(results[index]).toMatchObject({
      refundId: final.refunds.find((r) => r.orderId === orderId)?.refundId,
      messageId: final.messages.find((m) => m.orderId === orderId)?.messageId,
    });
  }
}, 90_000);
