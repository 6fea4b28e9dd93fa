// Arbiter's metrics over real HTTP, against a real dev server, the stand-in systems and the
// stand-in model server: the workers' runtime serves Prometheus (the SDK's metrics and Arbiter's),
// the endpoint serves its own on a listener of its own, and after the demo's refund scenarios and
// a few runs of the other kinds each count equals what the runs themselves record.
import net from 'node:net';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { EndpointMetric, ModelMetric, WorkflowMetric } from '../common/metric-names';
import type { RefundRequest } from '../common/refund-schemas';
import type { StepLogEntry } from '../common/saga-schemas';
import { DEFAULT_POLICY_DIR, policyAgentIdsIn } from '../policies/load';
import { processNamed } from '../processes';
import { demoPlan } from '../processes/refund.demo';
import { createLogger } from '../runtime/logger';
import { createApprovalServer, type ApprovalServer } from '../server/app';
import { createTokenVerifier } from '../server/auth';
import { createEndpointMetrics, createMetricsServer, type MetricsServer } from '../server/metrics';
import { approvalDecisionSignal } from '../workflows/approval';
import { resolveCompensationSignal } from '../workflows/saga';
import type { Explanation } from '../workflows/trace';
import type { ArbiterClient } from '../client';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { testDecisionKey } from './helpers/decision-key';
import { fixtureLookups } from './helpers/fixture-lookups';
import { httpCall } from './helpers/http-client';
import { order, TEST_SECRET, tokenFor, waitForCard } from './helpers/http-approvals';
import { testDataConverter } from './helpers/payload-keys';
import { copyPolicies } from './helpers/policies';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { uniqueQueue } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const METRICS_TOKEN = 'metrics-test-token';

/** Chosen before the dev server starts: the useArbiterWithStandIns hook below reads it in its beforeAll. */
let workerMetricsPort = 0;
beforeAll(async () => {
  workerMetricsPort = await freePort();
});
const arbiter = useArbiterWithStandIns({
  name: 'metrics',
  get metricsAddress() {
    return `127.0.0.1:${workerMetricsPort}`;
  },
});

let approvals: ApprovalServer;
let metricsServer: MetricsServer;
let approvalsUrl: string;
let endpointMetricsUrl: string;

beforeAll(async () => {
  const env: TestWorkflowEnvironment = arbiter.env;
  const logger = createLogger('metrics-test', { level: 'silent' });
  // Every scrape reads visibility afresh: the test looks right after a run moves.
  const metrics = createEndpointMetrics(env.client, logger, { minIntervalMs: 0 });
  approvals = createApprovalServer({
    decisionKey: testDecisionKey(),
    temporal: env.client,
    verifyToken: createTokenVerifier({ secret: TEST_SECRET }),
    logger,
    agentIds: policyAgentIdsIn(DEFAULT_POLICY_DIR),
    metrics,
  });
  approvalsUrl = `http://127.0.0.1:${await approvals.listen(0)}`;
  metricsServer = createMetricsServer(metrics, { token: METRICS_TOKEN, logger });
  endpointMetricsUrl = `http://127.0.0.1:${await metricsServer.listen(0)}`;
});

afterAll(async () => {
  await metricsServer?.close();
  await approvals?.close();
});

/** One scrape: every sample as its name, labels and value. */
type Sample = { name: string; labels: Record<string, string>; value: number };

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const answer = await httpCall(url, { path: '/metrics', token });
  expect(answer.status).toBe(200);
  return parseExposition(answer.text);
}
const scrapeWorker = () => scrape(`http://127.0.0.1:${workerMetricsPort}`);
const scrapeEndpoint = () => scrape(endpointMetricsUrl, METRICS_TOKEN);

/** The sum of a metric's samples whose labels include `match`, over every other label (task queue, namespace...). */
function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** What a counter of the worker's runtime rose by since `before`; the runtime adds `_total`. */
const rise = (before: Sample[], after: Sample[], name: string, match: Record<string, string> = {}) =>
  total(after, `${name}_total`, match) - total(before, `${name}_total`, match);

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Waits until the worker's metrics show `name` risen by at least `expected`, then answers the scrape. */
async function workerScrapeOnce(before: Sample[], name: string, match: Record<string, string>, expected: number): Promise<Sample[]> {
  return waitFor(async () => {
    const now = await scrapeWorker();
    return rise(before, now, name, match) >= expected && now;
  }, `${name} ${JSON.stringify(match)} to rise by ${expected}`, 60_000);
}

/** Decides as the demo does: the card as shown now, then the decision, with the approver's own token. */
async function decideOverHttp(workflowId: string, decision: { decision: 'approve' | 'reject'; approver: { id: string; roles: string[] }; comment?: string }) {
  const token = await tokenFor(decision.approver.id, decision.approver.roles);
  const { cardHash } = await waitForCard(approvalsUrl, token, workflowId, 'approval');
  return httpCall(approvalsUrl, { path: `/approvals/${encodeURIComponent(workflowId)}/decision`, token, json: { decision: decision.decision, comment: decision.comment, cardHash } });
}

/** What the worker's counters must have risen by, read from the runs' own traces and step logs. */
function expectedFromRuns(runs: { outcome: string; trace: Explanation; steps: StepLogEntry[] }[]) {
  const outcomes = countBy(runs, (r) => r.outcome);
  const policy = countBy(runs.flatMap((r) => r.trace.decisions), (d) => d.outcome);
  const people = countBy(runs.flatMap((r) => r.trace.approval?.decisions ?? []), (d) => d.decision);
  const compensations = countBy(runs.flatMap((r) => r.steps.filter((s) => s.kind === 'compensation' && s.status !== 'retrying')), (s) => s.status);
  const calls = runs.flatMap((r) => r.trace.costs.calls);
  return {
    outcomes,
    policy,
    people,
    compensations,
    refused: runs.reduce((n, r) => n + r.trace.refusedDecisions.length, 0),
    tokensIn: calls.reduce((n, c) => n + c.tokensIn, 0),
    tokensOut: calls.reduce((n, c) => n + c.tokensOut, 0),
    spendUsd: calls.reduce((n, c) => n + c.costUsd, 0),
    calls: calls.length,
  };
}

describe('metrics', () => {
  it("counts the demo's refund scenarios: runs by outcome, policy and people's decisions, refusals, compensations and model spend; the endpoint shows approvals pending", async () => {
    const plan = demoPlan(`m${Date.now().toString(36)}`);
    await plan.setUp!(arbiter.standInsUrl);
    const refundProcess = processNamed('refund')!;
    const before = await scrapeWorker();
    const endpointBefore = await scrapeEndpoint();

    const { runs, answers, pendingSeen } = await arbiter.withArbiter(async (client) => {
      const started = await Promise.all(plan.scenarios.map((s) => client.start('refund', s.request)));
      const waiting = plan.scenarios.map((s, i) => ({ s, id: started[i]!.workflowId })).filter(({ s }) => s.approvals?.length);
      // While the approval scenarios wait, the endpoint counts them, with the age and the expiry of their cards.
      const pendingSeen = await waitFor(async () => {
        const samples = await scrapeEndpoint();
        return total(samples, EndpointMetric.approvalsPending, { process: 'refund', tenant: 'acme', kind: 'approval' }) === waiting.length && samples;
      }, `${waiting.length} approvals pending on the endpoint`, 90_000);

      const answers: { status: number; code?: string }[] = [];
      await Promise.all(
        waiting.map(async ({ s, id }) => {
          if (s.forgedBy) await forgeDecision(client, id, s.forgedBy);
          for (const decision of s.approvals ?? []) {
            const answer = await decideOverHttp(id, decision);
            expect(answer.status).toBe(decision.expectStatus);
            answers.push({ status: answer.status, code: answer.body?.code });
          }
        }),
      );
      const runs = await Promise.all(
        started.map(async ({ workflowId }) => {
          const result = await client.result(refundProcess, workflowId);
          return { outcome: result.outcome, trace: await client.explain(workflowId), steps: await client.stepLog(workflowId) };
        }),
      );
      return { runs, answers, pendingSeen };
    });

    expect(runs.map((r) => r.outcome)).toEqual(plan.scenarios.map((s) => s.expected));
    const expected = expectedFromRuns(runs);
    const after = await workerScrapeOnce(before, WorkflowMetric.runsFinished, {}, runs.length);
    for (const [outcome, count] of expected.outcomes) expect([outcome, rise(before, after, WorkflowMetric.runsFinished, { process: 'refund', tenant: 'acme', outcome })]).toEqual([outcome, count]);
    expect(rise(before, after, WorkflowMetric.runsFinished)).toBe(runs.length);
    for (const [outcome, count] of expected.policy) expect([outcome, rise(before, after, WorkflowMetric.policyDecisions, { outcome })]).toEqual([outcome, count]);
    for (const [outcome, count] of expected.people) expect([outcome, rise(before, after, WorkflowMetric.approvalDecisions, { outcome })]).toEqual([outcome, count]);
    for (const [status, count] of expected.compensations) expect([status, rise(before, after, WorkflowMetric.compensations, { status })]).toEqual([status, count]);
    expect(expected.compensations.get('compensated')).toBeGreaterThan(0);
    // The forged signal: refused by the run, as unsigned.
    expect(expected.refused).toBe(1);
    expect(rise(before, after, WorkflowMetric.decisionsRefused, { process: 'refund', tenant: 'acme', code: 'unsigned' })).toBe(1);
    expect(rise(before, after, WorkflowMetric.decisionsRefused)).toBe(expected.refused);

    // Spend as the traces account it: every billed completion, in millionths of a USD (rounded per completion).
    expect(rise(before, after, ModelMetric.tokens, { tenant: 'acme', direction: 'input' })).toBe(expected.tokensIn);
    expect(rise(before, after, ModelMetric.tokens, { tenant: 'acme', direction: 'output' })).toBe(expected.tokensOut);
    expect(expected.tokensIn).toBeGreaterThan(0);
    expect(Math.abs(rise(before, after, ModelMetric.spendMicroUsd, { tenant: 'acme' }) - expected.spendUsd * 1_000_000)).toBeLessThanOrEqual(expected.calls * 8);
    expect(rise(before, after, ModelMetric.completions, { outcome: 'ok' })).toBeGreaterThan(0);
    expect(total(after, ModelMetric.budgetUsedRatio, { tenant: 'acme' })).toBeGreaterThan(0);
    // The SDK's own metrics come out of the same endpoint.
    expect(after.some((s) => s.name.startsWith('temporal_'))).toBe(true);

    // The endpoint: the waiting cards as they were, and the refusal it answered itself (the requester approving).
    const age = total(pendingSeen, EndpointMetric.approvalOldestAgeSeconds, { process: 'refund', tenant: 'acme', kind: 'approval' });
    const expiry = total(pendingSeen, EndpointMetric.approvalNextExpirySeconds, { process: 'refund', tenant: 'acme', kind: 'approval' });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(120);
    expect(expiry).toBeGreaterThan(0);
    const endpointAfter = await scrapeEndpoint();
    expect(total(endpointAfter, EndpointMetric.approvalsPending)).toBe(0);
    const refusedHere = answers.filter((a) => a.status >= 400);
    expect(refusedHere).toHaveLength(1);
    const refusals = (samples: typeof endpointAfter) => total(samples, EndpointMetric.refusals, { process: 'refund', tenant: 'acme', code: refusedHere[0]!.code!, attempted: 'decision' });
    expect(refusals(endpointAfter) - refusals(endpointBefore)).toBe(1);
    expect(total(endpointAfter, EndpointMetric.visibilityUp)).toBe(1);
    // Eight runs whose agents investigate over several turns, on cores shared with other test files.
  }, 240_000);

  it("counts model calls refused for the run's budget and for the tenant's day, by budget", async () => {
    const before = await scrapeWorker();
    /** Runs one refund under a policy with these budgets to the human path, and answers its trace. */
    const refusedRun = (budgets: { perRunUsd?: number; perTenantDailyUsd?: number }) =>
      arbiter.withArbiter(
        async (client) => {
          const { workflowId } = await client.start('refund', refundRequest({ tenant: 'acme', requestedBy: 'alice' }));
          // No model can be paid for: the run asks a person for the proposal.
          await waitFor(async () => (await client.getStatus(workflowId)).stage === 'awaiting-proposal', 'the human path');
          const trace = await client.explain(workflowId);
          await client.temporal.workflow.getHandle(workflowId).terminate('test done: nobody proposes');
          return trace;
        },
        { integrations: recordingSystems().activities, lookups: fixtureLookups(), policyDir: copyPolicies((p) => Object.assign(p.budgets as object, budgets)) },
      );
    const day = await refusedRun({ perTenantDailyUsd: 0 });
    expect(day.modelCalls.at(-1)?.budget).toMatch(/reserved 0\.0000 USD/);
    const run = await refusedRun({ perRunUsd: 0 });
    expect(run.modelCalls.at(-1)?.route).toMatch(/would break the run budget/);
    const after = await workerScrapeOnce(before, WorkflowMetric.budgetRefusals, {}, 2);
    expect(rise(before, after, WorkflowMetric.budgetRefusals, { process: 'refund', tenant: 'acme', budget: 'tenant-day' })).toBe(1);
    expect(rise(before, after, WorkflowMetric.budgetRefusals, { process: 'refund', tenant: 'acme', budget: 'run' })).toBe(1);
    expect(rise(before, after, WorkflowMetric.budgetRefusals)).toBe(2);
  });

  it('counts a stuck compensation once though its run replays on new workers, and the endpoint shows it stuck until an operator resolves it', async () => {
    const before = await scrapeWorker();
    const taskQueue = uniqueQueue('metrics-stuck');
    const request: RefundRequest = refundRequest({ requestedBy: 'alice' });
    const stuckWhile = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.start('refund', request);
        await waitFor(async () => (await client.getStatus(workflowId)).stage === 'compensation-stuck', 'a stuck compensation');
        const samples = await waitFor(async () => {
          const now = await scrapeEndpoint();
          return total(now, EndpointMetric.compensationsStuck, { process: 'refund', tenant: 'acme' }) === 1 && now;
        }, 'the endpoint to show the stuck run');
        return { workflowId, samples };
      },
      { integrations: recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { releaseFunds: 99 } }).activities, lookups: fixtureLookups(), taskQueue },
    );
    expect(total(stuckWhile.samples, EndpointMetric.compensationsStuck)).toBe(1);

    // New workers on the same queue replay the run from its history, then an operator retries the undo.
    const outcome = await arbiter.withArbiter(
      async (client) => {
        await client.temporal.workflow.getHandle(stuckWhile.workflowId).signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'retry', operator: 'ops-anna' });
        const result = await client.result(processNamed('refund')!, stuckWhile.workflowId);
        return { outcome: result.outcome, steps: await client.stepLog(stuckWhile.workflowId) };
      },
      { integrations: recordingSystems().activities, lookups: fixtureLookups(), taskQueue },
    );
    expect(outcome.outcome).toBe('compensated');
    const statuses = countBy(outcome.steps.filter((s) => s.kind === 'compensation'), (s) => s.status);
    const after = await workerScrapeOnce(before, WorkflowMetric.runsFinished, { outcome: 'compensated' }, 1);
    expect(rise(before, after, WorkflowMetric.compensations, { status: 'stuck' })).toBe(statuses.get('stuck'));
    expect(statuses.get('stuck')).toBe(1);
    expect(rise(before, after, WorkflowMetric.compensations, { status: 'compensated' })).toBe(statuses.get('compensated'));
    expect(rise(before, after, WorkflowMetric.runsFinished, { outcome: 'compensated' })).toBe(1);
    const endpointAfter = await waitFor(async () => {
      const now = await scrapeEndpoint();
      return total(now, EndpointMetric.compensationsStuck) === 0 && now;
    }, 'the stuck gauge to clear');
    expect(total(endpointAfter, EndpointMetric.compensationsStuck)).toBe(0);
  }, 120_000);

  it("reads a waiting card once, however often Prometheus scrapes, and still shows its age", async () => {
    // The endpoint's metrics on a client of their own, which counts the queries they send each run.
    const queried: string[] = [];
    const counting = new Client({
      connection: arbiter.env.connection,
      dataConverter: testDataConverter(),
      interceptors: {
        workflow: [
          {
            async query(input, next) {
              queried.push(input.workflowExecution.workflowId);
              return next(input);
            },
          },
        ],
      },
    });
    const metrics = createEndpointMetrics(counting, createLogger('metrics-test', { level: 'silent' }), { minIntervalMs: 0 });
    const waitingCard = { process: 'refund', tenant: 'acme', kind: 'approval' };
    const scrapeOwn = async () => {
      await metrics.refresh();
      return parseExposition(await metrics.registry.metrics());
    };
    await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.start('refund', order(300));
        const reads = () => queried.filter((id) => id === workflowId).length;
        try {
          await waitFor(async () => (await scrapeOwn()) && reads() > 0, 'the first scrape that lists the run to read its card');
          const later = [await scrapeOwn(), await scrapeOwn()];
          expect(reads()).toBe(1);
          for (const samples of later) {
            expect(total(samples, EndpointMetric.approvalsPending, waitingCard)).toBe(1);
            expect(total(samples, EndpointMetric.approvalOldestAgeSeconds, waitingCard)).toBeGreaterThanOrEqual(0);
            expect(total(samples, EndpointMetric.approvalNextExpirySeconds, waitingCard)).toBeGreaterThan(0);
            expect(samples.some((s) => s.name === EndpointMetric.approvalOldestAgeSeconds)).toBe(true);
          }
        } finally {
          await client.temporal.workflow.getHandle(workflowId).terminate('the test has read what it needs');
        }
      },
      { integrations: recordingSystems().activities, lookups: fixtureLookups() },
    );
  }, 120_000);

  it("serves the endpoint's metrics on their own listener only, to the token, with no body", async () => {
    expect((await httpCall(endpointMetricsUrl, { path: '/metrics' })).status).toBe(401);
    expect((await httpCall(endpointMetricsUrl, { path: '/metrics', token: 'wrong' })).status).toBe(401);
    expect((await httpCall(endpointMetricsUrl, { path: '/metrics', token: METRICS_TOKEN, method: 'GET', raw: 'x', contentType: 'text/plain' })).status).toBe(413);
    expect((await httpCall(endpointMetricsUrl, { path: '/metrics', token: METRICS_TOKEN, json: {} })).status).toBe(405);
    expect((await httpCall(endpointMetricsUrl, { path: '/approvals', token: METRICS_TOKEN })).status).toBe(404);
    expect((await httpCall(approvalsUrl, { path: '/metrics' })).status).toBe(404);
  });
});

/** A decision signalled straight to the run under an approver's name, unsigned, past the endpoint. */
async function forgeDecision(client: ArbiterClient, workflowId: string, approver: { id: string; roles: string[] }): Promise<void> {
  const view = await waitFor(async () => (await client.approval(workflowId)) ?? undefined, `a card on ${workflowId}`);
  await client.temporal.workflow.getHandle(workflowId).signal(approvalDecisionSignal, { decision: 'approve', approver, cardHash: view.cardHash });
  await waitFor(async () => (await client.explain(workflowId)).refusedDecisions.length > 0, 'the run to refuse the forged decision');
}

/** Prometheus's text format: `name{label="value",...} value`; comments and blank lines skipped. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
