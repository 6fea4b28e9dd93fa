// The approvers' endpoint for a test file (one server on a free port, tokens from the test secret),
// refund runs that never outlive their test, and waits for a card to show through the endpoint.
import { registerOrderOf } from './payments-record';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { ApprovalCard } from '../../common/approval-schemas';
import type { RefundRequest } from '../../common/refund-schemas';
import { createLogger } from '../../runtime/logger';
import { createApprovalServer, type ApprovalServer } from '../../server/app';
import { createTokenVerifier, mintLocalToken, type LocalTokenClaims } from '../../server/auth';
import { DEFAULT_POLICY_DIR, policyAgentIdsIn } from '../../policies/load';
import { refund } from '../../workflows/refund';
import { httpCall, type HttpAnswer } from './http-client';
import { recordingSystems } from './recording-systems';
import { refundRequest } from './refund-fixtures';
import { waitFor } from './wait';
import { withArbiterWorkers, type WorkerSetup } from './workers';
import { testDecisionKey } from './decision-key';

export const TEST_SECRET = 'arbiter-test-secret-0123456789-abcdefghij';

export interface TestEndpoint {
  approvals: ApprovalServer;
  baseUrl: string;
  /** Every raw log line the server wrote. */
  logLines: string[];
}

/**
 * An endpoint on a free port; it signs with the committed test key unless given another, and calls
 * Temporal with the test environment's client unless given another (one with interceptors).
 */
export async function startTestEndpoint(env: TestWorkflowEnvironment, decisionKey = testDecisionKey(), temporal: Client = env.client): Promise<TestEndpoint> {
  const logLines: string[] = [];
  const logger = createLogger('approvals-test', { level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
  const approvals = createApprovalServer({
    decisionKey,
    temporal,
    verifyToken: createTokenVerifier({ secret: TEST_SECRET }),
    logger,
    agentIds: policyAgentIdsIn(DEFAULT_POLICY_DIR),
  });
  const port = await approvals.listen(0);
  return { approvals, baseUrl: `http://127.0.0.1:${port}`, logLines };
}

/** A token of tenant `acme` (the test requests' tenant) unless `extra` names another, or `tenant: undefined`. */
export function tokenFor(sub: string, roles: string[], extra: Omit<LocalTokenClaims, 'sub' | 'roles'> = {}): Promise<string> {
  return mintLocalToken(TEST_SECRET, { sub, roles, ...('tenant' in extra ? {} : { tenant: 'acme' }), ...extra });
}

/** A refund of `amount` EUR requested by alice, with the message the stand-in proposer reads as damage. */
export function order(amount: number): RefundRequest {
  const request = refundRequest({ message: 'The parcel arrived broken.', requestedBy: 'alice' });
  request.order.amount = amount;
  // Payments knows the order as the request describes it.
  registerOrderOf(request);
  return request;
}

/** A person's refund proposal of `amount` EUR for damage, as a proposer would submit it. */
export const damagedRefund = (amount: number) => ({ action: 'refund', amount, currency: 'EUR', category: 'damaged', confidence: 1, rationale: 'photo shows damage' });

/** Starts the refund with its workers; a run still going when the test ends is terminated. */
export async function withRefundRun<T>(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundle,
  request: RefundRequest,
  drive: (handle: WorkflowHandle<typeof refund>) => Promise<T>,
  setup: Partial<Omit<WorkerSetup, 'integrations'>> = {},
): Promise<T> {
  return withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, ...setup }, async (taskQueue) => {
    const handle = await env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
    try {
      return await drive(handle);
    } finally {
      // Keeps later listings free of runs whose worker has stopped; a finished run refuses, which is fine.
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

/** Waits until `GET /approvals/:id` shows a pending card of this kind, and answers it. */
export async function waitForCard(baseUrl: string, token: string, workflowId: string, kind: ApprovalCard['kind']): Promise<HttpAnswer['body']> {
  return waitFor(async () => {
    const answer = await httpCall(baseUrl, { path: `/approvals/${workflowId}`, token });
    return answer.status === 200 && answer.body.card.kind === kind && answer.body;
  }, `a pending ${kind} card on ${workflowId}`);
}

/** Waits until `GET /approvals` lists the workflow for this caller (visibility lags by about a second). */
export async function waitUntilListed(baseUrl: string, token: string, workflowId: string): Promise<void> {
  await waitFor(async () => {
    const answer = await httpCall(baseUrl, { path: '/approvals', token });
    return answer.status === 200 && (answer.body.approvals as { workflowId: string }[]).some((a) => a.workflowId === workflowId);
  }, `${workflowId} listed in GET /approvals`);
}

export async function listedIds(baseUrl: string, token: string): Promise<string[]> {
  const answer = await httpCall(baseUrl, { path: '/approvals', token });
  expect(answer.status).toBe(200);
  return (answer.body.approvals as { workflowId: string }[]).map((a) => a.workflowId);
}
