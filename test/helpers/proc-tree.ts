// Linux process-tree lookups from /proc, so a test that spawns a launcher can find and stop every
// process the launcher started, including detached ones that sit in their own process groups.
import { readdirSync, readFileSync } from 'node:fs';

/** A process by pid and start time, so a pid the kernel has since reused is never mistaken for it. */
export interface ProcessRef {
  pid: number;
  startTime: string;
}

interface ProcStat extends ProcessRef {
  state: string;
  ppid: number;
  pgid: number;
}

function readStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name sits in parentheses and may itself contain spaces or parentheses;
  // fields after it start at field 3 (state), so field N is at index N - 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '', ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] ?? '' };
}

function current(ref: ProcessRef): ProcStat | undefined {
  const stat = readStat(ref.pid);
  return stat && stat.startTime === ref.startTime && stat.state !== 'Z' ? stat : undefined;
}

/** Every live descendant of `root` (children, grandchildren, ...), not `root` itself. */
export function descendantsOf(root: number): ProcessRef[] {
  const stats = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readStat(Number(entry)))
    .filter((stat): stat is ProcStat => stat !== undefined && stat.state !== 'Z');
  const found: ProcessRef[] = [];
  const queue = [root];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const stat of stats) {
      if (stat.ppid !== parent) continue;
      found.push({ pid: stat.pid, startTime: stat.startTime });
      queue.push(stat.pid);
    }
  }
  return found;
}

/** True while the very process `ref` names is running (a zombie has exited). */
export function isRunning(ref: ProcessRef): boolean {
  return current(ref) !== undefined;
}

/**
 * SIGKILLs each process still running, and the whole group of each one that leads its own
 * group, never the caller's group (a non-detached child shares it with the test runner).
 */
export function killAll(refs: Iterable<ProcessRef>): void {
  const ownGroup = readStat(process.pid)?.pgid;
  for (const ref of refs) {
    const stat = current(ref);
    if (!stat) continue;
    if (stat.pgid === stat.pid && stat.pgid !== ownGroup) trySignal(-stat.pid);
    trySignal(stat.pid);
  }
}

function trySignal(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
