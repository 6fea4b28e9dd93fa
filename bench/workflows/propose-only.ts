// One model call through Temporal and nothing else, to measure what the activity round trip adds
// to the HTTP call to the model server; and one empty activity, to show the round trip alone.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ProposerActivities } from '../../activities';
import type { ProposeRefundInput } from '../../activities/llm/chat-proposer';
import { integrationsTaskQueue, llmTaskQueue } from '../../common/constants';
import { llmActivity } from '../../workflows/activity-options';

export async function proposeOnly(input: ProposeRefundInput): Promise<string> {
  const models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(workflowInfo().taskQueue) });
  const result = await models.proposeRefund(input);
  return result.proposal.action;
}

/** An activity that does nothing, on the integrations queue: what Temporal's round trip costs by itself. */
export interface EmptyActivity {
  benchEmptyActivity(): Promise<void>;
}

export async function emptyActivityOnly(): Promise<void> {
  const bench = proxyActivities<EmptyActivity>({ startToCloseTimeout: '10 seconds', taskQueue: integrationsTaskQueue(workflowInfo().taskQueue) });
  await bench.benchEmptyActivity();
}
