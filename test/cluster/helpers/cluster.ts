// A cluster of the test file's own, brought up with `npm run cluster`'s launcher: temporal-server
// on PostgreSQL in databases named for the file (dropped first, so no run of an earlier test is
// left waiting in them), free ports below 32768, and endpoints that take the tests' tokens.
import { Client as PgClient } from 'pg';
import { ArbiterClient } from '../../../client';
import { readTemporalSettings, type TemporalSettings } from '../../../runtime/config';
import { bringUpCluster, type ClusterOptions } from '../../../scripts/cluster/launch';
import { freeLowPorts, SERVER_PORT_VARIABLES, type ServerPorts } from '../../../scripts/cluster/temporal';
import { Platform } from '../../../scripts/platform';
import type { RefundRequest } from '../../../common/refund-schemas';
import { compensatedEntry, completedEntry, type StandInsView } from '../../faults/helpers/standins-ledger';
import { TEST_SECRET } from '../../helpers/http-approvals';
import { registerRequestOrder } from '../../helpers/payments-record';
import { refundRequest } from '../../helpers/refund-fixtures';

export interface TestCluster {
  platform: Platform;
  client: ArbiterClient;
  settings: TemporalSettings;
  options: ClusterOptions;
  standInsUrl: string;
  /** The two endpoint replicas, by process name (approvals-1, approvals-2) and URL. */
  endpoints: { name: string; url: string }[];
}

const SERVER_URL = process.env.ARBITER_CLUSTER_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432';

/** Drops the file's databases left by an earlier run; FORCE ends a connection a killed server left behind. */
async function dropDatabases(names: string[]): Promise<void> {
  const url = new URL(SERVER_URL);
  url.pathname = '/postgres';
  const pg = new PgClient({ connectionString: url.toString() });
  await pg.connect();
  try {
    for (const name of names) await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await pg.end();
  }
}

/** Brings up a cluster for the test file `name` (a short word: it names the databases); `workers: 0` leaves the workers to the test. */
export async function startTestCluster(name: string, overrides: Partial<Pick<ClusterOptions, 'workers' | 'ui'>> = {}): Promise<TestCluster> {
  const [standIns, models, ui, ...rest] = await freeLowPorts(5 + SERVER_PORT_VARIABLES.length);
  const serverPorts: ServerPorts = Object.fromEntries(SERVER_PORT_VARIABLES.map((variable, i) => [variable, rest[i + 2]!]));
  process.env.TEMPORAL_ADDRESS = `127.0.0.1:${serverPorts.FRONTEND_GRPC_PORT}`;
  process.env.ARBITER_SANDBOX_PORT = String(standIns);
  process.env.ARBITER_MODEL_PORT = String(models);
  // Both replicas verify the tests' tokens (test/helpers/http-approvals.ts tokenFor).
  process.env.ARBITER_JWT_SECRET = TEST_SECRET;
  const databases = { temporalDb: `arbiter_test_${name}_temporal`, visibilityDb: `arbiter_test_${name}_visibility`, arbiterDb: `arbiter_test_${name}` };
  await dropDatabases(Object.values(databases));
  const options: ClusterOptions = {
    store: { serverUrl: SERVER_URL, temporalDb: databases.temporalDb, visibilityDb: databases.visibilityDb },
    arbiterDb: databases.arbiterDb,
    serverPorts,
    workers: 2,
    endpointPorts: [rest[0]!, rest[1]!],
    ui: { port: ui! },
    ...overrides,
  };
  const settings = readTemporalSettings();
  const platform = new Platform(settings, 'files');
  const started = Date.now();
  try {
    await bringUpCluster(platform, settings, options, (line) => process.stderr.write(`${line}\n`));
  } catch (err) {
    await platform.stop();
    throw err;
  }
  process.stderr.write(`cluster ${name} up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return {
    platform,
    client: await ArbiterClient.connect(settings),
    settings,
    options,
    standInsUrl: `http://127.0.0.1:${standIns}`,
    endpoints: options.endpointPorts.map((port, i) => ({ name: `approvals-${i + 1}`, url: `http://127.0.0.1:${port}` })),
  };
}

export async function stopTestCluster(cluster: TestCluster | undefined): Promise<void> {
  await cluster?.client.close();
  await cluster?.platform.stop();
}

/** Seconds since `since`, to one decimal, for the counts a test prints. */
export const secondsSince = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** A refund of `amount` EUR for a parcel the stand-in model reads as damaged, its order (id after `orderPrefix`) known to the stand-in payments. */
export async function registeredRefund(cluster: TestCluster, amount: number, orderPrefix = ''): Promise<RefundRequest> {
  const request = refundRequest({ message: 'The parcel arrived broken.', requestedBy: 'alice' }, { registered: false });
  request.order = { ...request.order, id: `${orderPrefix}${request.order.id}`, amount };
  await registerRequestOrder(cluster.standInsUrl, request);
  return request;
}

/** How many of the cluster's runs the query counts (visibility lags writes by about a second). */
export async function countRuns(cluster: TestCluster, query: string): Promise<number> {
  return (await cluster.client.temporal.workflow.count(query)).count;
}

/** Runs of the test still waiting for a person. */
export const WAITING_QUERY = `ArbiterApprovalPending = true AND ExecutionStatus = 'Running'`;

/** How many of the orders have exactly the ledger entry their outcome must leave (each effect once, or undone once). */
export function ordersExactlyOnce(state: StandInsView, orders: { request: RefundRequest; compensates?: boolean }[]): number {
  let shown = false;
  return orders.filter(({ request, compensates }) => {
    const entry = state.ledger.find((e) => e.orderId === request.order.id);
    const expected = compensates ? compensatedEntry(request.order.id) : completedEntry(request.order.id, request.order.amount);
    // Compared as sorted JSON: the entry comes from fetch's realm, the expected one from jest's, so their prototypes differ.
    const same = entry !== undefined && JSON.stringify(entry, Object.keys(entry).sort()) === JSON.stringify(expected, Object.keys(expected).sort());
    if (!same && !shown) {
      shown = true;
      process.stderr.write(`ledger entry ${JSON.stringify(entry)} is not ${JSON.stringify(expected)}\n`);
    }
    return same;
  }).length;
}
