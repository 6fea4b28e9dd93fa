// CPU time of the processes a measurement drives: the Temporal server (a child process, read from
// /proc), this bench process (its client, and the workers and activities when they run here) and,
// in the cluster measurement, the worker processes and PostgreSQL's processes. Splitting a batch's
// CPU between them shows where a run's cost lands, which throughput on shared cores cannot: on 2
// cores, CPU spent anywhere is throughput lost everywhere.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Client as PgClient } from 'pg';

/** Clock ticks per second of /proc's CPU times (100 on nearly every Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU milliseconds of process `pid` so far, or undefined where /proc cannot tell (not Linux, or gone). */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is the
    // first, utime and stime are the 12th and 13th (fields 14 and 15 of proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface CpuSplit {
  /** The Temporal server's CPU per completed run (the dev server, or temporal-server), ms. */
  serverMsPerRun?: number;
  /** This process's CPU per completed run (client, workers, activities; with worker processes, the client and the model stand-in), ms. */
  benchProcessMsPerRun: number;
  /** The worker processes' CPU per completed run, summed, ms (cluster measurement). */
  workersMsPerRun?: number;
  /** CPU of the PostgreSQL processes connected to the server's databases (its backends), per completed run, ms. */
  postgresMsPerRun?: number;
  /**
   * CPU of PostgreSQL's background processes (WAL writer, checkpointer, background writer, ...) per
   * completed run, ms: shared by every database on that PostgreSQL server, so anyone else's load shows here too.
   */
  postgresSharedMsPerRun?: number;
  /** Backends that ended during the batch: their CPU is missing from postgresMsPerRun. */
  postgresBackendsGone?: number;
  /** CPU of all the processes above over the batch's wall time: how many cores the batch kept busy. */
  coresBusy?: number;
}

/** Reads the CPU a batch cost, once it is over: `runs` completed in `wallMs`. */
export type CpuReading = (runs: number, wallMs: number) => Promise<CpuSplit>;

/** The processes of a cluster measurement batch: the server, the worker processes, and PostgreSQL's backends of the server's databases. */
export interface ClusterProcesses {
  serverPid: number | undefined;
  workerPids: number[];
  postgres?: { admin: PgClient; databases: string[] };
}

/** Starts counting the CPU of every process of the batch, this one included. */
export async function clusterCpuMeter(processes: ClusterProcesses): Promise<CpuReading> {
  const base = cpuMeter(processes.serverPid);
  const workers = () => processes.workerPids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
  const workers0 = workers();
  const postgres0 = processes.postgres && (await postgresCpu(processes.postgres.admin, processes.postgres.databases));
  return async (runs, wallMs) => {
    const split = base(runs);
    const perRun = (ms: number) => Math.round((ms / runs) * 10) / 10;
    const reading: CpuSplit = { ...split, workersMsPerRun: perRun(workers() - workers0) };
    // A PostgreSQL on another machine, or in a container of its own, has no processes in this /proc.
    if (processes.postgres && postgres0?.visible) {
      const postgres1 = await postgresCpu(processes.postgres.admin, processes.postgres.databases);
      const since = (now: Map<number, number>, before: Map<number, number>) => [...now].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
      reading.postgresMsPerRun = perRun(since(postgres1.backends, postgres0.backends));
      reading.postgresSharedMsPerRun = perRun(since(postgres1.shared, postgres0.shared));
      reading.postgresBackendsGone = [...postgres0.backends.keys()].filter((pid) => !postgres1.backends.has(pid)).length;
    }
    const parts = [reading.serverMsPerRun, reading.benchProcessMsPerRun, reading.workersMsPerRun, reading.postgresMsPerRun, reading.postgresSharedMsPerRun];
    reading.coresBusy = Math.round(((parts.reduce<number>((sum, ms) => sum + (ms ?? 0), 0) * runs) / wallMs) * 100) / 100;
    return reading;
  };
}

/**
 * CPU so far of PostgreSQL's processes by pid, from /proc: the backends connected to `databases`
 * (client backends and autovacuum workers), and the background processes no database owns. The
 * pids come from pg_stat_activity; its own query's backend is on the `postgres` database, not counted.
 */
async function postgresCpu(admin: PgClient, databases: string[]): Promise<{ backends: Map<number, number>; shared: Map<number, number>; visible: boolean }> {
  const { rows } = await admin.query<{ pid: number; datname: string | null }>('SELECT pid, datname FROM pg_stat_activity WHERE datname IS NULL OR datname = ANY($1)', [databases]);
  const backends = new Map<number, number>();
  const shared = new Map<number, number>();
  for (const { pid, datname } of rows) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) (datname === null ? shared : backends).set(pid, ms);
  }
  return { backends, shared, visible: backends.size + shared.size > 0 };
}

/** Starts counting; the returned function gives the CPU per run since, over `runs` runs. */
export function cpuMeter(serverPid: number | undefined): (runs: number) => CpuSplit {
  const server0 = processCpuMs(serverPid);
  const self0 = process.cpuUsage();
  return (runs) => {
    const self = process.cpuUsage(self0);
    const server1 = processCpuMs(serverPid);
    const perRun = (ms: number) => Math.round((ms / runs) * 10) / 10;
    return {
      serverMsPerRun: server0 === undefined || server1 === undefined ? undefined : perRun(server1 - server0),
      benchProcessMsPerRun: perRun((self.user + self.system) / 1000),
    };
  };
}
