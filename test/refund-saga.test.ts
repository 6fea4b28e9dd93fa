// The refund saga against a real Temporal dev server: compensation in reverse at each failing
// step, an operator's cancel, and a stuck compensation that waits for an operator.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { ArbiterStage, integrationsTaskQueue } from '../common/constants';
import { refundWorkflowId } from '../common/refund-schemas';
import type { StepLogEntry } from '../common/saga-schemas';
import { refund, rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from '../workflows/refund';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { withArbiterWorkers } from './helpers/workers';
import { recordingSystems, type RecordingOptions, type RecordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { waitFor } from './helpers/wait';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs `fn` while the workflow, integrations (with the test's systems) and LLM workers poll. */
async function withWorkers<T>(systems: RecordingSystems, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  return withArbiterWorkers(env, bundle, { integrations: systems.activities }, fn);
}

async function startRefund(taskQueue: string): Promise<WorkflowHandle<typeof refund>> {
  const request = refundRequest();
  return env.client.workflow.start(refund, { taskQueue, workflowId: refundWorkflowId(request.requestId), args: [request] });
}

async function waitForStuck(handle: WorkflowHandle, step: string): Promise<void> {
  await waitFor(
    async () => (await handle.query(stepLogQuery)).some((e: StepLogEntry) => e.step === step && e.status === 'stuck'),
    `a stuck compensation of ${step}`,
  );
}

describe('refund saga', () => {
  it('runs every step in order, each with the idempotency key <workflowId>/<step>', async () => {
    const systems = recordingSystems();
    const { result, log, workflowId, stage } = await withWorkers(systems, async (taskQueue) => {
      const handle = await startRefund(taskQueue);
      const result = await handle.result();
      const description = await handle.describe();
      return {
        result,
        log: await handle.query(stepLogQuery),
        workflowId: handle.workflowId,
        stage: description.typedSearchAttributes.get(ArbiterStage),
      };
    });
    expect(result.outcome).toBe('completed');
    expect(result.refundId).toMatch(/^ref-/);
    expect(systems.calls).toEqual(['reserveFunds', 'issueRefund', 'updateCrmCase', 'sendCustomerMessage']);
    expect(systems.keys.reserveFunds).toEqual([`${workflowId}/reserve-funds`]);
    expect(systems.keys.sendCustomerMessage).toEqual([`${workflowId}/send-customer-reply`]);
    expect(log.map((e) => `${e.step}:${e.status}`)).toEqual([
      'reserve-funds:completed',
      'issue-refund:completed',
      'update-crm-case:completed',
      'send-customer-reply:completed',
    ]);
    expect(stage).toBe('completed');
  });

  const positions: { failing: RecordingOptions['failingActivity']; undone: string[] }[] = [
    { failing: 'reserveFunds', undone: [] },
    { failing: 'issueRefund', undone: ['releaseFunds'] },
    { failing: 'updateCrmCase', undone: ['reverseRefund', 'releaseFunds'] },
    { failing: 'sendCustomerMessage', undone: ['restoreCrmCase', 'reverseRefund', 'releaseFunds'] },
  ];

  it.each(positions)('when $failing fails, compensates exactly the earlier steps in reverse', async ({ failing, undone }) => {
    const systems = recordingSystems({ failingActivity: failing });
    const { result, workflowId } = await withWorkers(systems, async (taskQueue) => {
      const handle = await startRefund(taskQueue);
      return { result: await handle.result(), workflowId: handle.workflowId };
    });
    const failedAt = systems.calls.indexOf(failing!);
    expect(result.outcome).toBe('compensated');
    expect(result.failure?.error.type).toBe('CrmRejected');
    expect(systems.calls.slice(failedAt + 1)).toEqual(undone);
    if (undone.includes('releaseFunds')) {
      expect(systems.keys.releaseFunds).toEqual([`${workflowId}/reserve-funds:compensate`]);
    }
  });

  it('compensates when an operator cancels the run in the middle of a step, then ends as cancelled', async () => {
    let hung!: () => void;
    const hanging = new Promise<void>((resolve) => (hung = resolve));
    const systems = recordingSystems({ hangingActivity: 'updateCrmCase', onHang: () => hung() });
    const { error, stage } = await withWorkers(systems, async (taskQueue) => {
      const handle = await startRefund(taskQueue);
      await hanging;
      await handle.cancel();
      const error = await handle.result().catch((e: unknown) => e);
      const description = await handle.describe();
      return { error, stage: description.typedSearchAttributes.get(ArbiterStage) };
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    // The CRM update never finished, so only the two finished steps are undone, newest first.
    expect(systems.calls).toEqual(['reserveFunds', 'issueRefund', 'updateCrmCase', 'reverseRefund', 'releaseFunds']);
    expect(stage).toBe('cancelled');
  });

  it("runs its forward steps on the workflow's own queue and their undos on the integrations queue", async () => {
    // Forward steps are handed to the workflow worker with the task that scheduled them (eager
    // dispatch needs the workflow's queue); undos go to whichever integrations worker is free.
    const systems = recordingSystems({ failingActivity: 'updateCrmCase' });
    const { result, taskQueue } = await withWorkers(systems, async (taskQueue) => ({ result: await (await startRefund(taskQueue)).result(), taskQueue }));
    expect(result.outcome).toBe('compensated');
    expect(systems.queues).toEqual({
      reserveFunds: [taskQueue],
      issueRefund: [taskQueue],
      updateCrmCase: [taskQueue],
      reverseRefund: [integrationsTaskQueue(taskQueue)],
      releaseFunds: [integrationsTaskQueue(taskQueue)],
    });
  });

  it('waits for an operator when a compensation stays refused, and retries it on resolveCompensation', async () => {
    const systems = recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { releaseFunds: 1 } });
    const { result, log, stuckStage } = await withWorkers(systems, async (taskQueue) => {
      const handle = await startRefund(taskQueue);
      await waitForStuck(handle, 'reserve-funds');
      const stuckStage = await waitFor(async () => {
        const stage = (await handle.describe()).typedSearchAttributes.get(ArbiterStage);
        return stage === 'compensation-stuck' && stage;
      }, 'the compensation-stuck stage');
      await handle.signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'retry', operator: 'ops-anna' });
      return { result: await handle.result(), log: await handle.query(stepLogQuery), stuckStage };
    });
    expect(stuckStage).toBe('compensation-stuck');
    expect(result.outcome).toBe('compensated');
    expect(systems.calls.filter((c) => c === 'releaseFunds')).toHaveLength(2);
    expect(log.filter((e) => e.step === 'reserve-funds' && e.kind === 'compensation').map((e) => e.status)).toEqual([
      'stuck',
      'retrying',
      'compensated',
    ]);
  });

  it('records an operator who marks a stuck compensation resolved by hand', async () => {
    const systems = recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { reverseRefund: 99 } });
    const { result, log } = await withWorkers(systems, async (taskQueue) => {
      const handle = await startRefund(taskQueue);
      await waitForStuck(handle, 'issue-refund');
      await handle.signal(resolveCompensationSignal, {
        step: 'issue-refund',
        action: 'mark-resolved',
        operator: 'ops-anna',
        reason: 'reversed by hand in the payments console',
      });
      return { result: await handle.result(), log: await handle.query(stepLogQuery) };
    });
    expect(result.outcome).toBe('compensated');
    const resolved = log.find((e) => e.status === 'resolved-by-operator');
    expect(resolved).toMatchObject({ step: 'issue-refund', operator: 'ops-anna', reason: 'reversed by hand in the payments console' });
    // The saga went on to undo the reservation after the operator's word.
    expect(systems.calls.at(-1)).toBe('releaseFunds');
  });

  it('refuses a malformed or misdirected resolveCompensation signal and stays stuck', async () => {
    const systems = recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { releaseFunds: 1 } });
    const { rejected, stillStuck, result } = await withWorkers(systems, async (taskQueue) => {
      const handle = await startRefund(taskQueue);
      await waitForStuck(handle, 'reserve-funds');
      await handle.signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'nuke', operator: 'ops' } as never);
      await handle.signal(resolveCompensationSignal, { step: 'issue-refund', action: 'retry', operator: 'ops' });
      const rejected = await waitFor(async () => {
        const r = await handle.query(rejectedSignalsQuery);
        return r.length === 2 && r;
      }, 'two rejected signals');
      const stillStuck = (await handle.describe()).typedSearchAttributes.get(ArbiterStage);
      await handle.signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'retry', operator: 'ops' });
      return { rejected, stillStuck, result: await handle.result() };
    });
    expect(rejected[0]?.reason).toMatch(/action/);
    expect(rejected[1]?.reason).toMatch(/"issue-refund" has no stuck compensation/);
    expect(stillStuck).toBe('compensation-stuck');
    expect(result.outcome).toBe('compensated');
  });

  it('fails a run started with a malformed request, naming the field, and calls no system', async () => {
    const systems = recordingSystems();
    const error = await withWorkers(systems, async (taskQueue) => {
      const request = { ...refundRequest(), order: { id: 'ord-1', amount: 'forty', currency: 'EUR' } };
      const handle = await env.client.workflow.start('refund', { taskQueue, workflowId: `refund-bad-${Date.now()}`, args: [request] });
      return handle.result().catch((e: unknown) => e);
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('InvalidInput');
    expect((cause as ApplicationFailure).message).toMatch(/order\.amount/);
    expect(systems.calls).toEqual([]);
  });
});
