// One model call through Temporal and nothing else, to measure what the activity round trip adds
// to the HTTP call to the model server.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ProposerActivities } from '../../activities';
import type { ProposeRefundInput } from '../../activities/llm/chat-proposer';
import { llmTaskQueue } from '../../common/constants';
import { llmActivity } from '../../workflows/activity-options';

export async function proposeOnly(input: ProposeRefundInput): Promise<string> {
  const models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(workflowInfo().taskQueue) });
  const result = await models.proposeRefund(input);
  return result.proposal.action;
}
