// Measurement 7: one run at a time, Arbiter against the bare saga, taking turns on workers that
// are both up: an auto refund from the client's start to its result, and a refund that waits for
// one approval, from the decision being sent (Arbiter: the POST to the endpoint; bare: the
// signal) to the run's result. With nothing else in flight this is the latency a
// single caller sees, and what the dev server's dispatch adds to every step shows in full.
import type { WorkflowHandle } from '@temporalio/client';
import { withApprovalEndpoint } from './approval-endpoint';
import { APPROVAL_AMOUNT, readCardHash } from './awaiting-approval';
import { batchTag, expectCompleted, refundRequest, startBareRefund, startRefund, withWorkers, type BenchContext, type SagaKind } from './harness';
import { AUTO_AMOUNT } from './saga-throughput';
import { percentiles, ratio, waitUntil, type Percentiles } from './stats';
import { approvedSignal, awaitingApprovalQuery } from './workflows/bare-refund';

export interface SingleRunFigures {
  runs: number;
  /** The client's start → the result, on the auto path. */
  autoStartToResultMs: Record<SagaKind, Percentiles> & { ratioP50: number };
  /** The decision sent → the result, for a refund that waited for one approver. */
  approvedToResultMs: Record<SagaKind, Percentiles> & { ratioP50: number };
}

const WAIT_TIMEOUT_MS = 30_000;

export async function measureSingleRuns(ctx: BenchContext): Promise<SingleRunFigures> {
  const { singleRuns: runs, warmup } = ctx.options;
  const client = ctx.server.env.client;
  const auto: Record<SagaKind, number[]> = { arbiter: [], bare: [] };
  const approved: Record<SagaKind, number[]> = { arbiter: [], bare: [] };
  const tag = batchTag('single');

  await withApprovalEndpoint(client, (endpoint) =>
    withWorkers(ctx, 'bare', (bareQueue) =>
      withWorkers(ctx, 'arbiter', async (arbiterQueue) => {
        const autoRun = async (kind: SagaKind, i: number): Promise<number> => {
          const request = refundRequest(`${tag}-auto-${kind}`, i, AUTO_AMOUNT);
          const t0 = performance.now();
          const handle: WorkflowHandle =
            kind === 'arbiter' ? await startRefund(client, arbiterQueue, request) : await startBareRefund(client, bareQueue, request);
          await expectCompleted(handle);
          return performance.now() - t0;
        };
        const approvedRun = async (kind: SagaKind, i: number): Promise<number> => {
          const request = refundRequest(`${tag}-approval-${kind}`, i, APPROVAL_AMOUNT);
          if (kind === 'arbiter') {
            const handle = await startRefund(client, arbiterQueue, request);
            let cardHash = '';
            await waitUntil(async () => Boolean((cardHash = await readCardHash(handle).catch(() => ''))), `${handle.workflowId}'s card`, WAIT_TIMEOUT_MS, 5);
            const t0 = performance.now();
            await endpoint.approve(handle.workflowId, cardHash);
            await expectCompleted(handle);
            return performance.now() - t0;
          }
          const handle = await startBareRefund(client, bareQueue, request, true);
          await waitUntil(() => handle.query(awaitingApprovalQuery), `${handle.workflowId} to wait`, WAIT_TIMEOUT_MS, 5);
          const t0 = performance.now();
          await handle.signal(approvedSignal);
          await expectCompleted(handle);
          return performance.now() - t0;
        };
        // The kinds take turns, so drift in the machine's load touches each alike.
        for (let i = -warmup; i < runs; i++) {
          for (const kind of ['bare', 'arbiter'] as const) {
            const autoMs = await autoRun(kind, i);
            const approvedMs = await approvedRun(kind, i);
            if (i >= 0) {
              auto[kind].push(autoMs);
              approved[kind].push(approvedMs);
            }
          }
        }
      }),
    ),
  );
  return { runs, autoStartToResultMs: summary(auto), approvedToResultMs: summary(approved) };
}

function summary(samples: Record<SagaKind, number[]>): Record<SagaKind, Percentiles> & { ratioP50: number } {
  const arbiter = percentiles(samples.arbiter);
  const bare = percentiles(samples.bare);
  return { arbiter, bare, ratioP50: ratio(arbiter.p50, bare.p50) };
}
