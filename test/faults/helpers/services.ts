// Arbiter's own processes (stand-in systems, stand-in model server, worker) started as children through
// tsx, as test/worker-crash.test.ts starts them, for fault tests that must kill one for real and
// read what each one logged.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { descendantsOf, isRunning, killAll, type ProcessRef } from '../../helpers/proc-tree';
import { waitFor } from '../../helpers/wait';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** A child started through tsx, which runs the script in a node process of its own: a tree of two. */
export interface Service {
  name: string;
  child: ChildProcess;
  output: () => string;
}

/** Without the developer's TEMPORAL_*, ARBITER_* and OPENAI_* settings, so only the test's choices reach the children. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(TEMPORAL_|ARBITER_|OPENAI_)/.test(key)));
}

/** Starts and stops a test file's services; `stopAll` finds every process each tree ever had, even after its launcher died. */
export class Services {
  private readonly started: Service[] = [];
  private readonly seen = new Map<number, ProcessRef>();

  start(name: string, script: string, env: NodeJS.ProcessEnv): Service {
    const child = spawn(TSX, [path.join(REPO_ROOT, script)], {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a SIGKILL reaches tsx's node child too.
      detached: true,
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const service = { name, child, output: () => output };
    this.started.push(service);
    return service;
  }

  /** SIGKILLs the service's whole tree and waits until none of it runs any more. */
  async kill(service: Service): Promise<void> {
    const doomed = this.treeOf(service);
    killAll(doomed);
    await waitFor(async () => !doomed.some(isRunning), `the killed ${service.name} to be gone`, 10_000);
  }

  stopAll(): void {
    for (const service of this.started) this.treeOf(service);
    killAll(this.seen.values());
  }

  private treeOf({ child }: Service): ProcessRef[] {
    const refs = [...descendantsOf(process.pid).filter((ref) => ref.pid === child.pid), ...(child.pid ? descendantsOf(child.pid) : [])];
    for (const ref of refs) this.seen.set(ref.pid, ref);
    return refs;
  }
}

/** The service's pino log lines, parsed; a line still being written is skipped. */
export function logLines(service: Service): Record<string, unknown>[] {
  return service
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        return line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

/** Waits until the service logs what `find` looks for; fails at once if the service exits. */
export async function awaitLog<T>(service: Service, what: string, find: (line: Record<string, unknown>) => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of logLines(service)) {
      const found = find(line);
      if (found !== undefined) return found;
    }
    if (service.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${service.name} did not log ${what} (exit code ${service.child.exitCode}); its output ends:\n${service.output().slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Finds a logged URL field, e.g. the stand-ins' `url` or the model server's `baseUrl`. */
export const boundUrl = (field: string) => (line: Record<string, unknown>) => (typeof line[field] === 'string' ? line[field] : undefined);

/** The worker's line once every worker it runs polls its task queue. */
export const workersPolling = (line: Record<string, unknown>) => (line.msg === 'arbiter workers polling' ? true : undefined);
