// The compose stack's shape on this machine, without Docker: Temporal's own server on PostgreSQL
// and its Web UI, the stand-in systems and models, N workers and two approvers' endpoints, each
// its own process.
// Used by `npm run cluster` (scripts/cluster.ts) and the cluster test (test/cluster/).
import { Client } from 'pg';
import { clientConnectionOptions, type TemporalSettings } from '../../runtime/config';
import { portFree, temporalAnswers } from '../../runtime/dev-server';
import { findTemporalCli } from '../../runtime/temporal-cli';
import { findTemporalServer, findTemporalUi } from '../../runtime/temporal-server';
import { httpAnswers, Platform } from '../platform';
import { registerSearchAttributes, serverArgs, serverEnv, setUpSchemas, uiArgs, uiEnv, type ServerPorts, type TemporalStore } from './temporal';

export interface ClusterOptions {
  store: TemporalStore;
  /** Database on the same PostgreSQL server for the workers' audit trail and model budgets, shared by all of them. */
  arbiterDb: string;
  serverPorts: ServerPorts;
  workers: number;
  endpointPorts: readonly number[];
  /** Temporal's Web UI, or none. */
  ui: { port: number } | false;
  /**
   * Prometheus metrics on loopback from the first port up: each worker process one, then each
   * endpoint replica one (the runtime binds one address per process). Absent or false: none.
   */
  metrics?: { firstPort: number } | false;
}

/** What `npm run cluster` runs: the databases, ports and counts docs/cluster.md describes, each movable by a variable. */
export function clusterOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ClusterOptions {
  const frontendPort = Number(new URL(`grpc://${env.TEMPORAL_ADDRESS || '127.0.0.1:7233'}`).port || 7233);
  const firstEndpoint = Number(env.ARBITER_PORT || 8080);
  const workers = Number(env.ARBITER_CLUSTER_WORKERS || 2);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`ARBITER_CLUSTER_WORKERS must be a whole number of 1 or more, not ${env.ARBITER_CLUSTER_WORKERS}`);
  return {
    store: {
      serverUrl: env.ARBITER_CLUSTER_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432',
      temporalDb: 'arbiter_temporal',
      visibilityDb: 'arbiter_temporal_visibility',
    },
    arbiterDb: 'arbiter_cluster',
    serverPorts: { FRONTEND_GRPC_PORT: frontendPort },
    workers,
    endpointPorts: [firstEndpoint, firstEndpoint + 1],
    ui: env.ARBITER_CLUSTER_UI === 'off' ? false : { port: Number(new URL(env.TEMPORAL_UI_URL || 'http://localhost:8233').port || 8233) },
    metrics: clusterMetricsFromEnv(env.ARBITER_CLUSTER_METRICS_PORT),
  };
}

function clusterMetricsFromEnv(value: string | undefined): ClusterOptions['metrics'] {
  if (value === 'off') return false;
  const firstPort = Number(value || 9464);
  if (!Number.isInteger(firstPort) || firstPort < 1 || firstPort > 65_000) {
    throw new Error(`ARBITER_CLUSTER_METRICS_PORT must be a port number or "off", not ${value}`);
  }
  return { firstPort };
}

/** The loopback metrics address of the n-th process (0-based) that serves metrics, or none. */
function metricsAddress(options: ClusterOptions, n: number): string | undefined {
  return options.metrics ? `127.0.0.1:${options.metrics.firstPort + n}` : undefined;
}

/** Everything in dependency order; the platform stops it newest first: endpoints, workers, stand-ins, Web UI, server. */
export async function bringUpCluster(platform: Platform, settings: TemporalSettings, options: ClusterOptions, say: (line: string) => void): Promise<void> {
  await refuseTakenPorts(options);
  platform.ensurePayloadKeys(say);
  platform.ensureDecisionKey(say);
  await startTemporal(platform, settings, options, say);
  if (options.ui) await startWebUi(platform, settings, options.ui.port, `http://127.0.0.1:${options.endpointPorts[0]}/codec`, say);
  await shareArbiterDatabase(options);
  await platform.ensureStandIns(say);
  await platform.ensureModelServer(say);
  for (let i = 1; i <= options.workers; i++) {
    const metrics = metricsAddress(options, i - 1);
    platform.startWorker(say, `worker-${i}`, metrics ? { env: { ARBITER_WORKER_METRICS_ADDRESS: metrics } } : {});
    if (metrics) say(`Worker worker-${i}: Prometheus metrics on http://${metrics}/metrics`);
  }
  for (const [i, port] of options.endpointPorts.entries()) {
    const metrics = metricsAddress(options, options.workers + i);
    await platform.startApprovalServer(say, port, `approvals-${i + 1}`, metrics ? { ARBITER_ENDPOINT_METRICS_ADDRESS: metrics } : {});
    if (metrics) say(`Approvals approvals-${i + 1}: Prometheus metrics on http://${metrics}/metrics`);
  }
}

/** Another server on these ports (npm start's, compose's) would answer the readiness checks in this one's place. */
async function refuseTakenPorts(options: ClusterOptions): Promise<void> {
  const taken: number[] = [];
  const { metrics } = options;
  const metricsPorts = metrics ? Array.from({ length: options.workers + options.endpointPorts.length }, (_, n) => metrics.firstPort + n) : [];
  for (const port of [Number(options.serverPorts.FRONTEND_GRPC_PORT ?? 7233), ...options.endpointPorts, ...(options.ui ? [options.ui.port] : []), ...metricsPorts]) {
    if (!(await portFree(port))) taken.push(port);
  }
  if (taken.length) throw new Error(`port ${taken.join(', ')} already in use (npm start or docker compose running?); stop that, or move this cluster with TEMPORAL_ADDRESS, ARBITER_PORT, TEMPORAL_UI_URL and ARBITER_CLUSTER_METRICS_PORT`);
}

/** Compose's temporal-schema, temporal and temporal-admin-tools services, in that order. */
async function startTemporal(platform: Platform, settings: TemporalSettings, options: ClusterOptions, say: (line: string) => void): Promise<void> {
  const { server, sqlTool } = findTemporalServer();
  say(`Temporal: databases ${options.store.temporalDb} and ${options.store.visibilityDb} (deploy/setup-schema.sh)`);
  await setUpSchemas(options.store, sqlTool);
  say(`Temporal: starting ${server} on ${settings.address} (deploy/temporal-server.yaml)`);
  await platform.startService({
    name: 'temporal',
    command: server,
    args: serverArgs(),
    env: serverEnv(options.store, options.serverPorts),
    answers: () => temporalAnswers(clientConnectionOptions(settings)),
    timeoutMs: 90_000,
  });
  say(`Temporal: namespace ${settings.namespace} and search attributes (deploy/register-search-attributes.sh)`);
  await registerSearchAttributes(settings.address, settings.namespace, findTemporalCli());
}

async function startWebUi(platform: Platform, settings: TemporalSettings, port: number, codecEndpoint: string, say: (line: string) => void): Promise<void> {
  const ui = findTemporalUi();
  const url = `http://127.0.0.1:${port}`;
  say(`Temporal Web UI: starting ${ui.server} on ${url}`);
  await platform.startService({
    name: 'temporal-ui',
    command: ui.server,
    args: uiArgs(ui.configDir),
    env: uiEnv({ temporalAddress: settings.address, port, codecEndpoint }),
    answers: () => httpAnswers(url),
    timeoutMs: 30_000,
  });
}

/** More than one worker process: the audit trail and the model budgets go to one PostgreSQL database, not to files. */
async function shareArbiterDatabase(options: ClusterOptions): Promise<void> {
  await ensureDatabase(options.store.serverUrl, options.arbiterDb);
  const url = new URL(options.store.serverUrl);
  url.pathname = `/${options.arbiterDb}`;
  // Every process started after this inherits it.
  process.env.ARBITER_AUDIT_DATABASE_URL ||= url.toString();
}

/** CREATE DATABASE has no IF NOT EXISTS in PostgreSQL: ask first, and take a concurrent creator's win. */
async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // duplicate_database
    });
  } finally {
    await client.end();
  }
}
