// `npm run cluster`'s shape end to end: the launcher's own code brings up temporal-server on
// PostgreSQL (schemas, namespace, search attributes) and its Web UI, two workers and two endpoints
// on free ports. The acceptance flows run through the typed client and both endpoint replicas, and
// one replica is killed while approvers decide: the other serves every decision.
import type { PriceChangeResult } from '../../common/price-change-schemas';
import { completedEntry, standInsState } from '../faults/helpers/standins-ledger';
import { httpCall, type HttpAnswer } from '../helpers/http-client';
import { tokenFor } from '../helpers/http-approvals';
import { priceChangeRequest } from '../helpers/price-fixtures';
import { waitFor } from '../helpers/wait';
import { countRuns, ordersExactlyOnce, registeredRefund, secondsSince, startTestCluster, stopTestCluster, WAITING_QUERY, type TestCluster } from './helpers/cluster';

let cluster: TestCluster;

beforeAll(async () => {
  // On a fresh machine the launcher first builds temporal-server, temporal-sql-tool and the UI server (minutes).
  cluster = await startTestCluster('refund');
}, 30 * 60_000);

afterAll(() => stopTestCluster(cluster));

/**
 * The card a run shows through one replica, read as `token`'s holder from `localAddress` (the rate
 * limit counts per address). A replica that does not answer at all throws at once, so the caller can fail over.
 */
async function cardThrough(url: string, workflowId: string, token: string, localAddress?: string): Promise<{ cardHash: string; card: { kind: string } }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await httpCall(url, { path: `/approvals/${workflowId}`, token, localAddress });
    if (answer.status === 200) return answer.body;
    if (Date.now() > deadline) throw new Error(`no card of ${workflowId} through ${url}: ${answer.status} ${answer.text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function decideThrough(url: string, workflowId: string, token: string, cardHash: string, localAddress?: string): Promise<HttpAnswer> {
  return httpCall(url, { path: `/approvals/${workflowId}/decision`, token, json: { decision: 'approve', cardHash }, localAddress });
}

test('a refund and a price change waiting for a person are started through the typed client and decided through both endpoint replicas', async () => {
  const started = Date.now();
  const [first, second] = cluster.endpoints;
  const refund = await registeredRefund(cluster, 740);
  const priceChange = priceChangeRequest('Clearance of winter stock', ['SKU-C']);
  const refundRun = await cluster.client.startRefund(refund);
  const priceRun = await cluster.client.startPriceChange(priceChange);

  const lead = await tokenFor('carol', ['support-lead']);
  const manager = await tokenFor('pm-1', ['pricing-manager']);
  // Each card read on one replica and decided on the other: neither keeps state of its own.
  const refundCard = await cardThrough(first!.url, refundRun.workflowId, lead);
  const priceCard = await cardThrough(second!.url, priceRun.workflowId, manager);
  const refundAnswer = await decideThrough(second!.url, refundRun.workflowId, lead, refundCard.cardHash);
  const priceAnswer = await decideThrough(first!.url, priceRun.workflowId, manager, priceCard.cardHash);

  const refundResult = await cluster.client.refundResult(refundRun.workflowId);
  const priceResult: PriceChangeResult = await cluster.client.priceChangeResult(priceRun.workflowId);
  const state = (await standInsState(cluster.standInsUrl)) as Awaited<ReturnType<typeof standInsState>> & { priceLedger: { sku: string; price: number; changesApplied: number; publicationsMade: number }[] };
  const sku = priceChange.skus[0]!.sku;
  console.log(
    `acceptance: refund card via ${first!.name}, decided via ${second!.name} (${refundAnswer.status}), outcome ${refundResult.outcome}; ` +
      `price change card via ${second!.name}, decided via ${first!.name} (${priceAnswer.status}), outcome ${priceResult.outcome}; in ${secondsSince(started)} s`,
  );
  expect([refundAnswer.status, priceAnswer.status]).toEqual([202, 202]);
  expect(refundResult.outcome).toBe('completed');
  expect(state.ledger.find((e) => e.orderId === refund.order.id)).toEqual(completedEntry(refund.order.id, 740));
  expect(priceResult.outcome).toBe('completed');
  expect(state.priceLedger.find((e) => e.sku === sku)).toMatchObject({ price: 80, changesApplied: 1, publicationsMade: 2 });
});

test("Temporal's Web UI answers and reaches the server", async () => {
  const response = await fetch(`http://127.0.0.1:${cluster.options.ui && cluster.options.ui.port}/api/v1/namespaces/default`);
  expect(response.status).toBe(200);
});

test('one endpoint replica killed while approvers decide: the other serves every decision, and every run completes once', async () => {
  const RUNS = 30;
  const KILL_AFTER = 10;
  const started = Date.now();
  const [first, second] = cluster.endpoints;
  const lead = await tokenFor('carol', ['support-lead']);
  const requests = await Promise.all(Array.from({ length: RUNS }, () => registeredRefund(cluster, 740)));
  const runs = await Promise.all(requests.map((request) => cluster.client.startRefund(request)));
  const ids = new Set(runs.map((r) => r.workflowId));
  await waitFor(async () => (await countRuns(cluster, WAITING_QUERY)) >= RUNS, `${RUNS} runs waiting for approval`, 120_000);

  const servedBy: Record<string, number> = { [first!.name]: 0, [second!.name]: 0 };
  let failedOver = 0;
  let decided = 0;
  let killed: Promise<void> | undefined;
  /** Alternates replicas as a load balancer would; a replica that does not answer is tried no more for this decision. */
  async function decide(workflowId: string, index: number): Promise<number | 'decided-before-the-kill'> {
    // An address of each approver's own, so the per-address rate limit meets no test-made crowd.
    const localAddress = `127.0.0.${10 + index}`;
    const order = index % 2 === 0 ? [first!, second!] : [second!, first!];
    for (const [attempt, endpoint] of order.entries()) {
      try {
        if (attempt > 0) {
          failedOver++;
          // The replica that died may have passed the decision on before it could answer: the run says so.
          if ((await cluster.client.approval(workflowId))?.status !== 'pending') return 'decided-before-the-kill';
        }
        const card = await cardThrough(endpoint.url, workflowId, lead, localAddress);
        const status = (await decideThrough(endpoint.url, workflowId, lead, card.cardHash, localAddress)).status;
        servedBy[endpoint.name]!++;
        return status;
      } catch (err) {
        if (attempt === order.length - 1) throw err;
      }
    }
    throw new Error('unreachable');
  }
  const statuses: (number | 'decided-before-the-kill')[] = [];
  // Three approvers at a time, so the kill lands while decisions are in flight on both replicas.
  const queue = runs.map((run, index) => ({ workflowId: run.workflowId, index }));
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        statuses.push(await decide(next.workflowId, next.index));
        if (++decided === KILL_AFTER) killed = cluster.platform.kill(first!.name);
      }
    }),
  );
  await killed;
  const results = await Promise.all(runs.map((run) => cluster.client.refundResult(run.workflowId)));
  const state = await standInsState(cluster.standInsUrl);
  const once = ordersExactlyOnce(state, requests.map((request) => ({ request })));
  const outcomes = results.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.outcome]: (counts[r.outcome] ?? 0) + 1 }), {});
  console.log(
    `endpoint failover: ${RUNS} runs waiting; ${first!.name} SIGKILLed after ${KILL_AFTER} decisions; decisions served ${JSON.stringify(servedBy)}, ` +
      `${failedOver} failed over to the other replica; answers ${JSON.stringify(countsOf(statuses))}; outcomes ${JSON.stringify(outcomes)}; ` +
      `${once}/${RUNS} orders with each effect exactly once; in ${secondsSince(started)} s`,
  );
  expect(ids.size).toBe(RUNS);
  // A decision the killed replica took but never answered shows as decided on the other: at most the three in flight.
  expect(statuses.filter((s) => s !== 202 && s !== 'decided-before-the-kill')).toEqual([]);
  expect(statuses.filter((s) => s === 'decided-before-the-kill').length).toBeLessThanOrEqual(3);
  expect(results.map((r) => r.outcome)).toEqual(runs.map(() => 'completed'));
  expect(once).toBe(RUNS);
  expect(servedBy[second!.name]).toBeGreaterThan(RUNS / 2);
  // The survivor still answers.
  expect((await fetch(`${second!.url}/healthz`)).status).toBe(200);
});

function countsOf(values: (number | string)[]): Record<string, number> {
  return values.reduce<Record<string, number>>((counts, v) => ({ ...counts, [v]: (counts[v] ?? 0) + 1 }), {});
}
