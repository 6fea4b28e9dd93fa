// The Temporal dev server stopped (SIGKILL) while 100 refunds wait for a support lead, and started
// again on the same SQLite file and port: every run is still there and still waiting, with the
// same card, the search attributes still answer, and every run completes once approved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { ApprovalView } from '../../common/approval-schemas';
import { ARBITER_SEARCH_ATTRIBUTES } from '../../common/constants';
import { refundWorkflowId } from '../../common/refund-schemas';
import { approvalQuery, refund } from '../../workflows/refund';
import { order } from '../helpers/http-approvals';
import { recordingSystems } from '../helpers/recording-systems';
import { bundleWorkflows, uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { withArbiterWorkers } from '../helpers/workers';
import { CAROL, signalApproval } from './helpers/approvals';
import { portOf, startFileBackedServer } from './helpers/file-backed-server';

const RUNS = 100;

let env: TestWorkflowEnvironment | undefined;
let bundle: WorkflowBundle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'arbiter-faults-restart-'));
  bundle = await bundleWorkflows();
}, 120_000);

afterAll(async () => {
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every run's card, read through the `approval` query (a worker must be polling). */
function cardsOf(server: TestWorkflowEnvironment, workflowIds: string[]): Promise<(ApprovalView | null)[]> {
  return Promise.all(workflowIds.map((id) => server.client.workflow.getHandle(id).query(approvalQuery)));
}

test('100 refunds waiting for approval outlive a dev server restart on the same SQLite file, and all complete once approved', async () => {
  const dbFilename = path.join(dataDir, 'temporal.sqlite');
  const taskQueue = uniqueQueue('faults-restart');
  // One recording of the systems across both worker generations, so a step done twice would show.
  const systems = recordingSystems();
  const requests = Array.from({ length: RUNS }, () => order(740));
  const workflowIds = requests.map((r) => refundWorkflowId(r.requestId));
  const waitingQuery = `TaskQueue = '${taskQueue}' AND ArbiterApprovalPending = true AND ExecutionStatus = 'Running'`;

  const first = await startFileBackedServer(dbFilename);
  env = first;
  const port = portOf(first);
  const cardsBefore = await withArbiterWorkers(first, bundle, { integrations: systems.activities, taskQueue }, async () => {
    await Promise.all(requests.map((request, i) => first.client.workflow.start(refund, { taskQueue, workflowId: workflowIds[i]!, args: [request] })));
    await waitFor(async () => (await first.client.workflow.count(waitingQuery)).count === RUNS, `${RUNS} runs waiting for approval`, 240_000);
    return cardsOf(first, workflowIds);
  });

  await first.teardown();
  env = undefined;
  const second = await startFileBackedServer(dbFilename, port);
  env = second;

  // Before any worker polls: what the server alone knows after the restart.
  const { customAttributes } = await second.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  const registered = ARBITER_SEARCH_ATTRIBUTES.filter((key) => key.name in (customAttributes ?? {})).map((key) => key.name);
  const { count: listedWaiting } = await second.client.workflow.count(waitingQuery);
  const statuses = await Promise.all(workflowIds.map(async (id) => (await second.client.workflow.getHandle(id).describe()).status.name));

  const { cardsAfter, results } = await withArbiterWorkers(second, bundle, { integrations: systems.activities, taskQueue }, async () => {
    const cardsAfter = await cardsOf(second, workflowIds);
    await Promise.all(workflowIds.map((id) => signalApproval(second.client.workflow.getHandle(id), CAROL)));
    const results = await Promise.all(workflowIds.map((id) => second.client.workflow.getHandle<typeof refund>(id).result()));
    return { cardsAfter, results };
  });

  const stillPending = cardsAfter.filter((view) => view?.status === 'pending' && view.decisions.length === 0 && view.stillNeeded === 1).length;
  const sameCard = cardsAfter.filter((view, i) => view !== null && view.cardHash === cardsBefore[i]?.cardHash).length;
  const completed = results.filter((r) => r.outcome === 'completed' && r.amount === 740).length;
  const refundsIssued = new Set(systems.keys.issueRefund ?? []).size;
  console.log(
    `server-restart: ${RUNS} runs waiting for one support-lead approval before the dev server was SIGKILLed; after the restart on the same file and port ${port}: ` +
      `${registered.length}/${ARBITER_SEARCH_ATTRIBUTES.length} search attributes registered, ${listedWaiting} listed by ArbiterApprovalPending = true, ` +
      `${statuses.filter((s) => s === 'RUNNING').length} running, ${stillPending} still pending with no decision, ${sameCard} showing the same card hash; ` +
      `after approval ${completed} completed; systems called: ${systems.calls.length} times, ${refundsIssued} distinct refund keys`,
  );

  expect(cardsBefore.map((view) => view?.status)).toEqual(workflowIds.map(() => 'pending'));
  expect(registered).toEqual(ARBITER_SEARCH_ATTRIBUTES.map((key) => key.name));
  expect(listedWaiting).toBe(RUNS);
  expect(statuses).toEqual(workflowIds.map(() => 'RUNNING'));
  expect(stillPending).toBe(RUNS);
  expect(sameCard).toBe(RUNS);
  expect(completed).toBe(RUNS);
  // Four steps per run, each once: no step ran before the approval, none twice after it.
  expect(systems.calls.length).toBe(4 * RUNS);
  expect(refundsIssued).toBe(RUNS);
}, 600_000);
