// What every measurement shares: the dev server, the two workflow bundles, the model server, the
// integration activities, and Arbiter's own workers (the test harness's withArbiterWorkers, so
// the bench runs exactly the activity sets the tests run, wherever they are registered).
import { benchOrderRecord, registerBenchOrder } from './systems';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ArbiterClient } from '../client';
import { createFileBudgetLedger, type IntegrationActivities } from '../activities';
import type { ProposeRefundInput } from '../activities/llm/chat-proposer';
import type { OrderRecord, RefundRequest } from '../common/refund-schemas';
import { DEFAULT_POLICY_DIR, pinBundle, readPolicyFiles } from '../policies/load';
import { singleCallPolicies } from '../test/helpers/policies';
import { routeModels } from '../policies/routing';
import type { PolicyBundle } from '../policies/schema';
import { withArbiterWorkers, type WorkerSetup } from '../test/helpers/workers';
import { readTemporalSettings } from '../runtime/config';
import { estimateInputTokens } from '../workflows/model-call';
import type { refund } from '../workflows/refund';
import type { bareRefund, BareRefundInput } from './workflows/bare-refund';
import type { floorRefund, FloorDesign } from './workflows/floor-refund';
import { composeMinimalFloorActivities } from './minimal-floor-activities';
import { ArbiterProcess, ArbiterStage, ArbiterTenant, SagaStage } from '../common/constants';
import type { BenchOptions } from './options';

export type SagaKind = 'arbiter' | 'bare';
/**
 * The two kinds, and the two floors under Arbiter (bench/workflows/floor-refund.ts): the bare saga
 * plus the commands Arbiter's guarantees add, without Arbiter's own code, as Arbiter gives them
 * (`floor`) and in the fewest commands they need (`minimal`). Measured in 1 and 6 only.
 */
export type BenchKind = SagaKind | 'floor' | 'minimal';

/** A Temporal server a measurement drives: a dev server (dev-server.ts), or temporal-server on PostgreSQL (temporal-postgres.ts). */
export interface BenchServer {
  address: string;
  /** The server's process id, for its CPU time. */
  pid: number | undefined;
  /** A client and a worker connection to this server (teardown leaves the server running). */
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

export interface BenchContext {
  server: BenchServer;
  /**
   * Arbiter's real bundle (workflows/index.ts), and the bare one (bench/workflows/index.ts) without
   * Arbiter's modules: the SDK keeps a module cache per run, so every cached run evaluates and
   * holds the modules its workflow imports, and what a bundle imports is part of what a run costs.
   */
  bundles: Record<BenchKind, WorkflowBundleWithSourceMap>;
  /** The stand-in model server's base URL, shared by every worker and the direct calls. */
  modelUrl: string;
  integrations: IntegrationActivities;
  /** The stand-in systems' address in `--systems standins` mode, for worker processes. */
  standInsUrl?: string;
  options: BenchOptions;
  /** Audit files and budget ledgers of every worker set; removed when the bench ends. */
  scratchDir: string;
}

/** The tenant of every bench run. */
export const BENCH_TENANT = 'bench';

/** Runs Arbiter's workflow, integrations and LLM workers, with the `kind` bundle, on a fresh task queue for `fn`. */
export function withWorkers<T>(ctx: BenchContext, kind: BenchKind, fn: (taskQueue: string) => Promise<T>, integrations = ctx.integrations): Promise<T> {
  return withArbiterWorkers(ctx.server.env, ctx.bundles[kind], benchWorkerSetup(ctx.scratchDir, ctx.modelUrl, integrations), fn);
}

/**
 * What every bench worker set runs with, in this process or a worker process of its own
 * (worker-process.ts, which is handed this process's `policyDir`).
 */
export function benchWorkerSetup(scratchDir: string, modelUrl: string, integrations: IntegrationActivities, policyDir = singleCallPolicyDir()): WorkerSetup {
  const dir = mkdtempSync(path.join(scratchDir, 'workers-'));
  return {
    integrations,
    modelUrl,
    auditPath: path.join(dir, 'audit.jsonl'),
    budgetLedger: createFileBudgetLedger(path.join(dir, 'model-budget.json')),
    // The bare saga asks one model once: Arbiter's agent does the same here (no look-ups), so
    // the figures compare the two sagas' machinery, not an investigation with a single call.
    policyDir,
    composeActivities: composeMinimalFloorActivities,
  };
}

let singleCall: string | undefined;
/** The shipped policies with one-call agents, copied once per bench run and removed when it ends. */
export function singleCallPolicyDir(): string {
  if (singleCall === undefined) {
    const dir = (singleCall = singleCallPolicies());
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return singleCall;
}

export function newScratchDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'arbiter-bench-'));
}

/**
 * Starts an Arbiter refund as a backend service does, through the typed client: it validates the
 * request and sets the run's search attributes (process, tenant, first stage) at start.
 */
export async function startRefund(client: Client, taskQueue: string, request: RefundRequest): Promise<WorkflowHandle<typeof refund>> {
  const arbiter = new ArbiterClient(client, readTemporalSettings({ ARBITER_TASK_QUEUE: taskQueue }));
  const started = await arbiter.startRefund(request);
  return client.workflow.getHandle<typeof refund>(started.workflowId);
}

/** Starts the bare saga on `request`, with the same model call Arbiter's refund makes; `awaitApproval` makes it wait for one signal. */
export function startBareRefund(client: Client, taskQueue: string, request: RefundRequest, awaitApproval = false): Promise<WorkflowHandle<typeof bareRefund>> {
  return client.workflow.start<typeof bareRefund>('bareRefund', {
    taskQueue,
    workflowId: `bare-refund-${request.requestId}`,
    args: [{ ...bareRefundInput(request), ...(awaitApproval ? { awaitApproval } : {}) }],
  });
}

/** Starts a floor under Arbiter's refund on `request`, with the search attributes Arbiter's typed client sets at start. */
export function startFloorRefund(client: Client, taskQueue: string, request: RefundRequest, design: FloorDesign): Promise<WorkflowHandle<typeof floorRefund>> {
  return client.workflow.start<typeof floorRefund>('floorRefund', {
    taskQueue,
    workflowId: `${design}-floor-refund-${request.requestId}`,
    args: [request, design],
    typedSearchAttributes: [
      { key: ArbiterProcess, value: 'refund' },
      { key: ArbiterTenant, value: request.tenant },
      { key: ArbiterStage, value: SagaStage.proposing },
    ],
  });
}

/** Starts a run of `kind` on `request`: Arbiter's through its typed client, as a backend service starts it. */
export function startRun(kind: BenchKind, client: Client, taskQueue: string, request: RefundRequest): Promise<WorkflowHandle> {
  if (kind === 'arbiter') return startRefund(client, taskQueue, request);
  if (kind === 'bare') return startBareRefund(client, taskQueue, request);
  return startFloorRefund(client, taskQueue, request, kind === 'floor' ? 'arbiter' : 'minimal');
}

/** Waits for the run's result and throws, naming the run, its outcome and reason, unless it completed. */
export async function expectCompleted(handle: WorkflowHandle): Promise<void> {
  const result = (await handle.result()) as { outcome: string; reason?: string };
  if (result.outcome !== 'completed') throw new Error(`${handle.workflowId} ended ${result.outcome}${result.reason ? `: ${result.reason}` : ''}`);
}

/** A unique tag per batch, so workflow ids never collide across batches on one server. */
export function batchTag(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

/**
 * A refund of `amount` EUR the stand-in model reads as damage (confidence 0.92, the full amount):
 * 20 EUR runs on its own (rule refund-small), 740 EUR needs one support-lead.
 */
export function refundRequest(tag: string, i: number, amount: number): RefundRequest {
  const request = benchRequest(`${tag}-${i}`, amount);
  registerBenchOrder(request);
  return request;
}

/** The order of a refundRequest of `amount` EUR, from the order's id alone, for a worker process that never sees the request. */
export function benchOrderOf(orderId: string, amount: number): OrderRecord | undefined {
  return orderId.startsWith(ORDER_PREFIX) ? benchOrderRecord(benchRequest(orderId.slice(ORDER_PREFIX.length), amount)) : undefined;
}

const ORDER_PREFIX = 'ord-';

function benchRequest(id: string, amount: number): RefundRequest {
  return {
    requestId: `req-${id}`,
    tenant: BENCH_TENANT,
    customer: { id: `cust-${id}`, tier: 'standard', region: 'eu' },
    order: { id: `${ORDER_PREFIX}${id}`, amount, currency: 'EUR' },
    message: 'The parcel arrived broken.',
    requestedBy: 'support-bot',
  };
}

let refundPolicy: PolicyBundle | undefined;

/** The model call Arbiter's refund makes for `request`, routed from the shipped policy as its workflow routes it. */
export function modelCallFor(request: RefundRequest): ProposeRefundInput {
  const bundle = (refundPolicy ??= pinBundle(readPolicyFiles(DEFAULT_POLICY_DIR, 'refund')));
  const route = routeModels(bundle, {
    region: request.customer.region,
    estimatedInputTokens: estimateInputTokens(request),
    remainingRunBudgetUsd: bundle.policy.budgets.perRunUsd,
  });
  if (route.candidates.length === 0) throw new Error(`the shipped refund policy routes to no model: ${route.summary}`);
  return { request, candidates: route.candidates, personalFields: bundle.policy.ai.personalFields };
}

function bareRefundInput(request: RefundRequest): BareRefundInput {
  const { candidates, personalFields } = modelCallFor(request);
  return { request, candidates, personalFields };
}
