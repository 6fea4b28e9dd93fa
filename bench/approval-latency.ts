// Measurement 2: a decision's path through the real approvers' endpoint, one decision at a time:
// from the POST being sent to the saga's next activity (reserveFunds) starting in the worker, and
// to the endpoint's 202. The activity can start before the 202 arrives: the workflow task that
// accepts the decision also schedules the step, which the server hands to the worker with its
// reply (eager dispatch), while the 202 still has the update's answer and the HTTP reply to go.
import { Context } from '@temporalio/activity';
import type { IntegrationActivities } from '../activities';
import { withApprovalEndpoint } from './approval-endpoint';
import { readCardHashes, startAwaitingApproval } from './awaiting-approval';
import { batchTag, expectCompleted, withWorkers, type BenchContext } from './harness';
import { percentiles, pool, waitUntil, type Percentiles } from './stats';

export interface ApprovalFigures {
  decisions: number;
  /** POST sent by the caller → reserveFunds started in the worker. */
  decisionToNextActivityMs: Percentiles;
  /** The POST itself: request sent → 202 read (the endpoint's query, the `decide` update, the reply). */
  endpointRoundTripMs: Percentiles;
}

const NEXT_ACTIVITY_TIMEOUT_MS = 30_000;

export async function measureApprovals(ctx: BenchContext): Promise<ApprovalFigures> {
  const { decisions, concurrency } = ctx.options;
  // Both clocks in this process: performance.now() when the POST is sent and when the activity starts.
  const reserveStartedAt = new Map<string, number>();
  const base = ctx.integrations;
  const integrations: IntegrationActivities = {
    ...base,
    reserveFunds(input) {
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      // The first attempt counts: a retry would measure the system, not the approval path.
      if (workflowId && !reserveStartedAt.has(workflowId)) reserveStartedAt.set(workflowId, performance.now());
      return base.reserveFunds(input);
    },
  };

  return withApprovalEndpoint(ctx.server.env.client, (endpoint) =>
    withWorkers(
      ctx,
      'arbiter',
      async (taskQueue) => {
        const client = ctx.server.env.client;
        const handles = await startAwaitingApproval(client, taskQueue, batchTag('approval'), decisions, concurrency);
        const hashes = await readCardHashes(handles, concurrency);
        const latencies: number[] = [];
        const roundTrips: number[] = [];
        for (const [i, handle] of handles.entries()) {
          const sentAt = performance.now();
          await endpoint.approve(handle.workflowId, hashes[i]!);
          roundTrips.push(performance.now() - sentAt);
          // One decision at a time: the next waits until this one's saga has moved on.
          await waitUntil(async () => reserveStartedAt.has(handle.workflowId), `reserveFunds of ${handle.workflowId}`, NEXT_ACTIVITY_TIMEOUT_MS, 1);
          latencies.push(reserveStartedAt.get(handle.workflowId)! - sentAt);
        }
        await pool(handles.length, concurrency, (i) => expectCompleted(handles[i]!));
        return { decisions, decisionToNextActivityMs: percentiles(latencies), endpointRoundTripMs: percentiles(roundTrips) };
      },
      integrations,
    ),
  );
}
