// Temporal's own server on PostgreSQL for the cluster measurement, brought up with `npm run
// cluster`'s pieces (scripts/cluster/temporal.ts: deploy/setup-schema.sh, deploy/temporal-server.yaml
// and its dynamic config, deploy/register-search-attributes.sh), in two fresh databases of the
// bench's own (`arbiter_bench_<pid>_<tag>_*`), never a user's cluster data. The server is stopped
// and its databases dropped when the batch ends, and when the bench ends however it ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { killGroup, stopProcessGroup, temporalAnswers, waitUntilAnswering } from '../runtime/dev-server';
import { findTemporalCli, REPO_ROOT } from '../runtime/temporal-cli';
import { findTemporalServer } from '../runtime/temporal-server';
import { freeLowPorts, registerSearchAttributes, serverArgs, serverEnv, setUpSchemas, SERVER_PORT_VARIABLES, type ServerPorts, type TemporalStore } from '../scripts/cluster/temporal';
import { testDataConverter } from '../test/helpers/payload-keys';
import type { BenchServer } from './harness';

/** The PostgreSQL server the bench makes its databases on: `npm run cluster`'s variable and default. */
export const DATABASE_SERVER_URL = process.env.ARBITER_CLUSTER_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432';
/** Every database the bench makes starts with this; docs/performance.md says how to drop leftovers. */
export const BENCH_DATABASE_PREFIX = 'arbiter_bench_';

const NAMESPACE = 'default';
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;

export interface PostgresServer extends BenchServer {
  /** The bench's two databases, whose backends' CPU is the server's PostgreSQL CPU. */
  databases: string[];
  /** A connection to the `postgres` database, for pg_stat_activity. */
  admin: PgClient;
}

/** Each server not yet stopped, from before its databases exist, so the exit hook can end both. */
const running = new Set<{ databases: string[]; child?: ChildProcess; stop: () => Promise<void> }>();

// Synchronous, so it also runs on an uncaught error or process.exit(): the server is killed and its
// databases dropped by a short node process of its own (the pg client is asynchronous).
process.on('exit', () => {
  for (const { child, databases } of running) {
    if (child) killGroup(child, 'SIGKILL');
    dropDatabasesSync(databases);
  }
});

/** The PostgreSQL URL with `database` as its path. */
function databaseUrl(database: string): string {
  const url = new URL(DATABASE_SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * The PostgreSQL server's version, how durable its commits are, and the bench's databases left by a
 * bench that was killed hard (SIGKILL), to name them. Another bench's are left alone: it may be running.
 */
export async function describeDatabaseServer(): Promise<{ version: string; durability: string; leftovers: string[] }> {
  const admin = new PgClient({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    const setting = async (name: string) => (await admin.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? 'unknown';
    const version = await setting('server_version');
    const durability = `fsync=${await setting('fsync')} synchronous_commit=${await setting('synchronous_commit')}`;
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname', [BENCH_DATABASE_PREFIX]);
    return { version, durability, leftovers: rows.map((row) => row.datname) };
  } finally {
    await admin.end();
  }
}

/** The `temporal-server` binary's version: the last word of its first line, as scripts/temporal-server.sh reads it. */
export function temporalServerVersion(): string {
  const { server } = findTemporalServer();
  const result = spawnSync(server, ['--version'], { encoding: 'utf8' });
  return (result.stdout || result.stderr).split('\n')[0]?.trim().split(/\s+/).at(-1) || 'unknown';
}

export async function startTemporalOnPostgres(): Promise<PostgresServer> {
  const { server, sqlTool } = findTemporalServer();
  const tag = `${BENCH_DATABASE_PREFIX}${process.pid}_${randomBytes(3).toString('hex')}`;
  const store: TemporalStore = { serverUrl: DATABASE_SERVER_URL, temporalDb: `${tag}_temporal`, visibilityDb: `${tag}_visibility` };
  const databases = [store.temporalDb, store.visibilityDb];
  const ports = await freeLowPorts(SERVER_PORT_VARIABLES.length);
  const serverPorts: ServerPorts = Object.fromEntries(SERVER_PORT_VARIABLES.map((variable, i) => [variable, ports[i]!]));
  const address = `127.0.0.1:${serverPorts.FRONTEND_GRPC_PORT}`;
  const output: string[] = [];
  const admin = new PgClient({ connectionString: databaseUrl('postgres') });

  // Once, whoever asks first: the batch's end, a signal handler, or a failed start.
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (entry.child) await stopProcessGroup(entry.child, STOP_GRACE_MS);
      await dropDatabases(admin, databases).finally(() => admin.end().catch(() => undefined));
      running.delete(entry);
    })());
  const entry: { databases: string[]; child?: ChildProcess; stop: () => Promise<void> } = { databases, stop };
  running.add(entry);

  try {
    await admin.connect();
    await setUpSchemas(store, sqlTool);
    // In the repo root, where the config's relative dynamic config path holds (scripts/cluster/temporal.ts).
    const child = spawn(server, serverArgs(), { cwd: REPO_ROOT, env: { ...process.env, ...serverEnv(store, serverPorts), TEMPORAL_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    entry.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        output.push(chunk);
        if (output.length > 50) output.shift();
      });
    }
    child.once('error', (err) => output.push(String(err)));
    await waitUntilAnswering(() => temporalAnswers({ address }), {
      what: `temporal-server on ${address} (databases ${databases.join(', ')})`,
      timeoutMs: START_TIMEOUT_MS,
      child,
      outputHint: () => output.join('').slice(-2000),
    });
    await registerSearchAttributes(address, NAMESPACE, findTemporalCli());
    const env = await TestWorkflowEnvironment.createFromExistingServer({ address, namespace: NAMESPACE, client: { dataConverter: testDataConverter() } });
    return {
      address,
      pid: child.pid,
      env,
      databases,
      admin,
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

/** FORCE ends the connections a stopped or killed server may have left. */
async function dropDatabases(admin: PgClient, databases: string[]): Promise<void> {
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

function dropDatabasesSync(databases: string[]): void {
  const script = `const { Client } = require('pg');
const admin = new Client({ connectionString: process.env.ARBITER_BENCH_DATABASE_URL });
admin.connect().then(async () => { for (const name of process.argv.slice(1)) await admin.query('DROP DATABASE IF EXISTS "' + name + '" WITH (FORCE)'); }).finally(() => admin.end());`;
  // The URL in the environment, not argv, where a password would show in `ps`.
  const env = { ...process.env, ARBITER_BENCH_DATABASE_URL: databaseUrl('postgres') };
  spawnSync(process.execPath, ['-e', script, ...databases], { cwd: REPO_ROOT, env, stdio: 'ignore', timeout: 30_000 });
}

/** Stops every server still running and drops its databases, for the signal handlers. */
export async function stopAllPostgresServers(): Promise<void> {
  await Promise.all([...running].map(({ stop }) => stop()));
}
