// What `npm run cluster` runs when nothing is set, and the variables that move it (docs/cluster.md).
import { clusterOptionsFromEnv } from '../scripts/cluster/launch';

test("defaults to compose's ports, two workers and databases of its own on the local PostgreSQL", () => {
  expect(clusterOptionsFromEnv({})).toEqual({
    store: { serverUrl: 'postgres://postgres@127.0.0.1:5432', temporalDb: 'arbiter_temporal', visibilityDb: 'arbiter_temporal_visibility' },
    arbiterDb: 'arbiter_cluster',
    serverPorts: { FRONTEND_GRPC_PORT: 7233 },
    workers: 2,
    endpointPorts: [8080, 8081],
    ui: { port: 8233 },
    metrics: { firstPort: 9464 },
  });
});

test('takes its ports, worker count and PostgreSQL server from the variables', () => {
  const options = clusterOptionsFromEnv({
    TEMPORAL_ADDRESS: '127.0.0.1:17233',
    ARBITER_PORT: '9080',
    TEMPORAL_UI_URL: 'http://localhost:9233',
    ARBITER_CLUSTER_WORKERS: '3',
    ARBITER_CLUSTER_DATABASE_URL: 'postgres://temporal:secret@db.internal:6543',
  });
  expect(options).toMatchObject({
    store: { serverUrl: 'postgres://temporal:secret@db.internal:6543' },
    serverPorts: { FRONTEND_GRPC_PORT: 17233 },
    workers: 3,
    endpointPorts: [9080, 9081],
    ui: { port: 9233 },
  });
});

test('leaves the Web UI out with ARBITER_CLUSTER_UI=off', () => {
  expect(clusterOptionsFromEnv({ ARBITER_CLUSTER_UI: 'off' }).ui).toBe(false);
});

test('serves Prometheus metrics from ARBITER_CLUSTER_METRICS_PORT up, or none with off', () => {
  expect(clusterOptionsFromEnv({ ARBITER_CLUSTER_METRICS_PORT: '19464' }).metrics).toEqual({ firstPort: 19464 });
  expect(clusterOptionsFromEnv({ ARBITER_CLUSTER_METRICS_PORT: 'off' }).metrics).toBe(false);
  expect(() => clusterOptionsFromEnv({ ARBITER_CLUSTER_METRICS_PORT: 'nine' })).toThrow('ARBITER_CLUSTER_METRICS_PORT');
});

test('refuses a worker count that is not a whole number of 1 or more', () => {
  expect(() => clusterOptionsFromEnv({ ARBITER_CLUSTER_WORKERS: '0' })).toThrow('ARBITER_CLUSTER_WORKERS');
  expect(() => clusterOptionsFromEnv({ ARBITER_CLUSTER_WORKERS: 'two' })).toThrow('ARBITER_CLUSTER_WORKERS');
});
