// Refund runs brought to the approval wait in bulk, for the approval measurements: 740 EUR each,
// which the shipped policy hands to one support-lead (rule refund-mid).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ApprovalDecision } from '../common/approval-schemas';
import { approvalQuery } from '../workflows/approval';
import type { refund } from '../workflows/refund';
import { refundRequest, startRefund } from './harness';
import { pool, waitUntil } from './stats';

export const APPROVAL_AMOUNT = 740;
export const APPROVER: ApprovalDecision['approver'] = { id: 'carol', roles: ['support-lead'] };

/** Visibility lags the runs by about a second; a run that reaches its approval wait is listed soon after. */
const PER_RUN_TIMEOUT_MS = 250;
const MIN_TIMEOUT_MS = 120_000;

/** Starts `count` refunds on `taskQueue`, `concurrency` starts at a time, and resolves once every one waits for approval. */
export async function startAwaitingApproval(
  client: Client,
  taskQueue: string,
  tag: string,
  count: number,
  concurrency: number,
  onProgress?: (waiting: number) => void,
): Promise<WorkflowHandle<typeof refund>[]> {
  const handles: WorkflowHandle<typeof refund>[] = new Array(count);
  await pool(count, concurrency, async (i) => {
    const request = refundRequest(tag, i, APPROVAL_AMOUNT);
    handles[i] = await startRefund(client, taskQueue, request);
  });
  await waitUntil(
    async () => {
      const ended = await client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus != "Running"`);
      if (ended.count > 0) throw new Error(`${ended.count} run(s) on ${taskQueue} ended before their approval; see the Web UI or \`temporal workflow list\``);
      const waiting = (await client.workflow.count(`TaskQueue = "${taskQueue}" AND ArbiterApprovalPending = true`)).count;
      onProgress?.(waiting);
      return waiting >= count;
    },
    `${count} runs waiting for approval`,
    Math.max(MIN_TIMEOUT_MS, count * PER_RUN_TIMEOUT_MS),
    500,
  );
  return handles;
}

/** Each run's current card hash, read with the `approval` query, `concurrency` at a time. */
export async function readCardHashes(handles: WorkflowHandle[], concurrency: number): Promise<string[]> {
  const hashes: string[] = new Array(handles.length);
  await pool(handles.length, concurrency, async (i) => {
    hashes[i] = await readCardHash(handles[i]!);
  });
  return hashes;
}

/** The run's current card hash, read with the `approval` query; throws unless an approval is pending. */
export async function readCardHash(handle: WorkflowHandle): Promise<string> {
  const view = await handle.query(approvalQuery);
  if (view?.card.kind !== 'approval' || view.status !== 'pending') throw new Error(`${handle.workflowId} shows no pending approval`);
  return view.cardHash;
}
