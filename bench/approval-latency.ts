// Measurement 2: from the approvers' endpoint answering 202 to the saga's next activity
// (reserveFunds) starting in the worker, one decision at a time, through the real endpoint.
import { Context } from '@temporalio/activity';
import type { IntegrationActivities } from '../activities';
import { withApprovalEndpoint } from './approval-endpoint';
import { readCardHashes, startAwaitingApproval } from './awaiting-approval';
import { batchTag, withWorkers, type BenchContext } from './harness';
import { percentiles, pool, waitUntil, type Percentiles } from './stats';

export interface ApprovalFigures {
  decisions: number;
  /** 202 received by the caller → reserveFunds started in the integrations worker. */
  approvedToNextActivityMs: Percentiles;
  /** The POST itself: request sent → 202 read (the endpoint's query, the `decide` update, the reply). */
  endpointRoundTripMs: Percentiles;
}

const NEXT_ACTIVITY_TIMEOUT_MS = 30_000;

export async function measureApprovals(ctx: BenchContext): Promise<ApprovalFigures> {
  const { decisions, concurrency } = ctx.options;
  // Both clocks in this process: performance.now() when the 202 arrives and when the activity starts.
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
          const t0 = performance.now();
          roundTrips.push(t0 - sentAt);
          // One decision at a time: the next waits until this one's saga has moved on.
          await waitUntil(async () => reserveStartedAt.has(handle.workflowId), `reserveFunds of ${handle.workflowId}`, NEXT_ACTIVITY_TIMEOUT_MS, 1);
          latencies.push(reserveStartedAt.get(handle.workflowId)! - t0);
        }
        await pool(handles.length, concurrency, async (i) => {
          const result = await handles[i]!.result();
          if (result.outcome !== 'completed') throw new Error(`${handles[i]!.workflowId} ended ${result.outcome}: ${result.reason}`);
        });
        return { decisions, approvedToNextActivityMs: percentiles(latencies), endpointRoundTripMs: percentiles(roundTrips) };
      },
      integrations,
    ),
  );
}
