// The saga's own rules, through a test-only probe workflow on a real dev server: the pivot,
// forward retry after it, parallel compensation, and refusal of a badly defined saga.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import path from 'node:path';
import type { ProbeActivities, ProbeStep } from './workflows/saga-probe';
import { bundleWorkflows, startTestServer, uniqueId, uniqueQueue } from './helpers/temporal';
import { tracingSinks } from '../runtime/tracing';
import { testDataConverter } from './helpers/payload-keys';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows(path.resolve(__dirname, 'workflows/index.ts'))]);
});

afterAll(async () => {
  await env?.teardown();
});

/** Probe activities that log `do:<step>` / `undo:<step>` and fail a step the given number of times. */
function probeSystems(failures: Record<string, number> = {}) {
  const calls: string[] = [];
  const activities: ProbeActivities = {
    async perform(step) {
      calls.push(`do:${step}`);
      const left = failures[step] ?? 0;
      if (left > 0) {
        failures[step] = left - 1;
        throw ApplicationFailure.nonRetryable(`probe step ${step} refused`, 'ProbeRefused');
      }
      return step;
    },
    async undo(step) {
      calls.push(`undo:${step}`);
    },
  };
  return { activities, calls };
}

async function runProbe(steps: ProbeStep[], options: { failures?: Record<string, number>; parallelCompensation?: boolean } = {}) {
  const systems = probeSystems(options.failures);
  const taskQueue = uniqueQueue('probe');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    dataConverter: testDataConverter(),
    taskQueue,
    workflowBundle: bundle,
    activities: systems.activities,
    sinks: tracingSinks(),
  });
  const outcome = await worker.runUntil(
    env.client.workflow
      .execute('sagaProbe', {
        taskQueue,
        workflowId: uniqueId('probe'),
        args: [{ steps, parallelCompensation: options.parallelCompensation }],
      })
      .catch((e: unknown) => e),
  );
  return { outcome: outcome as { ok: boolean; failedStep?: string; log: { step: string; status: string }[] } | Error, calls: systems.calls };
}

const compensable = (name: string): ProbeStep => ({ name, compensable: true });

describe('saga rules', () => {
  it('retries a step after the pivot forward until it succeeds, and undoes nothing', async () => {
    const { outcome, calls } = await runProbe(
      [compensable('a'), { name: 'pivot', pivot: true }, { name: 'after' }],
      { failures: { after: 2 } },
    );
    expect(outcome).toMatchObject({ ok: true });
    expect(calls).toEqual(['do:a', 'do:pivot', 'do:after', 'do:after', 'do:after']);
    const log = (outcome as { log: { step: string; status: string }[] }).log;
    expect(log.filter((e) => e.step === 'after').map((e) => e.status)).toEqual(['retrying-forward', 'retrying-forward', 'completed']);
  });

  it('compensates the earlier steps when the pivot itself fails, since it did not happen', async () => {
    const { outcome, calls } = await runProbe([compensable('a'), compensable('b'), { name: 'pivot', pivot: true }], {
      failures: { pivot: 1 },
    });
    expect(outcome).toMatchObject({ ok: false, failedStep: 'pivot' });
    expect(calls).toEqual(['do:a', 'do:b', 'do:pivot', 'undo:b', 'undo:a']);
  });

  it('skips steps without a compensation when undoing', async () => {
    const { calls } = await runProbe([compensable('a'), { name: 'read-only' }, compensable('c'), compensable('d')], {
      failures: { d: 1 },
    });
    expect(calls).toEqual(['do:a', 'do:read-only', 'do:c', 'do:d', 'undo:c', 'undo:a']);
  });

  it('undoes every step when compensating in parallel', async () => {
    const { outcome, calls } = await runProbe([compensable('a'), compensable('b'), compensable('c'), compensable('d')], {
      failures: { d: 1 },
      parallelCompensation: true,
    });
    expect(outcome).toMatchObject({ ok: false, failedStep: 'd' });
    expect(calls.slice(0, 4)).toEqual(['do:a', 'do:b', 'do:c', 'do:d']);
    expect(calls.slice(4).sort()).toEqual(['undo:a', 'undo:b', 'undo:c']);
  });

  it('fails the run when two steps share a name, since they would share an idempotency key', async () => {
    const { outcome, calls } = await runProbe([compensable('a'), compensable('a')]);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    const cause = (outcome as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('SagaDefinitionError');
    expect(cause.message).toMatch(/"a" is used twice/);
    // The first "a" ran, so the saga undid it before failing.
    expect(calls).toEqual(['do:a', 'undo:a']);
  });

  it('fails the run when a step after the pivot registers a compensation', async () => {
    const { outcome } = await runProbe([{ name: 'pivot', pivot: true }, compensable('late')]);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect(((outcome as WorkflowFailedError).cause as ApplicationFailure).type).toBe('SagaDefinitionError');
  });
});
