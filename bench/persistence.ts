// Measurement 5: the bare saga's throughput on the dev server's three persistence modes, each
// on a fresh server: in memory (the CLI's default), a SQLite file, and the file with WAL and
// NORMAL sync (what `npm start` uses).
import { withDevServer } from './dev-server';
import { withWorkers, type BenchContext } from './harness';
import { PERSISTENCE_MODES, type Persistence } from './options';
import { runBatch, type ThroughputFigures } from './saga-throughput';
import { ratio } from './stats';

export interface PersistenceRow {
  persistence: Persistence;
  serverArgs: string[];
  bare: ThroughputFigures;
  /** Runs per second relative to the in-memory server. */
  ratioToMemory: number;
}

export async function measurePersistence(ctx: Omit<BenchContext, 'server'>, say: (line: string) => void): Promise<PersistenceRow[]> {
  const { runs, concurrency, warmup } = ctx.options;
  const rows: Omit<PersistenceRow, 'ratioToMemory'>[] = [];
  for (const persistence of PERSISTENCE_MODES) {
    say(`  ${persistence}: starting a dev server`);
    rows.push(
      await withDevServer({ ...ctx.options, persistence }, async (server) => {
        const bare = await withWorkers({ ...ctx, server }, 'bare', (taskQueue) => runBatch({ ...ctx, server }, taskQueue, 'bare', { runs, concurrency, warmup }));
        return { persistence, serverArgs: server.persistenceArgs, bare };
      }),
    );
  }
  const memory = rows.find((row) => row.persistence === 'memory')!.bare.runsPerSecond;
  return rows.map((row) => ({ ...row, ratioToMemory: ratio(row.bare.runsPerSecond, memory) }));
}
