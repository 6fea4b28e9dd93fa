// Runs every worker a process needs for one test, on a task queue of the test's own: the
// workflow worker (with the policy and audit bookkeeping as local activities, and the saga's
// forward steps), the integrations worker (compensations, notices) and the LLM worker (with the
// tenants' budget ledger).
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import {
  createAuditActivities,
  createChatProposerActivities,
  createMcpToolClient,
  createToolActivities,
  createFileBudgetLedger,
  createPolicyActivities,
  type IntegrationActivities,
  type PolicyActivities,
  type ProposerActivities,
} from '../../activities';
import type { ModelBudgetLedger } from '../../activities/budget';
import { createFileBlobStore } from '../../activities/blobs';
import type { LookupClient } from '../../activities/lookups';
import { createModelServer } from '../../model-server/server';
import { createLogger } from '../../runtime/logger';
import { tracingWorkerOptions, type Tracing } from '../../runtime/tracing';
import { createJsonlAuditSink } from '../../activities/audit';
import { integrationsTaskQueue, llmTaskQueue } from '../../common/constants';
import { workflowWorkerTuning } from '../../runtime/worker-tuning';
import { fixtureLookups } from './fixture-lookups';
import { singleCallPolicies } from './policies';
import { testDataConverter } from './payload-keys';
import { uniqueQueue } from './temporal';

export interface WorkerSetup {
  integrations: IntegrationActivities;
  /** What an investigating agent's read tools look up; defaults to the tests' fixtures (fixture-lookups.ts). */
  lookups?: LookupClient;
  /** Defaults to the shipped policies/ folder. */
  policyDir?: string;
  /**
   * Defaults to the chat proposer against a stand-in model server started for the call. A process
   * may need only some of the proposer activities.
   */
  proposer?: Partial<ProposerActivities>;
  /** The model server the default proposer calls; defaults to one started for the call. */
  modelUrl?: string;
  /** Defaults to a JSONL file in a fresh temp folder. */
  auditPath?: string;
  /** Defaults to a file ledger in a fresh temp folder. */
  budgetLedger?: ModelBudgetLedger;
  /** Defaults to a fresh queue; give one to run a second set of workers on the same runs. */
  taskQueue?: string;
  /** Where the workers' spans go, the workflows' included; by default they are dropped. */
  tracing?: Tracing;
  /** Bytes of a tool result that travel in history (activities/tools); the bench sets it high to keep every result there. */
  toolInlineBytes?: number;
  /** More activities for the workflow worker, made from its own (the bench's minimal floor: bench/minimal-floor-activities.ts). */
  composeActivities?: (own: PolicyActivities & IntegrationActivities) => Record<string, (...args: never[]) => Promise<unknown>>;
}

export async function withArbiterWorkers<T>(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundle,
  setup: WorkerSetup,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = setup.taskQueue ?? uniqueQueue('arbiter');
  // A proposer a test hands in without agent turns is one written for the one-call agent: it runs
  // under its policies with the agents' tools taken away, so the agents propose in one call.
  const policyDir = setup.proposer && !setup.proposer.agentTurn ? singleCallPolicies(setup.policyDir) : setup.policyDir;
  const scratch = mkdtempSync(path.join(tmpdir(), 'arbiter-workers-'));
  const auditPath = setup.auditPath ?? path.join(scratch, 'audit.jsonl');
  const budgetLedger = setup.budgetLedger ?? createFileBudgetLedger(path.join(scratch, 'model-budget.json'));
  // Agents' transcripts and large tool results, shared by the tools and the model turns as in workers/main.ts.
  const blobs = createFileBlobStore(path.join(scratch, 'blobs'));
  // Payloads encrypted with the test key, as workers/main.ts encrypts with the configured one.
  const dataConverter = testDataConverter();
  // As workers/run.ts: activity spans, and the sink the bundle's workflow spans leave by.
  const traced = tracingWorkerOptions(setup.tracing);
  const workflowActivities = {
    ...createPolicyActivities({ policyDir }),
    ...createAuditActivities({ sink: createJsonlAuditSink(auditPath) }),
    ...setup.integrations,
  };
  const workflowWorker = await Worker.create({
    ...traced,
    connection: env.nativeConnection,
    dataConverter,
    taskQueue,
    workflowBundle: bundle,
    ...workflowWorkerTuning(),
    // Arbiter's bookkeeping runs as local activities of the workflows, the saga's forward steps
    // beside them (eager dispatch, as in workers/main.ts).
    activities: { ...workflowActivities, ...composed(workflowActivities, setup.composeActivities) },
  });
  const integrationsWorker = await Worker.create({
    ...traced,
    connection: env.nativeConnection,
    dataConverter,
    taskQueue: integrationsTaskQueue(taskQueue),
    activities: { ...setup.integrations, ...createToolActivities({ lookups: setup.lookups ?? fixtureLookups(), mcp: createMcpToolClient(), blobs, inlineBytes: setup.toolInlineBytes }) },
  });
  const modelServer = setup.proposer || setup.modelUrl ? undefined : createModelServer({ logger: createLogger('model-standin', { level: 'silent' }) });
  const modelUrl = setup.modelUrl ?? (modelServer ? `http://127.0.0.1:${await modelServer.listen(0)}/v1` : undefined);
  const llmWorker = await Worker.create({
    ...traced,
    connection: env.nativeConnection,
    dataConverter,
    taskQueue: llmTaskQueue(taskQueue),
    activities:
      setup.proposer ??
      createChatProposerActivities({ providers: { standin: { baseUrl: 'env:ARBITER_MODEL_URL' } }, env: { ARBITER_MODEL_URL: modelUrl }, budgetLedger, transcripts: blobs }),
  });
  try {
    return await workflowWorker.runUntil(integrationsWorker.runUntil(llmWorker.runUntil(fn(taskQueue))));
  } finally {
    await modelServer?.close();
    // The default audit file and budget ledger live here; nothing outside this call can name them.
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The activities `compose` makes from the worker's own; a name the worker already has is refused, never replaced. */
function composed<Own extends object>(own: Own, compose: ((own: Own) => Record<string, unknown>) | undefined): Record<string, unknown> {
  const made = compose?.(own) ?? {};
  const clashing = Object.keys(made).filter((name) => name in own);
  if (clashing.length) throw new Error(`composeActivities may not replace the workflow worker's own activities: ${clashing.join(', ')}`);
  return made;
}
