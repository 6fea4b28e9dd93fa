// Workflows of someone else's code in the same namespace, for test/carried-origin.test.ts: each
// continues as new into Arbiter's `refund`, on Arbiter's queue, with carried state of its own
// making that names its own run, as the carried-state checks alone would have taken it.
import { makeContinueAsNewFunc, workflowInfo } from '@temporalio/workflow';

export interface ForgeryTarget {
  /** Arbiter's workflow queue. */
  taskQueue: string;
  request: unknown;
  /** Everything but `fromRunId`, which the forger fills in with its own run id. */
  carried: Record<string, unknown>;
}

async function continueIntoRefund(target: ForgeryTarget): Promise<never> {
  const intoRefund = makeContinueAsNewFunc<(request: unknown, carried: unknown) => Promise<unknown>>({ workflowType: 'refund', taskQueue: target.taskQueue });
  return intoRefund(target.request, { ...target.carried, fromRunId: workflowInfo().runId });
}

/** A workflow of another type. */
export async function forger(target: ForgeryTarget): Promise<never> {
  return continueIntoRefund(target);
}

/** A workflow that calls itself `refund`, registered by a worker on a queue of its own. */
export async function refund(target: ForgeryTarget): Promise<never> {
  return continueIntoRefund(target);
}
