// Proving a negative through visibility: "no workflow was started" only holds once the listing has
// caught up, so a canary is started last and the listing is read once the canary shows in it.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { refundRequest } from '../../helpers/refund-fixtures';
import { waitFor } from '../../helpers/wait';

/** Every workflow id the namespace lists, read after a canary started now is listed; the canary is left out and terminated. */
export async function workflowIdsListedAfterCanary(client: Client): Promise<string[]> {
  const canaryId = `faults-canary-${randomUUID()}`;
  // No worker polls this queue: the canary only has to exist.
  const canary = await client.workflow.start('refund', { taskQueue: `faults-canary-${randomUUID()}`, workflowId: canaryId, args: [refundRequest()] });
  try {
    const listed = await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const info of client.workflow.list()) ids.push(info.workflowId);
        return ids.includes(canaryId) && ids;
      },
      'the canary workflow in the listing',
      30_000,
    );
    return listed.filter((id) => id !== canaryId);
  } finally {
    await canary.terminate('canary').catch(() => undefined);
  }
}
