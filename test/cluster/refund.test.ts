// `npm run cluster`'s shape end to end: the launcher's own code brings up temporal-server on
// PostgreSQL (schemas, namespace, search attributes) and its Web UI, two workers and two endpoints
// on free ports, and a refund started through the typed client completes on them.
import { rmSync } from 'node:fs';
import { ArbiterClient } from '../../client';
import { readTemporalSettings } from '../../runtime/config';
import { portFree } from '../../runtime/dev-server';
import { bringUpCluster, type ClusterOptions } from '../../scripts/cluster/launch';
import { SERVER_PORT_VARIABLES, type ServerPorts } from '../../scripts/cluster/temporal';
import { Platform } from '../../scripts/platform';
import { orderOfRequest, registerStandInOrder } from '../../standins/order-client';
import { refundRequest } from '../helpers/refund-fixtures';

let platform: Platform | undefined;
let client: ArbiterClient | undefined;
let options: ClusterOptions;

/**
 * Free ports below 32768: the server keeps its membership ports in a PostgreSQL smallint
 * (cluster_membership.rpc_port), so the OS's ephemeral ports (32768 and up here) fail its start.
 */
async function freeLowPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portFree(port)) ports.add(port);
  }
  return [...ports];
}

beforeAll(async () => {
  const [standIns, models, ui, ...rest] = await freeLowPorts(5 + SERVER_PORT_VARIABLES.length);
  const serverPorts: ServerPorts = Object.fromEntries(SERVER_PORT_VARIABLES.map((name, i) => [name, rest[i + 2]!]));
  process.env.TEMPORAL_ADDRESS = `127.0.0.1:${serverPorts.FRONTEND_GRPC_PORT}`;
  process.env.ARBITER_SANDBOX_PORT = String(standIns);
  process.env.ARBITER_MODEL_PORT = String(models);
  options = {
    // Databases of the test's own, so a cluster running beside it keeps its data.
    store: { serverUrl: process.env.ARBITER_CLUSTER_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432', temporalDb: 'arbiter_test_temporal', visibilityDb: 'arbiter_test_temporal_visibility' },
    arbiterDb: 'arbiter_test_cluster',
    serverPorts,
    workers: 2,
    endpointPorts: [rest[0]!, rest[1]!],
    ui: { port: ui! },
  };
  const settings = readTemporalSettings();
  platform = new Platform(settings, 'files');
  const started = Date.now();
  await bringUpCluster(platform, settings, options, (line) => process.stderr.write(`${line}\n`));
  process.stderr.write(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  client = await ArbiterClient.connect(settings);
  // On a fresh machine the launcher first builds temporal-server, temporal-sql-tool and the UI server (minutes).
}, 30 * 60_000);

afterAll(async () => {
  await client?.close();
  await platform?.stop();
  rmSync(process.env.ARBITER_DATA_DIR!, { recursive: true, force: true });
});

test('a refund started through the typed client completes on the cluster', async () => {
  const request = refundRequest({}, { registered: false });
  await registerStandInOrder(`http://127.0.0.1:${process.env.ARBITER_SANDBOX_PORT}`, orderOfRequest(request));
  const run = await client!.startRefund(request);
  const result = await client!.refundResult(run.workflowId);
  expect(result.outcome).toBe('completed');
});

test("Temporal's Web UI answers and reaches the server", async () => {
  const response = await fetch(`http://127.0.0.1:${options.ui && options.ui.port}/api/v1/namespaces/default`);
  expect(response.status).toBe(200);
});

test('both endpoint replicas answer', async () => {
  for (const port of options.endpointPorts) {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
  }
});
