// The model server down for whole runs: no refund fails for want of a proposal. Each run takes the
// human path (a manual proposal card, stage `awaiting-proposal`), and completes once a person
// proposes and a support lead approves that person's proposal.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { refundWorkflowId } from '../../common/refund-schemas';
import { approvalQuery, explainQuery, refund } from '../../workflows/refund';
import { signalSignedProposal } from '../helpers/decision-key';
import { order } from '../helpers/http-approvals';
import { startStandin } from '../helpers/model-faults';
import { recordingSystems } from '../helpers/recording-systems';
import { bundleWorkflows, startTestServer } from '../helpers/temporal';
import { withArbiterWorkers } from '../helpers/workers';
import { CAROL, signalApproval, waitForStage } from './helpers/approvals';

const RUNS = 10;
const PROPOSER = 'agent-dan';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** The address a stand-in model server answered on, once it has been shut down: every call finds nothing listening. */
async function deadModelUrl(): Promise<string> {
  const standin = await startStandin();
  await standin.close();
  return standin.modelUrl;
}

test('10 refunds with the model server down take the human path, none fails, and all complete after people propose and approve', async () => {
  const modelUrl = await deadModelUrl();
  const requests = Array.from({ length: RUNS }, (_, i) => order(20 + i * 5));
  const workflowIds = requests.map((r) => refundWorkflowId(r.requestId));
  const observed = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, modelUrl }, async (taskQueue) => {
    const handles = await Promise.all(
      requests.map((request, i) => env.client.workflow.start(refund, { taskQueue, workflowId: workflowIds[i]!, args: [request] })),
    );
    await Promise.all(handles.map((handle) => waitForStage(handle, 'awaiting-proposal', 120_000)));
    const waiting = await Promise.all(
      handles.map(async (handle) => ({
        status: (await handle.describe()).status.name,
        card: await handle.query(approvalQuery),
        explanation: await handle.query(explainQuery),
      })),
    );
    const { count: failed } = await env.client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Failed'`);

    await Promise.all(
      handles.map((handle, i) =>
        signalSignedProposal(handle, {
          submittedBy: PROPOSER, roles: ['support-agent'],
          proposal: { action: 'refund', amount: requests[i]!.order.amount, currency: 'EUR', category: 'damaged', confidence: 1, rationale: 'photo shows damage' },
        }),
      ),
    );
    // A person's proposal is reviewed by someone else: the policy does not know the proposer as an agent.
    await Promise.all(handles.map((handle) => waitForStage(handle, 'awaiting-approval')));
    await Promise.all(handles.map((handle) => signalApproval(handle, CAROL)));
    const results = await Promise.all(handles.map((handle) => handle.result()));
    return { waiting, failed, results };
  });

  const { waiting, failed, results } = observed;
  const attempts = waiting.flatMap((w) => w.explanation.modelCalls.flatMap((call) => call.attempts.map((a) => a.outcome)));
  const byOutcome = attempts.reduce<Record<string, number>>((counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }), {});
  console.log(
    `model-down: ${RUNS} runs against a model server that is down; ${waiting.filter((w) => w.status === 'RUNNING').length} running at awaiting-proposal ` +
      `with ${waiting.filter((w) => w.card?.card.kind === 'proposal').length} manual proposal cards, ${failed} failed; model attempts ${JSON.stringify(byOutcome)}; ` +
      `after ${PROPOSER} proposed and carol approved: ${results.filter((r) => r.outcome === 'completed').length} completed`,
  );

  expect(waiting.map((w) => w.status)).toEqual(workflowIds.map(() => 'RUNNING'));
  expect(waiting.map((w) => w.card?.card.kind)).toEqual(workflowIds.map(() => 'proposal'));
  expect(waiting.every((w) => w.explanation.proposals.length === 0)).toBe(true);
  expect(waiting.map((w) => w.explanation.notes[0]?.text)).toEqual(workflowIds.map(() => expect.stringMatching(/^no AI proposal \(no model could propose/)));
  expect(failed).toBe(0);
  expect(results.map((r) => [r.outcome, r.amount])).toEqual(requests.map((r) => ['completed', r.order.amount]));
}, 300_000);
