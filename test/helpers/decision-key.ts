// The committed test signing key: the tests' endpoints sign decisions with it, the tests' workers
// trust its public half (ARBITER_DECISION_PUBLIC_KEYS, set by jest's setup), and a test that
// sends a decision or a proposal by raw signal signs it as the endpoint would. It protects
// nothing: it is public, for tests only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ApprovalDecision } from '../../common/approval-schemas';
import { ArbiterTenant } from '../../common/constants';
import { decisionStatement, proposalStatement, type ProposalSubmissionFields } from '../../common/signed-statements';
import { parseDecisionKey, publicKeyEntry, type DecisionSigningKey } from '../../runtime/decision-key';

export const TEST_DECISION_KEY = readFileSync(path.join(__dirname, '..', 'fixtures', 'decision-test-key'), 'utf8').trim();

export function testDecisionKey(): DecisionSigningKey {
  return parseDecisionKey(TEST_DECISION_KEY, 'test/fixtures/decision-test-key');
}

/** `kid:base64key` of the test key's public half. */
export const TEST_DECISION_PUBLIC_KEYS = publicKeyEntry(testDecisionKey());

interface Run {
  workflowId: string;
  tenant: string;
}

/** A decision signed for one run, as the approvers' endpoint signs it. */
export function signDecision(run: Run, decision: ApprovalDecision, key: DecisionSigningKey = testDecisionKey(), at = new Date().toISOString()): ApprovalDecision {
  return { ...decision, signature: key.sign(decisionStatement(run, decision, at)) };
}

/** A person's proposal signed for one run's card, as the approvers' endpoint signs it. */
export function signSubmission<T extends ProposalSubmissionFields>(run: Run, submission: T, key: DecisionSigningKey = testDecisionKey(), at = new Date().toISOString()) {
  return { ...submission, signature: key.sign(proposalStatement(run, submission, at)) };
}

/** The run's tenant, as its search attribute says: what the endpoint signs for. */
export async function tenantOf(handle: WorkflowHandle): Promise<string> {
  const tenant = (await handle.describe()).typedSearchAttributes.get(ArbiterTenant);
  if (!tenant) throw new Error(`run ${handle.workflowId} has no tenant attribute`);
  return tenant;
}

/** The decision signed for the run, as the endpoint would sign it. */
export async function signedFor(handle: WorkflowHandle, decision: ApprovalDecision, key?: DecisionSigningKey): Promise<ApprovalDecision> {
  return signDecision({ workflowId: handle.workflowId, tenant: await tenantOf(handle) }, decision, key);
}

/** Signs a decision for the run and sends it as the `approvalDecision` signal. */
export async function signalSignedDecision(handle: WorkflowHandle, decision: ApprovalDecision, key?: DecisionSigningKey): Promise<void> {
  await handle.signal('approvalDecision', await signedFor(handle, decision, key));
}

/** Signs a proposal for the run's current card and sends it as the `submitProposal` signal. */
export async function signalSignedProposal(handle: WorkflowHandle, submission: ProposalSubmissionFields, key?: DecisionSigningKey): Promise<void> {
  const cardHash = submission.cardHash ?? (await handle.query<{ cardHash: string } | null>('approval'))?.cardHash;
  const signed = signSubmission({ workflowId: handle.workflowId, tenant: await tenantOf(handle) }, { ...submission, cardHash }, key);
  await handle.signal('submitProposal', signed);
}
