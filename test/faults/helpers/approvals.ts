// Deciding approvals as the endpoint would, signed, by signal on the card the run shows now,
// and waiting for the stage a run publishes.
import type { WorkflowHandle } from '@temporalio/client';
import type { ApprovalDecision } from '../../../common/approval-schemas';
import { ArbiterStage } from '../../../common/constants';
import { approvalDecisionSignal, approvalQuery } from '../../../workflows/refund';
import { signedFor } from '../../helpers/decision-key';
import { waitFor } from '../../helpers/wait';

export const CAROL = { id: 'carol', roles: ['support-lead'] };

/** The decision an approver makes on the card the run shows now (its hash is read from the `approval` query), signed with the test key. */
export async function decisionOnCard(
  handle: WorkflowHandle,
  approver: ApprovalDecision['approver'],
  extra: Partial<Pick<ApprovalDecision, 'decision' | 'comment' | 'decisionId'>> = {},
): Promise<ApprovalDecision> {
  const view = await handle.query(approvalQuery);
  if (!view) throw new Error(`${handle.workflowId} shows no card to decide`);
  return signedFor(handle, { decision: 'approve', approver, cardHash: view.cardHash, ...extra });
}

export async function signalApproval(handle: WorkflowHandle, approver: ApprovalDecision['approver']): Promise<void> {
  await handle.signal(approvalDecisionSignal, await decisionOnCard(handle, approver));
}

export async function stageOf(handle: WorkflowHandle): Promise<string | undefined> {
  return (await handle.describe()).typedSearchAttributes.get(ArbiterStage);
}

export async function waitForStage(handle: WorkflowHandle, stage: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await stageOf(handle)) === stage, `${handle.workflowId} at stage ${stage}`, timeoutMs);
}
