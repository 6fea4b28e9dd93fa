// Temporal's own server under `npm run cluster`, in the three steps docker-compose.yml runs as the
// temporal-schema, temporal and temporal-admin-tools services, with the same files from deploy/:
// the schemas (setup-schema.sh), the server (temporal-server.yaml) and the search attributes
// (register-search-attributes.sh); then its Web UI, as compose's temporal-ui service runs it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { portFree } from '../../runtime/dev-server';
import { REPO_ROOT } from '../../runtime/temporal-cli';

const run = promisify(execFile);

/** The files of deploy/ this path runs, relative to the repo root; compose runs the same (test/deploy-agreement.test.ts). */
export const DEPLOY_FILES = {
  schemaStep: 'deploy/setup-schema.sh',
  serverConfig: 'deploy/temporal-server.yaml',
  searchAttributeStep: 'deploy/register-search-attributes.sh',
} as const;

/** Where Temporal keeps its data: a PostgreSQL server and the two databases on it. */
export interface TemporalStore {
  /** postgres://user[:password]@host[:port]; no database: each step names its own. */
  serverUrl: string;
  temporalDb: string;
  visibilityDb: string;
}

/** The ports deploy/temporal-server.yaml reads, by its variable names; those left out keep its defaults. */
export type ServerPorts = Partial<Record<(typeof SERVER_PORT_VARIABLES)[number], number>>;
export const SERVER_PORT_VARIABLES = [
  'FRONTEND_GRPC_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'FRONTEND_HTTP_PORT',
  'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT',
] as const;

/**
 * `count` free ports below 32768, for a server off the config's ports (the cluster test, the bench):
 * the server keeps its membership ports in a PostgreSQL smallint (cluster_membership.rpc_port), so
 * the OS's ephemeral ports (32768 and up here) fail its start.
 */
export async function freeLowPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portFree(port)) ports.add(port);
  }
  return [...ports];
}

/** The variables deploy/temporal-server.yaml and deploy/setup-schema.sh read, as compose sets them for its containers. */
export function storeEnv(store: TemporalStore): NodeJS.ProcessEnv {
  const url = new URL(store.serverUrl);
  return {
    POSTGRES_SEEDS: url.hostname,
    DB_PORT: url.port || '5432',
    POSTGRES_USER: decodeURIComponent(url.username) || 'postgres',
    POSTGRES_PWD: decodeURIComponent(url.password),
    TEMPORAL_DB: store.temporalDb,
    TEMPORAL_VISIBILITY_DB: store.visibilityDb,
  };
}

/** Creates the two databases if missing and brings their schemas up to the server's version. */
export async function setUpSchemas(store: TemporalStore, sqlTool: string): Promise<void> {
  await runStep(DEPLOY_FILES.schemaStep, { ...storeEnv(store), TEMPORAL_SQL_TOOL: sqlTool });
}

/** `temporal-server` arguments for DEPLOY_FILES.serverConfig; it runs in the repo root, where the config's relative dynamic config path holds. */
export function serverArgs(): string[] {
  const { dir, name } = path.parse(DEPLOY_FILES.serverConfig);
  return ['--config', dir, '--env', name, '--allow-no-auth', 'start'];
}

/** The server's environment: where its store is, and the ports that move off the config's defaults. */
export function serverEnv(store: TemporalStore, ports: ServerPorts): NodeJS.ProcessEnv {
  const portEnv = Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)]));
  return { ...storeEnv(store), ...portEnv };
}

/** Creates the namespace if missing and registers deploy/search-attributes.txt in it, with the Temporal CLI. */
export async function registerSearchAttributes(address: string, namespace: string, temporalCli: string): Promise<void> {
  await runStep(DEPLOY_FILES.searchAttributeStep, {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    ARBITER_SETUP_WAIT_SECONDS: '120',
    // The script calls `temporal`, as in the admin-tools image.
    PATH: `${path.dirname(temporalCli)}${path.delimiter}${process.env.PATH ?? ''}`,
  });
}

/** `temporal-ui-server` arguments: the temporalio/ui image's config template, read with the variables of uiEnv. */
export function uiArgs(configDir: string): string[] {
  return ['--root', '/', '--config', configDir, '--env', 'docker', 'start'];
}

/** The variables compose sets on its temporal-ui service, and the port, which the host needs and a container does not. */
export function uiEnv(ui: { temporalAddress: string; port: number; codecEndpoint: string }): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: ui.temporalAddress,
    // The operators' browser reads payloads through the endpoint's codec routes, with their cookie.
    TEMPORAL_CODEC_ENDPOINT: ui.codecEndpoint,
    TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
    TEMPORAL_UI_PORT: String(ui.port),
  };
}

/** Runs a one-shot POSIX sh step of deploy/ to its end, through sh as compose does; a failure carries the step's own output. */
async function runStep(script: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('sh', [path.join(REPO_ROOT, script)], { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${script} failed: ${`${stdout}\n${stderr}`.trim().split('\n').slice(-20).join('\n')}`);
  }
}
