// The worker's heap limit bounds its memory (runtime/worker-tuning.ts). It is a Node flag on the
// command line of each launcher, so these tests keep the launchers on the one value, and check
// that the flag reaches the workflow thread, which the SDK starts without limits of its own.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WORKER_HEAP_FLAG, WORKER_HEAP_MIB } from '../runtime/worker-tuning';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('the worker heap limit', () => {
  it('is on the command line of the npm worker and bench scripts', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.worker).toBe(`tsx ${WORKER_HEAP_FLAG} workers/main.ts`);
    // The bench runs its workers in its own process, so it measures them under the same limit.
    expect(scripts.bench).toBe(`tsx ${WORKER_HEAP_FLAG} bench/main.ts`);
  });

  it("is on the image's default command, which compose's worker runs", () => {
    const cmd = read('Dockerfile')
      .split('\n')
      .find((line) => line.startsWith('CMD '));
    expect(cmd).toBe(`CMD ["npx", "tsx", "${WORKER_HEAP_FLAG}", "workers/main.ts"]`);
    expect(read('docker-compose.yml')).toContain(`npx tsx ${WORKER_HEAP_FLAG} workers/main.ts`);
    // The comment is true only while the worker service builds the image and sets no command.
    const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { build?: { dockerfile?: string }; command?: unknown }> };
    expect(compose.services.worker?.build?.dockerfile).toBe('Dockerfile');
    expect(compose.services.worker?.command).toBeUndefined();
  });

  it('reaches a worker thread started without resource limits, as the workflow thread is', () => {
    const probe = `
      const { Worker } = require('node:worker_threads');
      const thread = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)", { eval: true });
      thread.once('message', (limit) => { console.log(limit); process.exit(0); });
    `;
    const limitOf = (flags: string[]) => {
      const run = spawnSync(process.execPath, [...flags, '-e', probe], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      return Number(run.stdout.trim()) / 1024 / 1024;
    };
    const limited = limitOf([WORKER_HEAP_FLAG]);
    // V8 adds the young generation to the old-space limit the flag sets.
    expect(limited).toBeGreaterThanOrEqual(WORKER_HEAP_MIB);
    expect(limited).toBeLessThan(WORKER_HEAP_MIB + 128);
    expect(limitOf([])).not.toBeCloseTo(limited, 0);
  });
});
