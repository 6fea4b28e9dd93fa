// A Temporal dev server for the bench, started from the repo's CLI on free ports with Arbiter's
// search attributes, in one of three persistence modes. Every server started is killed when the
// bench process exits, however it exits, so no run leaves a server or a port behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEV_SERVER_DYNAMIC_CONFIG, dynamicConfigArgs, freePort, killGroup, startDevArgs, stopProcessGroup, temporalAnswers, waitUntilAnswering } from '../runtime/dev-server';
import { findTemporalCli } from '../runtime/temporal-cli';
import { testDataConverter } from '../test/helpers/payload-keys';
import type { BenchServer } from './harness';
import type { BenchOptions, Persistence } from './options';

/** What a bench dev server is started with: its persistence, and dynamic config over Arbiter's defaults. */
export type ServerSettings = Pick<BenchOptions, 'persistence' | 'dynamicConfig'>;

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface DevServer extends BenchServer {
  persistence: Persistence;
  /** The CLI arguments that chose the persistence, as the results file reports them. */
  persistenceArgs: string[];
}

/** Each server still running, with its data folder and how to stop it in order. */
const running = new Map<ChildProcess, { dataDir: string; stop: () => Promise<void> }>();

// Synchronous, so it also runs on an uncaught error or process.exit(): a server must never outlive the bench.
process.on('exit', () => {
  for (const [child, { dataDir }] of running) {
    killGroup(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

export function persistenceArgs(persistence: Persistence, dbFile: string): string[] {
  switch (persistence) {
    case 'memory':
      return [];
    case 'file':
      return ['--db-filename', dbFile];
    case 'wal':
      return ['--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];
  }
}

/** The dynamic config a bench server runs with: Arbiter's defaults, with the bench's overrides. */
export function benchDynamicConfig(settings: ServerSettings): Record<string, number | boolean | string> {
  return { ...DEV_SERVER_DYNAMIC_CONFIG, ...settings.dynamicConfig };
}

/** How the results file names a server's data file, which lives in a temp folder of its own. */
const REPORTED_DB_FILE = '<tmp>/temporal.sqlite';

/** Every flag that sets how a bench server behaves, as the results file records them. */
export function serverFlags(settings: ServerSettings): string[] {
  return [...persistenceArgs(settings.persistence, REPORTED_DB_FILE), ...dynamicConfigArgs(benchDynamicConfig(settings))];
}

export async function startDevServer(settings: ServerSettings): Promise<DevServer> {
  const { persistence } = settings;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'arbiter-bench-temporal-'));
  const modeArgs = persistenceArgs(persistence, path.join(dataDir, 'temporal.sqlite'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  // The HTTP API and metrics ports default to random free ones; the UI is not needed.
  const args = startDevArgs({ host: '127.0.0.1', port, ui: 'headless', logLevel: 'error', persistenceArgs: modeArgs, dynamicConfig: benchDynamicConfig(settings) });
  const output: string[] = [];
  // Its own process group: Ctrl-C reaches the bench, which stops the server in order.
  const child = spawn(findTemporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => output.push(chunk));
  }
  // A binary that cannot be started never exits; its error is what the wait reports.
  child.once('error', (err) => output.push(String(err)));

  const stop = async () => {
    await stopProcessGroup(child, STOP_GRACE_MS);
    running.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  running.set(child, { dataDir, stop });

  try {
    // A server that exits at once (a bad flag, a taken port) ends the wait with its own words.
    await waitUntilAnswering(() => temporalAnswers({ address }), {
      what: `the Temporal dev server on ${address}`,
      timeoutMs: START_TIMEOUT_MS,
      child,
      outputHint: () => output.join('').slice(-2000),
    });
    // The bench's workers are the tests' (test/helpers/workers.ts): payloads encrypted with the test
    // key, so both sagas pay for encryption as production does.
    const env = await TestWorkflowEnvironment.createFromExistingServer({ address, client: { dataConverter: testDataConverter() } });
    return {
      persistence,
      address,
      persistenceArgs: persistenceArgs(persistence, REPORTED_DB_FILE),
      pid: child.pid,
      env,
      stop: async () => {
        await env.teardown().catch(() => undefined);
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts a server, hands it to `fn`, and stops it whatever `fn` does. */
export async function withDevServer<T>(settings: ServerSettings, fn: (server: DevServer) => Promise<T>): Promise<T> {
  const server = await startDevServer(settings);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** Stops every server still running, for the signal handlers. */
export async function stopAllDevServers(): Promise<void> {
  await Promise.all([...running.values()].map(({ stop }) => stop()));
}
