// One read tool call made again and again, as an investigating agent makes its reads: callReadTool
// on the integrations queue with the agent's activity options, one call after another, to
// measure what Temporal adds to each call against the reader called directly.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AgentToolActivities } from '../../activities';
import type { CallReadToolInput } from '../../activities/tools';
import { integrationsTaskQueue } from '../../common/constants';
import { agentToolActivity } from '../../workflows/activity-options';

export async function readToolLoop(input: CallReadToolInput, calls: number): Promise<number> {
  const tools = proxyActivities<AgentToolActivities>({ ...agentToolActivity, taskQueue: integrationsTaskQueue(workflowInfo().taskQueue) });
  let ok = 0;
  for (let i = 0; i < calls; i++) {
    const result = await tools.callReadTool(input);
    if (result.status === 'ok') ok += 1;
  }
  return ok;
}
