// `npm start` end to end on free ports: it brings up the Temporal dev server (with Arbiter's
// search attributes), the Web UI, the stand-in systems and the worker, and Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { ARBITER_SEARCH_ATTRIBUTES } from '../common/constants';
import { descendantsOf, isRunning, killAll, type ProcessRef } from './helpers/proc-tree';

const REPO_ROOT = resolve(__dirname, '..');
const UP_LINE = 'up; Ctrl-C stops everything started here';

/** Ports nothing listens on right now: all held at once so they differ, then released. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

/** Resolves true when something accepts a TCP connection on the port, false when refused. */
function portAccepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

let dataDir: string;
let temporalPort: number;
let uiPort: number;
let standInsPort: number;
let approvalsPort: number;
let modelPort: number;
let start: ChildProcess;
let output = '';
/** Every process of the tree seen so far, so afterAll can stop leftovers even after the launcher died. */
const seen = new Map<number, ProcessRef>();

function recordTree(): void {
  if (start.pid === undefined) return;
  for (const ref of descendantsOf(start.pid)) seen.set(ref.pid, ref);
}

function waitForOutput(text: string, timeoutMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setInterval(() => {
      recordTree();
      if (output.includes(text)) finish(done);
    }, 250);
    const deadline = setTimeout(() => finish(() => fail(new Error(`no "${text}" within ${timeoutMs / 1000} s; output:\n${output}`))), timeoutMs);
    const onExit = (code: number | null) => finish(() => fail(new Error(`npm start exited (code ${code}) before "${text}"; output:\n${output}`)));
    start.once('exit', onExit);
    function finish(settle: () => void): void {
      clearInterval(timer);
      clearTimeout(deadline);
      start.off('exit', onExit);
      settle();
    }
  });
}

function waitForExit(timeoutMs: number): Promise<number | null> {
  if (start.exitCode !== null || start.signalCode !== null) return Promise.resolve(start.exitCode);
  return new Promise((done, fail) => {
    const deadline = setTimeout(() => fail(new Error(`npm start still running ${timeoutMs / 1000} s after SIGINT; output:\n${output}`)), timeoutMs);
    start.once('exit', (code) => {
      clearTimeout(deadline);
      done(code);
    });
  });
}

async function withConnection<T>(use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'arbiter-start-'));
  [temporalPort, uiPort, standInsPort, approvalsPort, modelPort] = (await freePorts(5)) as [number, number, number, number, number];
  start = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'scripts', 'start.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      ARBITER_SANDBOX_PORT: String(standInsPort),
      ARBITER_PORT: String(approvalsPort),
      ARBITER_MODEL_PORT: String(modelPort),
      ARBITER_MODEL_URL: '',
      ARBITER_STANDIN_URL: '',
      // No model key either: the stand-in serves, and npm start says why.
      OPENAI_API_KEY: '',
      ARBITER_DATA_DIR: dataDir,
      // No configured secret: npm start generates a local one and says so.
      ARBITER_JWT_SECRET: '',
      ARBITER_JWKS_URL: '',
      // No payload keys either: npm start generates a local one for every process it starts.
      ARBITER_PAYLOAD_KEYS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  for (const stream of [start.stdout, start.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => (output += chunk));
  }
  await waitForOutput(UP_LINE, 120_000);
  recordTree();
}, 180_000);

afterAll(async () => {
  // A failed test may have left the launcher or its detached children running: stop them all.
  if (start.exitCode === null && start.signalCode === null) recordTree();
  start.kill('SIGKILL');
  killAll(seen.values());
  await waitForExit(10_000).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

test('starts a Temporal server that answers gRPC at TEMPORAL_ADDRESS', async () => {
  const info = await withConnection((connection) => connection.workflowService.getSystemInfo({}));
  expect(info.capabilities).toBeDefined();
});

test("registers Arbiter's six search attributes in the default namespace", async () => {
  const { customAttributes } = await withConnection((connection) =>
    connection.operatorService.listSearchAttributes({ namespace: 'default' }),
  );
  const names = ARBITER_SEARCH_ATTRIBUTES.map((key) => key.name);
  expect(names).toEqual([
    'ArbiterProcess',
    'ArbiterStage',
    'ArbiterTenant',
    'ArbiterApprovalPending',
    'ArbiterRiskTier',
    'ArbiterCostUsd',
  ]);
  expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(names));
});

test('serves the Temporal Web UI at TEMPORAL_UI_URL', async () => {
  const response = await fetch(`http://127.0.0.1:${uiPort}/`);
  expect(response.status).toBe(200);
});

test('starts the stand-in systems on ARBITER_SANDBOX_PORT', async () => {
  const response = await fetch(`http://127.0.0.1:${standInsPort}/healthz`);
  expect(response.status).toBe(200);
});

test('starts the approvals endpoint with a generated local secret, and says so', async () => {
  const response = await fetch(`http://127.0.0.1:${approvalsPort}/healthz`);
  expect(response.status).toBe(200);
  expect(output).toMatch(/generated local secret/);
  expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o077).toBe(0);
});

test('starts the stand-in model server, which says what it is', async () => {
  const response = await fetch(`http://127.0.0.1:${modelPort}/v1/models`);
  expect(response.status).toBe(200);
  expect(output).toMatch(/stand-in model server \(rule-based, not a language model\) serves on .*, because no model provider's key is set \(OPENAI_API_KEY\)/);
});

test('has the worker log which model providers serve: the stand-in alone, without a key', async () => {
  await waitForOutput('"msg":"model providers"', 30_000);
  const line = output.split('\n').find((l) => l.includes('"msg":"model providers"'))!;
  expect(line).toContain('"standin":"serves"');
  expect(line).toContain('"openai":"provider not configured (OPENAI_API_KEY unset)"');
});

test('encrypts payloads with a local key it generated in ARBITER_DATA_DIR, readable by its owner only', () => {
  const file = join(dataDir, 'payload-keys');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readFileSync(file, 'utf8')).toMatch(/^local-1:[A-Za-z0-9+/]{43}=\n$/);
  expect(output).toContain('Payloads: no ARBITER_PAYLOAD_KEYS set');
});

test("points the Web UI's codec at the approvals endpoint, so operators read payloads there", async () => {
  const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
  expect(settings.Codec?.Endpoint).toBe(`http://127.0.0.1:${approvalsPort}/codec`);
});

test('keeps the dev server database in ARBITER_DATA_DIR', () => {
  expect(existsSync(join(dataDir, 'temporal.sqlite'))).toBe(true);
});

test('exits with code 0 on SIGINT', async () => {
  recordTree();
  start.kill('SIGINT');
  expect(await waitForExit(60_000)).toBe(0);
}, 90_000);

test('leaves nothing listening on the Temporal, Web UI, stand-ins and approvals ports after SIGINT', async () => {
  expect(start.exitCode).toBe(0);
  expect({
    temporal: await portAccepts(temporalPort),
    webUi: await portAccepts(uiPort),
    standIns: await portAccepts(standInsPort),
    approvals: await portAccepts(approvalsPort),
    models: await portAccepts(modelPort),
  }).toEqual({ temporal: false, webUi: false, standIns: false, approvals: false, models: false });
});

test('leaves none of the processes it started running after SIGINT', () => {
  expect(start.exitCode).toBe(0);
  expect(seen.size).toBeGreaterThan(0);
  expect([...seen.values()].filter(isRunning).map((ref) => ref.pid)).toEqual([]);
});
