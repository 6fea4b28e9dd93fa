// Outside `npm start`, a worker or an endpoint without payload keys refuses to start rather than
// write or read plain payloads; a malformed key list is named without echoing the key.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArbiterClient } from '../client';
import { readTemporalSettings } from '../runtime/config';
import { PayloadKeyConfigError } from '../runtime/payload-keys';
import { REPO_ROOT } from '../runtime/temporal-cli';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
let dataDir: string;

beforeAll(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'arbiter-no-keys-'))));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs an entry point with only the given Arbiter settings (no local key file in its data folder). */
function run(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(TEMPORAL_|ARBITER_|OPENAI_)/.test(key)));
  // Nothing listens there: a process that got past its key check would fail later, and differently.
  const child = spawn(TSX, [path.join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env: { ...clean, TEMPORAL_ADDRESS: '127.0.0.1:1', ARBITER_DATA_DIR: dataDir, ...env } });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

it('the worker refuses to start without ARBITER_PAYLOAD_KEYS, and says which variable to set', async () => {
  const { code, output } = await run('workers/main.ts', {});
  expect(code).toBe(1);
  expect(output).toContain('set ARBITER_PAYLOAD_KEYS');
}, 30_000);

it('the worker refuses a malformed key list, naming the entry and not the key', async () => {
  const { code, output } = await run('workers/main.ts', { ARBITER_PAYLOAD_KEYS: 'k1:c2VjcmV0LXRleHQ=' });
  expect(code).toBe(1);
  expect(output).toContain('ARBITER_PAYLOAD_KEYS entry 1: the key of "k1" is 11 bytes');
  expect(output).not.toContain('c2VjcmV0LXRleHQ=');
}, 30_000);

it('the approvals endpoint refuses to start without ARBITER_PAYLOAD_KEYS', async () => {
  const { code, output } = await run('server/main.ts', { ARBITER_JWT_SECRET: 'a-test-secret-that-is-long-enough-0123456789' });
  expect(code).toBe(1);
  expect(output).toContain('refusing to start');
  expect(output).toContain('ARBITER_PAYLOAD_KEYS');
}, 30_000);

it('the CLI says to set ARBITER_PAYLOAD_KEYS, not that Temporal is down', async () => {
  const { code, output } = await run('bin/arbiter.js', {}, ['status', 'refund-r-1']);
  expect(output).toContain('set ARBITER_PAYLOAD_KEYS');
  expect(output).not.toContain('cannot reach Temporal');
  expect(code).not.toBe(0);
}, 30_000);

it('the typed client refuses malformed payloadKeys before it connects, naming the option', async () => {
  const settings = readTemporalSettings({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
  const refused = await ArbiterClient.connect(settings, { payloadKeys: 'k1' }).catch((err: unknown) => err as Error);
  expect(refused).toBeInstanceOf(PayloadKeyConfigError);
  expect((refused as Error).message).toContain('payloadKeys entry 1');
});
