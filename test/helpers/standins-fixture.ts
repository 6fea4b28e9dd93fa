// The stand-in server as tests use it: started on a free port against a temp state file, spoken to
// over real HTTP, and restartable on the same file to test what survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../runtime/logger';
import { createStandInServer, type StandInServer } from '../../standins/server';

/** A stand-in server on a free port; its logger is silent because tests assert on answers, not logs. */
export async function startStandInServer(statePath: string, loggerName: string): Promise<{ server: StandInServer; url: string }> {
  const server = createStandInServer({ statePath, logger: createLogger(loggerName, { level: 'silent' }) });
  const port = await server.listen(0);
  return { server, url: `http://127.0.0.1:${port}` };
}

export interface Answer {
  status: number;
  // Loose on purpose: each test asserts the fields it cares about.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

export interface CallInit {
  body?: unknown;
  key?: string;
  /** Sent as it is instead of `body`, for requests that are not valid JSON. */
  raw?: string;
}

export interface StandInsFixtureOptions {
  /** Names the temp folder and the logger, so a leftover folder says which test file made it. */
  name: string;
  /** The state file's path inside the temp folder; a nested one tests that missing folders get made. */
  stateFile?: string;
}

export interface StandInsFixture {
  readonly baseUrl: string;
  readonly stateDir: string;
  readonly statePath: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and starts a new one on the same state file. */
  restart(): Promise<void>;
  call(method: string, path: string, init?: CallInit): Promise<Answer>;
  post(path: string, body: unknown, key?: string): Promise<Answer>;
}

/**
 * Fresh stand-ins on a fresh state file for every test: registers beforeEach/afterEach where it is
 * called, so no test sees another's records or idempotency keys.
 */
export function useStandInsFixture(options: StandInsFixtureOptions): StandInsFixture {
  let stateDir: string;
  let statePath: string;
  let standIns: StandInServer;
  let baseUrl: string;

  async function start(): Promise<void> {
    ({ server: standIns, url: baseUrl } = await startStandInServer(statePath, `${options.name}-test`));
  }

  async function stop(): Promise<void> {
    await standIns.close();
  }

  async function restart(): Promise<void> {
    await stop();
    await start();
  }

  async function call(method: string, path: string, init: CallInit = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.key) headers['idempotency-key'] = init.key;
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    return { status: response.status, body: await response.json(), headers: response.headers };
  }

  const post = (path: string, body: unknown, key?: string) => call('POST', path, { body, key });

  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), `arbiter-${options.name}-`));
    statePath = join(stateDir, options.stateFile ?? 'standins.json');
    await start();
  });

  afterEach(async () => {
    await stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  return {
    get baseUrl() {
      return baseUrl;
    },
    get stateDir() {
      return stateDir;
    },
    get statePath() {
      return statePath;
    },
    start,
    stop,
    restart,
    call,
    post,
  };
}
