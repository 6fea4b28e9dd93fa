// Measurement 8, `npm run bench -- --cluster`: measurement 1's saga throughput (Arbiter's refund
// against the bare saga, each kind on a fresh server with fresh workers, after its own warm-up) on
// the dev server and on temporal-server with PostgreSQL, with the workers in 1, then 2 processes
// of their own; and where each run's CPU goes: the server, PostgreSQL, the workers, the client.
import { DEPLOY_FILES } from '../scripts/cluster/temporal';
import { clusterCpuMeter } from './cpu-time';
import { serverFlags, withDevServer } from './dev-server';
import type { BenchContext, BenchServer, SagaKind } from './harness';
import type { BenchOptions } from './options';
import { runBatch, sagaRatio, type SagaRatio, type ThroughputFigures } from './saga-throughput';
import { round1 } from './stats';
import { DATABASE_SERVER_URL, describeDatabaseServer, startTemporalOnPostgres, temporalServerVersion, type PostgresServer } from './temporal-postgres';
import { withWorkerProcesses } from './worker-processes';

/** The two servers, in the order measured: the dev server (SQLite, one process) and temporal-server on PostgreSQL. */
export const CLUSTER_SERVERS = ['dev-server', 'postgres'] as const;
export type ClusterServer = (typeof CLUSTER_SERVERS)[number];

export interface ClusterRow {
  server: ClusterServer;
  workerProcesses: number;
  arbiter: ThroughputFigures;
  bare: ThroughputFigures;
  ratio: SagaRatio;
}

export interface ClusterFigures {
  devServer: { serverArgs: string[] };
  postgres: {
    temporalServer: string;
    /** deploy/'s server config and dynamic config, as `npm run cluster` runs them. */
    deployFiles: string[];
    postgresql: string;
    /** How durable PostgreSQL's commits were (`fsync`, `synchronous_commit`), which decides much of its cost. */
    durability: string;
    /** The PostgreSQL server, without a password. */
    databaseServer: string;
  };
  rows: ClusterRow[];
}

/**
 * What the two servers are, before any batch runs: a missing temporal-server or an unreachable
 * PostgreSQL fails here, not after the dev server's batches.
 */
export async function describeCluster(options: BenchOptions, say: (line: string) => void): Promise<ClusterFigures> {
  const database = await describeDatabaseServer();
  if (database.leftovers.length) {
    say(`  (databases of a bench that did not end cleanly, left alone: ${database.leftovers.join(', ')}; docs/performance.md says how to drop them)`);
  }
  return {
    devServer: { serverArgs: serverFlags(options) },
    postgres: {
      temporalServer: temporalServerVersion(),
      deployFiles: [DEPLOY_FILES.serverConfig, 'deploy/dynamicconfig/arbiter.yaml'],
      postgresql: database.version,
      durability: database.durability,
      databaseServer: withoutPassword(DATABASE_SERVER_URL),
    },
    rows: [],
  };
}

/** Runs every batch, adding each server and worker count's row to `figures` as it completes, so a failure keeps the rows before it. */
export async function measureCluster(ctx: Omit<BenchContext, 'server'>, figures: ClusterFigures, say: (line: string) => void): Promise<void> {
  for (const server of CLUSTER_SERVERS) {
    for (const workerProcesses of ctx.options.workerProcesses) {
      say(`  ${server}, ${workerProcesses} worker process${workerProcesses === 1 ? '' : 'es'}: the bare saga, then Arbiter's refund`);
      const bare = await batch(ctx, server, workerProcesses, 'bare', say);
      const arbiter = await batch(ctx, server, workerProcesses, 'arbiter', say);
      figures.rows.push({ server, workerProcesses, arbiter, bare, ratio: sagaRatio(arbiter, bare) });
    }
  }
}

/** One kind's batch on a fresh server of `server`'s kind and fresh worker processes; says how long each part took. */
async function batch(ctx: Omit<BenchContext, 'server'>, server: ClusterServer, workerProcesses: number, kind: SagaKind, say: (line: string) => void): Promise<ThroughputFigures> {
  const { runs, concurrency, warmup } = ctx.options;
  const started = performance.now();
  const seconds = (since: number) => round1((performance.now() - since) / 1000);
  let upIn = 0;
  const figures = await withServer(ctx, server, (running) => {
    const withServerCtx: BenchContext = { ...ctx, server: running };
    return withWorkerProcesses(withServerCtx, kind, workerProcesses, (taskQueue, workerPids) => {
      upIn = seconds(started);
      return runBatch(withServerCtx, taskQueue, kind, { runs, concurrency, warmup }, () =>
        clusterCpuMeter({ serverPid: running.pid, workerPids, postgres: 'databases' in running ? running : undefined }),
      );
    });
  });
  say(`    ${kind}: ${figures.runsPerSecond} runs/s; server and workers up in ${upIn} s, ${runs} runs in ${figures.wallSeconds} s, ${seconds(started)} s in all`);
  return figures;
}

async function withServer<T>(ctx: Omit<BenchContext, 'server'>, server: ClusterServer, fn: (running: BenchServer | PostgresServer) => Promise<T>): Promise<T> {
  if (server === 'dev-server') return withDevServer(ctx.options, fn);
  const running = await startTemporalOnPostgres();
  try {
    return await fn(running);
  } finally {
    await running.stop();
  }
}

function withoutPassword(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (url.password) url.password = '***';
  return url.toString();
}
