// A test-only workflow that drives the saga through a plan of generic steps, so the saga's
// rules (pivot, forward retry, parallel undo, definition errors) are tested apart from any process.
import { proxyActivities } from '@temporalio/workflow';
import { Saga } from '../../workflows/saga';

export interface ProbeActivities {
  perform(step: string, idempotencyKey: string): Promise<string>;
  undo(step: string, idempotencyKey: string): Promise<void>;
}

export interface ProbeStep {
  name: string;
  compensable?: boolean;
  pivot?: boolean;
}

const probe = proxyActivities<ProbeActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

export async function sagaProbe(plan: { steps: ProbeStep[]; parallelCompensation?: boolean }) {
  const saga = new Saga({ parallelCompensation: plan.parallelCompensation, forwardRetryInterval: '50 milliseconds' });
  const outcome = await saga.execute(async () => {
    for (const step of plan.steps) {
      if (step.pivot) {
        await saga.pivot(step.name, (key) => probe.perform(step.name, key));
      } else if (step.compensable) {
        await saga.step(step.name, (key) => probe.perform(step.name, key), (_r, key) => probe.undo(step.name, key));
      } else {
        await saga.step(step.name, (key) => probe.perform(step.name, key));
      }
    }
  });
  return { ok: outcome.ok, failedStep: outcome.ok ? undefined : outcome.failure.step, log: saga.log };
}
