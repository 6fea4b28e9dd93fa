// Faults on the cluster (`npm run cluster`'s shape): temporal-server SIGKILLed and started again on
// its PostgreSQL while 100 refunds wait for a support lead, and one of the two worker processes
// SIGKILLed while 100 refund sagas run. The stand-ins' ledger shows every effect exactly once.
import { CRM_REJECT_PREFIX } from '../../standins/crm';
import { FLAKY_ORDER_PREFIX } from '../../standins/idempotency';
import type { RefundResult } from '../../client';
import { CAROL, signalApproval } from '../faults/helpers/approvals';
import { effectCount, standInsState } from '../faults/helpers/standins-ledger';
import { waitFor } from '../helpers/wait';
import { countRuns, ordersExactlyOnce, registeredRefund, secondsSince, startTestCluster, stopTestCluster, WAITING_QUERY, type TestCluster } from './helpers/cluster';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster('faults');
}, 30 * 60_000);

afterAll(() => stopTestCluster(cluster));

function outcomesOf(results: RefundResult[]): Record<string, number> {
  return results.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.outcome]: (counts[r.outcome] ?? 0) + 1 }), {});
}

test('100 refunds waiting for approval outlive a temporal-server SIGKILL and restart, and all complete once approved', async () => {
  const RUNS = 100;
  const started = Date.now();
  const requests = await Promise.all(Array.from({ length: RUNS }, () => registeredRefund(cluster, 740)));
  const runs = await Promise.all(requests.map((request) => cluster.client.startRefund(request)));
  await waitFor(async () => (await countRuns(cluster, WAITING_QUERY)) === RUNS, `${RUNS} runs waiting for approval`, 240_000);

  const restartedAt = Date.now();
  await cluster.platform.restart('temporal');
  const restartSeconds = secondsSince(restartedAt);
  // What the restarted server alone knows, before anyone decides.
  const waitingAfter = await waitFor(async () => (await countRuns(cluster, WAITING_QUERY)) === RUNS && RUNS, `${RUNS} runs listed waiting after the restart`, 60_000).catch(() => 0);

  const handles = runs.map((run) => cluster.client.temporal.workflow.getHandle(run.workflowId));
  // The workers reconnect on their own: the card query needs one.
  await Promise.all(handles.map((handle) => waitFor(() => signalApproval(handle, CAROL).then(() => true), `approving ${handle.workflowId}`, 120_000)));
  const results = await Promise.all(runs.map((run) => cluster.client.refundResult(run.workflowId)));
  const state = await standInsState(cluster.standInsUrl);
  const once = ordersExactlyOnce(state, requests.map((request) => ({ request, compensates: false })));
  console.log(
    `server restart: ${RUNS} runs waiting; temporal-server SIGKILLed and answering again in ${restartSeconds} s; ${waitingAfter}/${RUNS} listed waiting after; ` +
      `approved by signal: outcomes ${JSON.stringify(outcomesOf(results))}; ${once}/${RUNS} orders with each effect exactly once; in ${secondsSince(started)} s`,
  );
  expect(waitingAfter).toBe(RUNS);
  expect(results.map((r) => r.outcome)).toEqual(runs.map(() => 'completed'));
  expect(once).toBe(RUNS);
}, 600_000);

test('one of two worker processes SIGKILLed while 100 refund sagas run: every run reaches its outcome, each effect once on the ledger', async () => {
  const RUNS = { plain: 70, compensate: 15, flaky: 15 } as const;
  /** Each run changes the systems four times: reserve, refund, case update and message, or reserve, refund, reverse and release. */
  const EFFECTS_PER_RUN = 4;
  const started = Date.now();
  const effectsBefore = effectCount(await standInsState(cluster.standInsUrl));
  const closedQuery = `WorkflowType = 'refund' AND ExecutionStatus != 'Running'`;
  const closedBefore = await countRuns(cluster, closedQuery);
  const kinds = (Object.keys(RUNS) as (keyof typeof RUNS)[]).flatMap((kind) => Array.from({ length: RUNS[kind] }, () => kind));
  // Under the 50 EUR automatic limit, so no person is asked.
  const runs = await Promise.all(
    kinds.map(async (kind, i) => ({
      compensates: kind === 'compensate',
      request: await registeredRefund(cluster, 10 + (i % 40), kind === 'compensate' ? CRM_REJECT_PREFIX : kind === 'flaky' ? FLAKY_ORDER_PREFIX : ''),
    })),
  );
  const totalEffects = kinds.length * EFFECTS_PER_RUN;
  const started100 = await Promise.all(runs.map((run) => cluster.client.startRefund(run.request)));
  // Kill a third of the way in, with sagas in flight on both workers.
  const killAt = Math.round(totalEffects / 3);
  const effectsAtKill = await waitFor(
    async () => {
      const effects = effectCount(await standInsState(cluster.standInsUrl)) - effectsBefore;
      return effects >= killAt && effects;
    },
    `the ledger to reach ${killAt} effects`,
    240_000,
  );
  const closedAtKill = (await countRuns(cluster, closedQuery)) - closedBefore;
  await cluster.platform.kill('worker-1');

  const results = await Promise.all(started100.map((run) => cluster.client.refundResult(run.workflowId)));
  const state = await standInsState(cluster.standInsUrl);
  const once = ordersExactlyOnce(state, runs);
  const effects = effectCount(state) - effectsBefore;
  console.log(
    `worker kill: ${kinds.length} sagas ${JSON.stringify(RUNS)}; worker-1 SIGKILLed at ${effectsAtKill} effects (${closedAtKill}/${kinds.length} sagas closed by then); ` +
      `outcomes ${JSON.stringify(outcomesOf(results))}; ledger: ${effects} effects (expected ${totalEffects}), ${once}/${kinds.length} orders with each effect exactly once; in ${secondsSince(started)} s`,
  );
  expect(results.map((r) => r.outcome)).toEqual(runs.map((run) => (run.compensates ? 'compensated' : 'completed')));
  expect(once).toBe(kinds.length);
  expect(effects).toBe(totalEffects);
}, 600_000);
