// The workflow's own guard on approvals, on a real dev server: it re-checks decisions that reach
// it from anywhere (the `temporal` CLI included), answers the `decide` update exactly, and keeps
// waiting runs across a worker restart.
import { registerOrderOf } from './helpers/payments-record';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { RefundRequest } from '../common/refund-schemas';
import { findTemporalCli } from '../runtime/temporal-cli';
import { approvalDecisionSignal, approvalQuery, decideUpdate, explainQuery, refund } from '../workflows/refund';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { bundleWorkflows, startTestServer, uniqueQueue } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { withArbiterWorkers } from './helpers/workers';
import { signalSignedDecision, signedFor } from './helpers/decision-key';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

const carol = { id: 'carol', roles: ['support-lead'] };

function order(amount: number): RefundRequest {
  const request = refundRequest({ message: 'The parcel arrived broken.', requestedBy: 'alice' });
  request.order.amount = amount;
  // Payments knows the order as the request describes it.
  registerOrderOf(request);
  return request;
}

async function startAwaiting(taskQueue: string, amount = 740): Promise<{ handle: WorkflowHandle<typeof refund>; cardHash: string }> {
  const request = order(amount);
  const handle = await env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
  const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
  return { handle, cardHash: view.cardHash };
}

async function refusals(handle: WorkflowHandle, count: number): Promise<string[]> {
  return waitFor(async () => {
    const refused = (await handle.query(explainQuery)).refusedDecisions;
    return refused.length >= count && refused.map((r) => r.reason);
  }, `${count} refused decision(s)`);
}

describe('approval guard in the workflow', () => {
  it('refuses an unsigned decision signalled with the temporal CLI, and signed ones by the requester or on a stale card', async () => {
    const cli = findTemporalCli();
    const { reasons, status } = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities }, async (taskQueue) => {
      const { handle, cardHash } = await startAwaiting(taskQueue);
      const signal = (payload: unknown) =>
        promisify(execFile)(cli, [
          'workflow', 'signal', '--address', env.address, '--workflow-id', handle.workflowId,
          '--name', 'approvalDecision', '--input', JSON.stringify(payload),
        ]);
      // Anyone who can reach Temporal can claim carol's id and role; without the endpoint's signature it does not count.
      await signal({ decision: 'approve', approver: carol, cardHash });
      await signal({ decision: 'approve', approver: carol });
      // Signed as the endpoint would sign them, the run still applies its own rules.
      await signalSignedDecision(handle, { decision: 'approve', approver: { id: 'alice', roles: ['support-lead'] }, cardHash });
      await signalSignedDecision(handle, { decision: 'approve', approver: carol, cardHash: 'f'.repeat(64) });
      const reasons = await refusals(handle, 4);
      const status = (await handle.query(approvalQuery))?.status;
      await handle.terminate('test done');
      return { reasons, status };
    });
    expect(reasons).toEqual([
      'not signed by the approvers endpoint, and the policy takes no unsigned decisions',
      expect.stringMatching(/^malformed decision: cardHash/),
      'alice requested or proposed this action and may not decide it',
      'the decision was made on an outdated card; reload it and decide again',
    ]);
    expect(status).toBe('pending');
  });

  it('counts a decision delivered five times once', async () => {
    const { decisions, result } = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities }, async (taskQueue) => {
      const { handle, cardHash } = await startAwaiting(taskQueue, 3000);
      const fin1 = await signedFor(handle, { decision: 'approve', approver: { id: 'fin-1', roles: ['finance'] }, cardHash, decisionId: 'd-1' });
      for (let i = 0; i < 5; i++) await handle.signal(approvalDecisionSignal, fin1);
      await waitFor(async () => (await handle.query(approvalQuery))?.decisions.length === 1, 'one decision');
      const decisions = (await handle.query(approvalQuery))?.decisions.length;
      await signalSignedDecision(handle, { ...fin1, signature: undefined, approver: { id: 'fin-2', roles: ['finance'] }, decisionId: 'd-2' });
      return { decisions, result: await handle.result() };
    });
    expect(decisions).toBe(1);
    expect(result.outcome).toBe('completed');
  });

  it('answers the decide update with a receipt, and refuses a breaking one without writing history', async () => {
    const { receipt, error, lengthBefore, lengthAfter } = await withArbiterWorkers(
      env,
      bundle,
      { integrations: recordingSystems().activities },
      async (taskQueue) => {
        const { handle, cardHash } = await startAwaiting(taskQueue, 3000);
        const lengthBefore = (await handle.describe()).historyLength;
        const error = await handle
          .executeUpdate(decideUpdate, { args: [await signedFor(handle, { decision: 'approve', approver: carol, cardHash })] })
          .catch((e: unknown) => e);
        const lengthAfter = (await handle.describe()).historyLength;
        const receipt = await handle.executeUpdate(decideUpdate, {
          args: [await signedFor(handle, { decision: 'approve', approver: { id: 'fin-1', roles: ['finance'] }, cardHash })],
        });
        await handle.terminate('test done');
        return { receipt, error, lengthBefore, lengthAfter };
      },
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    // The refusal's code is the failure's type, which the endpoint maps to a status without reading the message.
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect([(cause as ApplicationFailure).type, cause?.message]).toEqual(['role', expect.stringMatching(/^carol holds none of the roles/)]);
    expect(lengthAfter).toBe(lengthBefore);
    expect(receipt).toEqual({ status: 'pending', stillNeeded: 1, duplicate: false });
  });

  it('keeps 100 runs waiting across a worker restart, then completes all on approval', async () => {
    const systems = recordingSystems();
    const taskQueue = uniqueQueue('restart');
    const requests = Array.from({ length: 100 }, () => order(120));
    // First worker: start the runs and let each reach its approval wait, then stop the worker.
    await withArbiterWorkers(env, bundle, { integrations: systems.activities, taskQueue }, async () => {
      await Promise.all(
        requests.map((r) => env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${r.requestId}`, args: [r] })),
      );
      // One visibility count instead of a hundred describes: the operators' own filter.
      await waitFor(async () => {
        const { count } = await env.client.workflow.count(`TaskQueue = '${taskQueue}' AND ArbiterStage = 'awaiting-approval'`);
        return count === 100;
      }, 'all 100 runs awaiting approval', 120_000);
    });
    // No worker polls now. A new one picks the waits up from history and finishes each run.
    // Each first query replays a run's history on the new worker: ten at a time keeps two cores
    // from timing queries out, and a query that still times out is asked again.
    const results = await withArbiterWorkers(env, bundle, { integrations: systems.activities, taskQueue }, async () => {
      const finished = [];
      for (let i = 0; i < requests.length; i += 10) {
        const batch = requests.slice(i, i + 10).map(async (r) => {
          const handle = env.client.workflow.getHandle<typeof refund>(`refund-${r.requestId}`);
          const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'the approval card', 60_000);
          await signalSignedDecision(handle, { decision: 'approve', approver: carol, cardHash: view.cardHash });
          return handle.result();
        });
        finished.push(...(await Promise.all(batch)));
      }
      return finished;
    });
    expect(results.filter((r) => r.outcome === 'completed')).toHaveLength(100);
    expect(systems.calls.filter((c) => c === 'issueRefund')).toHaveLength(100);
  }, 300_000);
});
