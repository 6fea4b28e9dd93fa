// Brings Arbiter's local platform up, piece by piece, reusing what already runs: the Temporal
// dev server, the stand-in systems and the workers. Used by `npm start` and `npm run demo`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ARBITER_SEARCH_ATTRIBUTES } from '../common/constants';
import { clientConnectionOptions, type TemporalSettings } from '../runtime/config';
import { hasExited, killGroup, startDevArgs, stopProcessGroup, temporalAnswers, waitUntilAnswering } from '../runtime/dev-server';
import {
  DECISION_KEY_VARIABLE,
  DECISION_PUBLIC_KEYS_VARIABLE,
  localDecisionKey,
  localDecisionKeyPath,
  parseDecisionKey,
  publicKeyEntry,
} from '../runtime/decision-key';
import { localJwtSecret, localSecretPath } from '../runtime/local-secret';
import { localPayloadKeys, localPayloadKeysPath, PAYLOAD_KEYS_VARIABLE } from '../runtime/payload-keys';
import { findTemporalCli, REPO_ROOT } from '../runtime/temporal-cli';
import { describeProviders, providerAvailability, realProviderKeyVariables } from '../activities/llm/providers';
import { DEFAULT_POLICY_DIR, readPolicyFile } from '../policies/load';
import { modelsFileSchema, type ModelsFile } from '../policies/schema';
import { WORKER_HEAP_FLAG } from '../runtime/worker-tuning';

/** Dev server database, stand-ins' state and logs; ARBITER_DATA_DIR moves them (tests use a temp folder). */
export const DATA_DIR = process.env.ARBITER_DATA_DIR ? path.resolve(process.env.ARBITER_DATA_DIR) : path.join(REPO_ROOT, '.data');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
/** The shipped models.yaml's stand-in provider, and the variable its default address is read from. */
const STANDIN_PROVIDER = 'standin';
const STANDIN_DEFAULT_URL_VARIABLE = 'ARBITER_STANDIN_URL';
/** How long a stopped process may take to exit before its whole group is killed. */
const STOP_GRACE_MS = 15_000;

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Where its output went, for error messages. */
  logHint: string;
  /** How it was started, so restart() can start it again the same way. */
  launch: { command: string; args: string[]; extraEnv: NodeJS.ProcessEnv; answers?: () => Promise<boolean>; timeoutMs?: number };
}

/** Where children's output goes: the terminal with a name prefix, or a log file per process. */
export type OutputMode = 'terminal' | 'files';

export class Platform {
  private readonly processes: ManagedProcess[] = [];
  /** Secrets only the approvers' endpoints get: the generated decision signing key and JWT secret. */
  private readonly endpointOnlyEnv: NodeJS.ProcessEnv = {};

  constructor(
    private readonly settings: TemporalSettings,
    private readonly output: OutputMode,
  ) {}

  /** Starts the dev server unless something already answers at TEMPORAL_ADDRESS, then makes sure the search attributes exist. */
  async ensureTemporal(say: (line: string) => void): Promise<'started' | 'reused'> {
    const temporalUp = () => temporalAnswers(clientConnectionOptions(this.settings));
    if (await temporalUp()) {
      say(`Temporal: reusing the server at ${this.settings.address}`);
      await registerSearchAttributes(this.settings);
      return 'reused';
    }
    const [host, port] = splitAddress(this.settings.address);
    if (!isLocalHost(host)) {
      throw new Error(`nothing answers at TEMPORAL_ADDRESS=${this.settings.address}, and it is not a local address to start a dev server on`);
    }
    mkdirSync(DATA_DIR, { recursive: true });
    const args = startDevArgs({
      host,
      port,
      ui: Number(new URL(this.settings.webUiUrl).port || 8233),
      codecEndpoint: codecEndpointUrl(),
      logLevel: 'warn',
      // One SQLite connection is the dev server's bottleneck; WAL with NORMAL sync keeps it durable across restarts.
      persistenceArgs: ['--db-filename', path.join(DATA_DIR, 'temporal.sqlite'), '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'],
    });
    const server = this.spawn('temporal', findTemporalCli(), args);
    say(`Temporal: starting the dev server on ${this.settings.address} (data in ${path.relative(REPO_ROOT, DATA_DIR) || '.'}/temporal.sqlite)`);
    await waitUntil(temporalUp, 'the Temporal dev server', 60_000, server);
    await registerSearchAttributes(this.settings);
    return 'started';
  }

  /** Starts the stand-in systems unless they already answer on their port. */
  async ensureStandIns(say: (line: string) => void): Promise<'started' | 'reused'> {
    const port = Number(process.env.ARBITER_SANDBOX_PORT || 8090);
    const health = `http://127.0.0.1:${port}/healthz`;
    if (await httpAnswers(health)) {
      say(`Stand-in systems: reusing them on port ${port}`);
      return 'reused';
    }
    const standIns = this.spawn('standins', TSX, [path.join(REPO_ROOT, 'standins', 'main.ts')], {
      ARBITER_SANDBOX_STATE: process.env.ARBITER_SANDBOX_STATE || path.join(DATA_DIR, 'sandbox.json'),
    });
    say(`Stand-in systems: starting the payments, CRM, notifications, catalog, sales-channel and ERP stand-ins on port ${port}`);
    await waitUntil(() => httpAnswers(health), 'the stand-in systems', 30_000, standIns);
    return 'started';
  }

  /**
   * Starts the approvers' endpoint unless it already answers. Without a configured secret or JWKS
   * URL it generates a local secret (kept in the data folder) and says so.
   */
  async ensureApprovalServer(say: (line: string) => void): Promise<'started' | 'reused'> {
    const port = Number(process.env.ARBITER_PORT || 8080);
    if (await httpAnswers(`http://127.0.0.1:${port}/healthz`)) {
      say(`Approvals: reusing the endpoint on port ${port}`);
      return 'reused';
    }
    await this.startApprovalServer(say, port);
    return 'started';
  }

  /** Starts one approvers' endpoint on `port` and waits until it answers; `name` tells replicas apart. */
  async startApprovalServer(say: (line: string) => void, port: number, name = 'approvals', env: NodeJS.ProcessEnv = {}): Promise<void> {
    if (!process.env.ARBITER_JWT_SECRET && !process.env.ARBITER_JWKS_URL && !this.endpointOnlyEnv.ARBITER_JWT_SECRET) {
      // Kept for every replica started after, so they all verify the same tokens; said once.
      this.endpointOnlyEnv.ARBITER_JWT_SECRET = localJwtSecret({ create: true });
      say(`Approvals: no ARBITER_JWT_SECRET or ARBITER_JWKS_URL set, so tokens are signed with a generated local secret (${path.relative(REPO_ROOT, localSecretPath())})`);
    }
    const approvals = this.spawn(name, TSX, [path.join(REPO_ROOT, 'server', 'main.ts')], { ...this.endpointOnlyEnv, ...env, ARBITER_PORT: String(port) });
    say(`Approvals: starting the approvers' endpoint and page on http://127.0.0.1:${port}`);
    await waitUntil(() => httpAnswers(`http://127.0.0.1:${port}/healthz`), `the approvals endpoint on port ${port}`, 30_000, approvals);
  }

  /**
   * Starts the stand-in model server when it is to serve and has no address: no real provider's
   * key set, nor ARBITER_MODEL_URL (the rule of activities/llm/providers.ts). With a key set it
   * stays down and the worker routes to real models. Either way, the line it says names who serves.
   */
  async ensureModelServer(say: (line: string) => void): Promise<'started' | 'configured' | 'set-aside'> {
    const { providers } = readPolicyFile(path.join(process.env.ARBITER_POLICY_DIR || DEFAULT_POLICY_DIR, 'models.yaml'), modelsFileSchema);
    const standIn = providerAvailability(STANDIN_PROVIDER, providers, process.env);
    if (standIn.available || standIn.why !== 'base-url-unset') {
      say(`Models: ${servingLine(providers)}`);
      return standIn.available ? 'configured' : 'set-aside';
    }
    const port = Number(process.env.ARBITER_MODEL_PORT || 8091);
    const base = `http://127.0.0.1:${port}`;
    if (!(await httpAnswers(`${base}/healthz`))) {
      const models = this.spawn('models', TSX, [path.join(REPO_ROOT, 'model-server', 'main.ts')]);
      await waitUntil(() => httpAnswers(`${base}/healthz`), 'the stand-in model server', 30_000, models);
    }
    // The worker started after this inherits it: the stand-in's default address, never used once a key is set.
    process.env[STANDIN_DEFAULT_URL_VARIABLE] = `${base}/v1`;
    const keys = realProviderKeyVariables(providers).join(', ') || 'none in models.yaml';
    say(`Models: the stand-in model server (rule-based, not a language model) serves on ${base}/v1, because no model provider's key is set (${keys})`);
    return 'started';
  }

  /**
   * Starts a worker process; it polls once its workflow bundle is built. `name` tells several apart;
   * `env` adds to what it inherits (a deployment version), `script` runs another entry than workers/main.ts.
   */
  startWorker(say: (line: string) => void, name = 'worker', extra: { env?: NodeJS.ProcessEnv; script?: string } = {}): void {
    // The worker's heap limit bounds its memory (runtime/worker-tuning.ts).
    this.spawn(name, TSX, [WORKER_HEAP_FLAG, extra.script ?? path.join(REPO_ROOT, 'workers', 'main.ts')], extra.env);
    say(`Worker${name === 'worker' ? '' : ` ${name}`}: polling task queue "${this.settings.workflowTaskQueue}" and its integrations queue`);
  }

  /**
   * Starts a process this platform stops with the rest (newest first), and waits until `answers`
   * says it serves; for what the platform has no method of its own for (scripts/cluster/).
   */
  async startService(service: { name: string; command: string; args: string[]; env?: NodeJS.ProcessEnv; answers: () => Promise<boolean>; timeoutMs: number }): Promise<void> {
    const managed = this.spawn(service.name, service.command, service.args, service.env);
    managed.launch.answers = service.answers;
    managed.launch.timeoutMs = service.timeoutMs;
    await waitUntil(service.answers, service.name, service.timeoutMs, managed);
  }

  /** SIGKILLs a process's whole group, as a crash or an OOM kill would end it, and waits until it has exited. */
  async kill(name: string): Promise<void> {
    const { child } = this.named(name);
    if (hasExited(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGKILL');
    await exited;
  }

  /** Kills a process (see kill) and starts it again in its place, as it was started, waiting until it answers if it had a probe. */
  async restart(name: string): Promise<void> {
    await this.kill(name);
    const old = this.named(name);
    const { command, args, extraEnv, answers, timeoutMs } = old.launch;
    const fresh = this.spawn(name, command, args, extraEnv);
    Object.assign(fresh.launch, { answers, timeoutMs });
    // In the old one's place, so stop() keeps its order (the server last).
    this.processes.splice(this.processes.indexOf(fresh), 1);
    this.processes.splice(this.processes.indexOf(old), 1, fresh);
    if (answers) await waitUntil(answers, name, timeoutMs ?? 60_000, fresh);
  }

  private named(name: string): ManagedProcess {
    const found = this.processes.find((p) => p.name === name);
    if (!found) throw new Error(`no process named ${name} was started here (${this.processes.map((p) => p.name).join(', ')})`);
    return found;
  }

  /**
   * Payloads are encrypted everywhere (runtime/payload-codec.ts). Without ARBITER_PAYLOAD_KEYS a
   * local key is generated once in the data folder and handed to every process started from here.
   */
  ensurePayloadKeys(say: (line: string) => void): void {
    if (process.env[PAYLOAD_KEYS_VARIABLE]) return;
    process.env[PAYLOAD_KEYS_VARIABLE] = localPayloadKeys({ create: true });
    say(`Payloads: no ${PAYLOAD_KEYS_VARIABLE} set, so Temporal payloads are encrypted with the local key in ${path.relative(REPO_ROOT, localPayloadKeysPath())} (made on first start)`);
  }

  /**
   * A run takes a person's decision only with the endpoint's signature (common/signed-statements.ts).
   * Without ARBITER_DECISION_KEY a local key is generated once in the data folder and handed to the
   * endpoint alone; without ARBITER_DECISION_PUBLIC_KEYS the workers started here trust its public half.
   */
  ensureDecisionKey(say: (line: string) => void): void {
    let key = process.env[DECISION_KEY_VARIABLE];
    if (!key) {
      key = localDecisionKey({ create: true })!;
      this.endpointOnlyEnv[DECISION_KEY_VARIABLE] = key;
      say(`Decisions: no ${DECISION_KEY_VARIABLE} set, so the endpoint signs decisions with the local key in ${path.relative(REPO_ROOT, localDecisionKeyPath())} (made on first start)`);
    }
    if (process.env[DECISION_PUBLIC_KEYS_VARIABLE] === undefined) {
      process.env[DECISION_PUBLIC_KEYS_VARIABLE] = publicKeyEntry(parseDecisionKey(key));
    }
  }

  /** Everything `npm start` and the demo need, in dependency order, reusing what already runs. */
  async bringUp(say: (line: string) => void): Promise<void> {
    // First: the demo's own client and every child read the keys from the environment.
    this.ensurePayloadKeys(say);
    this.ensureDecisionKey(say);
    await this.ensureTemporal(say);
    await this.ensureStandIns(say);
    // Before the worker: it reads ARBITER_STANDIN_URL, which this sets.
    await this.ensureModelServer(say);
    this.startWorker(say);
    await this.ensureApprovalServer(say);
  }

  /** Resolves when any managed process exits on its own, with its name. */
  firstExit(): Promise<string> {
    return Promise.race(
      this.processes.map(({ name, child }) => new Promise<string>((resolve) => child.once('exit', () => resolve(name)))),
    );
  }

  /** Stops what this platform started, newest first, each with SIGTERM and then, if it lingers, SIGKILL. */
  async stop(): Promise<void> {
    for (const { child } of this.processes.splice(0).reverse()) await stopProcessGroup(child, STOP_GRACE_MS);
  }

  private spawn(name: string, command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): ManagedProcess {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Children are stopped by this process, not by the terminal's Ctrl-C reaching them half-way.
      detached: true,
    });
    if (this.output === 'files') {
      mkdirSync(path.join(DATA_DIR, 'logs'), { recursive: true });
      const file = createWriteStream(path.join(DATA_DIR, 'logs', `${name}.log`), { flags: 'a' });
      // Two writers into one file: neither ends it, or the other's last lines would be written after its end.
      child.stdout?.pipe(file, { end: false });
      child.stderr?.pipe(file, { end: false });
      child.once('close', () => file.end());
    } else {
      for (const stream of [child.stdout, child.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          for (const line of chunk.split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
        });
      }
    }
    const logHint = this.output === 'files' ? path.join(DATA_DIR, 'logs', `${name}.log`) : `lines prefixed [${name}] above`;
    const managed: ManagedProcess = { name, child, logHint, launch: { command, args, extraEnv } };
    this.processes.push(managed);
    return managed;
  }
}

/** Adds the custom search attributes the namespace lacks; a server that has them all is left untouched. */
export async function registerSearchAttributes(settings: TemporalSettings): Promise<void> {
  const connection = await Connection.connect(clientConnectionOptions(settings));
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace: settings.namespace });
    const missing = ARBITER_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
    const types: Record<string, temporal.api.enums.v1.IndexedValueType> = {
      KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
      DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    };
    await connection.operatorService.addSearchAttributes({
      namespace: settings.namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, types[key.type]!])),
    });
  } finally {
    await connection.close();
  }
}

/** Whether `url` answers 2xx within a second; any failure is a no, so it can be polled. */
export async function httpAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Which providers serve and why the others do not, e.g. `serving openai, openai-eu; standin: stand-in set aside: ...`. */
function servingLine(providers: ModelsFile['providers']): string {
  const described = Object.entries(describeProviders(providers, process.env));
  const serving = described.filter(([, state]) => state === 'serves').map(([provider]) => provider);
  const idle = described.filter(([, state]) => state !== 'serves').map(([provider, reason]) => `${provider}: ${reason}`);
  return [serving.length ? `serving ${serving.join(', ')}` : 'no provider serving', ...idle].join('; ');
}

function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs: number, owner: ManagedProcess): Promise<void> {
  return waitUntilAnswering(probe, { what, timeoutMs, child: owner.child, outputHint: () => owner.logHint });
}

/** The endpoint's codec routes, which the dev server's Web UI decodes payloads through. */
export function codecEndpointUrl(): string {
  return `http://127.0.0.1:${Number(process.env.ARBITER_PORT || 8080)}/codec`;
}

function splitAddress(address: string): [string, number] {
  const index = address.lastIndexOf(':');
  if (index < 0) return [address, 7233];
  return [address.slice(0, index), Number(address.slice(index + 1))];
}

function isLocalHost(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]';
}
