// One worker process of the cluster measurement (bench/cluster.ts): the same workflow, integrations
// and model-call workers as every bench batch (harness.ts), on the task queue the bench names, until
// the bench says stop. Started by worker-processes.ts, which reads this process's CPU from /proc.
import { readFileSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { testDataConverter } from '../test/helpers/payload-keys';
import { withArbiterWorkers } from '../test/helpers/workers';
import { benchOrderOf, benchWorkerSetup } from './harness';
import type { Systems } from './options';
import { AUTO_AMOUNT } from './saga-throughput';
import { connectSystems, deriveBenchOrders } from './systems';

/** What the bench hands a worker process, as JSON in its one argument. */
export interface WorkerProcessSpec {
  address: string;
  taskQueue: string;
  /** The workflow bundle's code and source map, written by the bench (the bundle is built once). */
  bundleFiles: { code: string; sourceMap: string };
  modelUrl: string;
  systems: Systems;
  standInsUrl?: string;
  /** The bench's copy of the policies with one-call agents (harness.ts). */
  policyDir: string;
  /** Audit file and budget ledger of this process; the bench removes the folder. */
  scratchDir: string;
}

/** Messages from the worker process to the bench over the IPC channel. */
export type WorkerProcessMessage = { ready: true };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as WorkerProcessSpec;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // The bench registered each order in its own process; the refunds of the saga bench are all on the auto path.
  deriveBenchOrders((orderId) => benchOrderOf(orderId, AUTO_AMOUNT));
  const bundle: WorkflowBundleWithSourceMap = { code: readFileSync(spec.bundleFiles.code, 'utf8'), sourceMap: readFileSync(spec.bundleFiles.sourceMap, 'utf8') };
  // Payloads encrypted with the test key, as the bench's clients encrypt them (dev-server.ts).
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: spec.address, client: { dataConverter: testDataConverter() } });
  const setup = { ...benchWorkerSetup(spec.scratchDir, spec.modelUrl, connectSystems(spec.systems, spec.standInsUrl), spec.policyDir), taskQueue: spec.taskQueue };
  try {
    await withArbiterWorkers(env, bundle, setup, () => {
      const stopped = new Promise<void>((resolve) => {
        process.once('message', () => resolve());
        // The bench gone (killed, crashed): stop polling rather than hold tasks no one waits for.
        process.once('disconnect', () => resolve());
      });
      process.send?.({ ready: true } satisfies WorkerProcessMessage);
      return stopped;
    });
  } finally {
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
