// Launching a Temporal dev server from the repo's CLI, for `npm start` (scripts/platform.ts) and
// the bench (bench/dev-server.ts): the `temporal server start-dev` arguments with Arbiter's search
// attributes, a free port, the wait until it answers, and stopping its process group.
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { ARBITER_SEARCH_ATTRIBUTES } from '../common/constants';

/**
 * Dynamic config of every dev server Arbiter starts: `npm start`, the demo, the tests and the bench.
 * deploy/dynamicconfig/arbiter.yaml sets the same for the compose stack; test/dev-server-config.test.ts
 * keeps the two in step.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean>> = {
  // The dev server has one history shard, and its transfer-queue reader takes a token before every
  // read: 20 a second by default, burst 20. Every workflow and activity task needs a read of its own,
  // so past a couple of runs each task waited for the next token (about 40 ms between an activity's
  // scheduling and its start). Measured with `npm run bench -- --only single,saga --dynamic-config
  // history.transferProcessorMaxPollRPS=N` on 2 cores: see docs/performance.md for the sweep and the value chosen.
  'history.transferProcessorMaxPollRPS': 1000,
  // An activity on the workflow's own task queue can be handed to the worker in the reply to the
  // workflow task that scheduled it, skipping the queue (Arbiter's saga steps; see
  // workflows/activity-options.ts for which groups run that way, and why).
  'system.enableActivityEagerExecution': true,
};

/** `--dynamic-config-value` arguments for `values` (the CLI parses each value as JSON). */
export function dynamicConfigArgs(values: Readonly<Record<string, number | boolean | string>> = DEV_SERVER_DYNAMIC_CONFIG): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

/** The CLI's names for search attribute types, keyed by the SDK's. */
const CLI_TYPE: Record<string, string> = { KEYWORD: 'Keyword', BOOL: 'Bool', DOUBLE: 'Double', TEXT: 'Text', INT: 'Int' };
const POLL_EVERY_MS = 250;

export interface DevServerLaunch {
  host: string;
  port: number;
  /** The Web UI's port, or `headless` for no UI. */
  ui: number | 'headless';
  logLevel: 'error' | 'warn';
  /** Where history is kept (`--db-filename`, `--sqlite-pragma`); none keeps it in memory. */
  persistenceArgs: readonly string[];
  /** Defaults to DEV_SERVER_DYNAMIC_CONFIG; the bench overrides values to compare them. */
  dynamicConfig?: Readonly<Record<string, number | boolean | string>>;
  /** Where the Web UI decodes payloads (the endpoint's /codec routes), so operators read them there. */
  codecEndpoint?: string;
}

/** The arguments of `temporal server start-dev`; the search attributes exist from the first start. */
export function startDevArgs(launch: DevServerLaunch): string[] {
  return [
    'server', 'start-dev',
    ...launch.persistenceArgs,
    '--ip', launch.host,
    '--port', String(launch.port),
    ...(launch.ui === 'headless' ? ['--headless'] : ['--ui-port', String(launch.ui)]),
    ...(launch.ui !== 'headless' && launch.codecEndpoint ? ['--ui-codec-endpoint', launch.codecEndpoint] : []),
    '--log-level', launch.logLevel,
    ...dynamicConfigArgs(launch.dynamicConfig),
    ...ARBITER_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE[key.type]}`]),
  ];
}

/** A port nothing listens on right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on `port` right now (a listen there succeeds). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Whether a Temporal server answers there; any failure is a no, so it can be polled. */
export async function temporalAnswers(options: ConnectionOptions): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export interface AnswerWait {
  /** What is awaited, as the errors name it. */
  what: string;
  timeoutMs: number;
  /** The process expected to answer: once it exits, waiting on is pointless. */
  child?: ChildProcess;
  /** Where its output went, or the output itself, for the error when it exits. */
  outputHint?: () => string;
}

/** Polls `probe` until it answers; fails as soon as the child exits (a bad flag, a taken port), with its own words. */
export async function waitUntilAnswering(probe: () => Promise<boolean>, wait: AnswerWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  while (!(await probe())) {
    if (wait.child && hasExited(wait.child)) {
      throw new Error(`${wait.what} exited (${howItEnded(wait.child)}) before it answered; its output says why: ${wait.outputHint?.() ?? '(not kept)'}`);
    }
    if (Date.now() > deadline) throw new Error(`${wait.what} did not answer within ${wait.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
}

/**
 * Stops a child spawned with `detached: true`: SIGTERM to the child itself, which hands it on to
 * what it launched, then after `graceMs` SIGKILL to its whole process group, since a launcher
 * killed hard would leave its children behind.
 */
export async function stopProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Signals the child's process group (a detached child leads its own); synchronous, so an exit hook can use it. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // Once the leader has exited and been reaped, its id may name some other process group.
  if (hasExited(child)) return;
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Exited, or never started: a binary that cannot be spawned has no pid and never emits 'exit'. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

function howItEnded(child: ChildProcess): string {
  if (child.exitCode !== null) return `code ${child.exitCode}`;
  if (child.signalCode !== null) return `signal ${child.signalCode}`;
  return 'never started';
}
