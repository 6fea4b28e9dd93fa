// The worker process: workflows on the workflow task queue, system integrations on their own
// queue. ARBITER_WORKER_ROLES picks which of them this process runs, so they can scale apart.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createIntegrationActivities, integrationDepsFromEnv } from '../activities';
import { integrationsTaskQueue } from '../common/constants';
import { readTemporalSettings, workerConnectionOptions } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { installTemporalRuntime } from '../runtime/temporal-logging';

const ROLES = ['workflows', 'integrations'] as const;
type Role = (typeof ROLES)[number];

function readRoles(value = process.env.ARBITER_WORKER_ROLES): Role[] {
  if (!value) return [...ROLES];
  const roles = value.split(',').map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) throw new Error(`ARBITER_WORKER_ROLES: unknown role(s) ${unknown.join(', ')}; use ${ROLES.join(', ')}`);
  return roles as Role[];
}

async function main(): Promise<void> {
  const logger = createLogger('arbiter-worker');
  installTemporalRuntime(logger);
  const settings = readTemporalSettings();
  const roles = readRoles();
  const connection = await NativeConnection.connect(workerConnectionOptions(settings));
  const workers: Worker[] = [];
  try {
    if (roles.includes('workflows')) {
      workers.push(
        await Worker.create({
          connection,
          namespace: settings.namespace,
          taskQueue: settings.workflowTaskQueue,
          workflowsPath: require.resolve('../workflows'),
        }),
      );
    }
    if (roles.includes('integrations')) {
      workers.push(
        await Worker.create({
          connection,
          namespace: settings.namespace,
          taskQueue: integrationsTaskQueue(settings.workflowTaskQueue),
          activities: createIntegrationActivities(integrationDepsFromEnv()),
          maxConcurrentActivityTaskExecutions: Number(process.env.ARBITER_INTEGRATIONS_CONCURRENCY || 100),
        }),
      );
    }
    logger.info(
      { address: settings.address, namespace: settings.namespace, taskQueue: settings.workflowTaskQueue, roles },
      'arbiter workers polling',
    );
    // Each run() resolves once a shutdown signal has drained its in-flight tasks.
    await Promise.all(workers.map((w) => w.run()));
    logger.info('arbiter workers stopped');
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
