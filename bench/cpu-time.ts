// CPU time of the processes a measurement drives: the dev server (a child process, read from
// /proc) and this bench process (its client, every worker and the activities). Splitting a
// batch's CPU between them shows where a run's cost lands, which throughput on shared cores
// cannot: on 2 cores, CPU spent anywhere is throughput lost everywhere.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
  /** The dev server's CPU per completed run, ms. */
  serverMsPerRun?: number;
  /** This process's CPU per completed run (client, workers, activities), ms. */
  benchProcessMsPerRun: number;
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
