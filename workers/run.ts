// The worker process: workflows on the workflow task queue, with Arbiter's bookkeeping (policy
// loading, audit trail) as their local activities and the saga's forward steps beside them;
// compensations and notices on `<queue>-integrations`; model calls on `<queue>-llm` with their
// own concurrency and rate limits, holding the tenants' daily model budgets.
// ARBITER_WORKER_ROLES picks which of them this process runs; ARBITER_DEPLOYMENT_NAME and
// ARBITER_BUILD_ID make them one Worker Deployment Version (runtime/worker-versioning.ts).
import { NativeConnection, Worker } from '@temporalio/worker';
import path from 'node:path';
import {
  auditSinkFromEnv,
  blobStoreFromEnv,
  budgetLedgerFromEnv,
  createAgentToolActivities,
  createAuditActivities,
  createIntegrationActivities,
  createChatProposerActivities,
  createPolicyActivities,
  describeProviders,
  integrationDepsFromEnv,
} from '../activities';
import { DEFAULT_POLICY_DIR, readPolicyFile } from '../policies/load';
import { modelsFileSchema } from '../policies/schema';
import { integrationsTaskQueue, llmTaskQueue } from '../common/constants';
import { REPO_ROOT } from '../runtime/temporal-cli';
import { readTemporalSettings, workerConnectionOptions } from '../runtime/config';
import { dataConverterFromEnv } from '../runtime/data-converter';
import { createLogger } from '../runtime/logger';
import { installTemporalRuntime } from '../runtime/temporal-logging';
import { workerMetricsAddressFromEnv } from '../runtime/metrics';
import { startTracing, tracingWorkerOptions } from '../runtime/tracing';
import { WORKFLOW_BUNDLER_OPTIONS, workflowInterceptorModules } from '../runtime/workflow-bundle';
import { workflowWorkerTuning } from '../runtime/worker-tuning';
import { workerDeploymentFromEnv } from '../runtime/worker-versioning';

const ROLES = ['workflows', 'integrations', 'llm'] as const;
type Role = (typeof ROLES)[number];

function readRoles(value = process.env.ARBITER_WORKER_ROLES): Role[] {
  if (!value) return [...ROLES];
  const roles = value.split(',').map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) throw new Error(`ARBITER_WORKER_ROLES: unknown role(s) ${unknown.join(', ')}; use ${ROLES.join(', ')}`);
  return roles as Role[];
}

/** One set of integration activities per process, shared by the workflow worker and the integrations worker. */
let integrations: ReturnType<typeof createIntegrationActivities> | undefined;
function integrationActivities(): ReturnType<typeof createIntegrationActivities> {
  integrations ??= createIntegrationActivities(integrationDepsFromEnv());
  return integrations;
}

function integrationsConcurrency(): number {
  return Number(process.env.ARBITER_INTEGRATIONS_CONCURRENCY || 100);
}

export interface RunWorkersOptions {
  /** The workflow code to bundle; workers/main.ts runs ../workflows, a deploy test runs a changed copy. */
  workflowsPath?: string;
}

/** Runs this process's workers until a shutdown signal has drained them. */
export async function runWorkers(options: RunWorkersOptions = {}): Promise<void> {
  const logger = createLogger('arbiter-worker');
  // The SDK's and Arbiter's metrics on one Prometheus endpoint, when an address is set.
  installTemporalRuntime(logger, 'INFO', workerMetricsAddressFromEnv());
  const settings = readTemporalSettings();
  const roles = readRoles();
  // Every worker of the process in the same version: a pinned run's activities go to its own version's workers.
  const workerDeploymentOptions = workerDeploymentFromEnv();
  // Before connecting: without a payload key the worker refuses to start rather than write plain payloads.
  const dataConverter = dataConverterFromEnv();
  const tracing = startTracing('arbiter-worker');
  const traced = tracingWorkerOptions(tracing);
  const connection = await NativeConnection.connect(workerConnectionOptions(settings));
  const workers: Worker[] = [];
  const dataDir = process.env.ARBITER_DATA_DIR ? path.resolve(process.env.ARBITER_DATA_DIR) : path.join(REPO_ROOT, '.data');
  try {
    if (roles.includes('workflows')) {
      workers.push(
        await Worker.create({
          connection,
          namespace: settings.namespace,
          dataConverter,
          workerDeploymentOptions,
          taskQueue: settings.workflowTaskQueue,
          workflowsPath: options.workflowsPath ?? require.resolve('../workflows'),
          bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
          ...traced,
          interceptors: { ...traced.interceptors, workflowModules: workflowInterceptorModules(tracing.exportsTo !== undefined) },
          ...workflowWorkerTuning(),
          activities: {
            ...createPolicyActivities({ policyDir: process.env.ARBITER_POLICY_DIR || undefined }),
            ...createAuditActivities({ sink: auditSinkFromEnv(process.env, { jsonlPath: path.join(dataDir, 'audit.jsonl') }) }),
            // The saga's forward steps run here, handed over eagerly with the workflow task that scheduled them.
            ...integrationActivities(),
          },
          maxConcurrentActivityTaskExecutions: integrationsConcurrency(),
        }),
      );
    }
    // One store for the tools that write results and the model turns that read them.
    let blobStore: ReturnType<typeof blobStoreFromEnv> | undefined;
    const blobs = () => (blobStore ??= blobStoreFromEnv(process.env, { dataDir }));
    if (roles.includes('integrations')) {
      workers.push(
        await Worker.create({
          connection,
          namespace: settings.namespace,
          dataConverter,
          workerDeploymentOptions,
          taskQueue: integrationsTaskQueue(settings.workflowTaskQueue),
          ...traced,
          // Compensations and escalation notices; also steps that runs started before steps became eager left here.
          // And an investigating agent's reads.
          activities: {
            ...integrationActivities(),
            ...createAgentToolActivities(integrationDepsFromEnv(), { blobs: blobs() }),
          },
          maxConcurrentActivityTaskExecutions: integrationsConcurrency(),
        }),
      );
    }
    if (roles.includes('llm')) {
      const { providers } = readPolicyFile(path.join(process.env.ARBITER_POLICY_DIR || DEFAULT_POLICY_DIR, 'models.yaml'), modelsFileSchema);
      // Which providers serve, and why the others do not: variable names only, never a key.
      logger.info({ providers: describeProviders(providers, process.env) }, 'model providers');
      workers.push(
        await Worker.create({
          connection,
          namespace: settings.namespace,
          dataConverter,
          workerDeploymentOptions,
          taskQueue: llmTaskQueue(settings.workflowTaskQueue),
          ...traced,
          // Provider addresses and keys are deployment settings, read from the environment by name.
          activities: createChatProposerActivities({
            providers,
            budgetLedger: budgetLedgerFromEnv(process.env, { filePath: path.join(dataDir, 'model-budget.json') }),
            // Agents' transcripts, and the tool results their turns fetch, by digest.
            transcripts: blobs(),
          }),
          // Model providers bill and rate-limit per call: cap both apart from the integrations.
          maxConcurrentActivityTaskExecutions: Number(process.env.ARBITER_LLM_CONCURRENCY || 8),
          maxActivitiesPerSecond: Number(process.env.ARBITER_LLM_RATE_PER_SECOND || 5),
        }),
      );
    }
    logger.info(
      { address: settings.address, namespace: settings.namespace, taskQueue: settings.workflowTaskQueue, roles, version: workerDeploymentOptions?.version },
      'arbiter workers polling',
    );
    // Each run() resolves once a shutdown signal has drained its in-flight tasks.
    await Promise.all(workers.map((w) => w.run()));
    logger.info('arbiter workers stopped');
  } finally {
    await connection.close();
    await tracing.shutdown();
  }
}
