// The runs of one workflow id, first to last, followed through Temporal's continue-as-new links.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { approvalDecisionSignal } from '../../workflows/approval';

export interface RunSize {
  runId: string;
  events: number;
  /** The history's size as JSON. */
  bytes: number;
  /** The first event's input as JSON: what the run was started, or continued, with. */
  inputBytes: number;
}

export async function runsOf(client: Client, workflowId: string): Promise<RunSize[]> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  let runId = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
  const runs: RunSize[] = [];
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input;
    runs.push({ runId, events: history.events?.length ?? 0, bytes: Buffer.byteLength(JSON.stringify(history)), inputBytes: Buffer.byteLength(JSON.stringify(input)) });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/**
 * Signals no approver would send (malformed decisions: each refused by the run, each a few events
 * in its history) until the run continues as new, as anyone who can signal a run could. Returns
 * how many it took.
 */
export async function signalUntilContinued(handle: WorkflowHandle, limit = 200): Promise<number> {
  const firstRunId = (await handle.describe()).runId;
  for (let sent = 1; sent <= limit; sent++) {
    try {
      await handle.signal(approvalDecisionSignal, { decision: 'approve', approver: { id: `noise-${sent}`, roles: ['finance'] } } as never);
    } catch (err) {
      // The run continued as new and the next one has already ended: continued all the same.
      if (err instanceof WorkflowNotFoundError && (await handle.describe()).runId !== firstRunId) return sent - 1;
      throw err;
    }
    if ((await handle.describe()).runId !== firstRunId) return sent;
  }
  throw new Error(`the run did not continue as new after ${limit} signals`);
}
