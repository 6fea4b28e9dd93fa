// A decision the endpoint refuses before it reaches the workflow is still written to the audit
// trail, beside the events the workflow writes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createJsonlAuditSink } from '../activities/audit';
import type { AuditEvent } from '../common/audit-schemas';
import { createLogger } from '../runtime/logger';
import { createApprovalServer, type ApprovalServer } from '../server/app';
import { createTokenVerifier } from '../server/auth';
import { httpCall } from './helpers/http-client';
import { damagedRefund, order, TEST_SECRET, tokenFor, waitForCard, withRefundRun } from './helpers/http-approvals';
import { refundAiOff } from './helpers/policies';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { testDecisionKey } from './helpers/decision-key';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let approvals: ApprovalServer;
let baseUrl: string;
const auditPath = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-endpoint-audit-')), 'audit.jsonl');

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  approvals = createApprovalServer({
    decisionKey: testDecisionKey(),
    temporal: env.client,
    verifyToken: createTokenVerifier({ secret: TEST_SECRET }),
    logger: createLogger('approvals-test', { level: 'silent' }),
    audit: createJsonlAuditSink(auditPath),
  });
  baseUrl = `http://127.0.0.1:${await approvals.listen(0)}`;
});

afterAll(async () => {
  await approvals?.close();
  await env?.teardown();
});

test('records a refused decision by the requester in the audit trail, with who, card and why', async () => {
  const { status, workflowId, cardHash } = await withRefundRun(env, bundle, order(740), async (handle) => {
    const token = await tokenFor('alice', ['support-lead']);
    const card = await waitForCard(baseUrl, await tokenFor('carol', ['support-lead']), handle.workflowId, 'approval');
    const answer = await httpCall(baseUrl, {
      method: 'POST',
      path: `/approvals/${handle.workflowId}/decision`,
      token,
      json: { decision: 'approve', cardHash: card.cardHash },
    });
    return { status: answer.status, workflowId: handle.workflowId, cardHash: card.cardHash as string };
  });
  expect(status).toBe(403);
  const events = readFileSync(auditPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as AuditEvent);
  expect(events).toEqual([
    expect.objectContaining({
      type: 'approval.refused',
      workflowId,
      process: 'refund',
      tenant: 'acme',
      actor: { kind: 'human', id: 'alice' },
      shown: { cardHash },
      summary: expect.stringMatching(/^decision by alice refused by the endpoint \(403 /),
    }),
  ]);
});

const eventsOf = (workflowId: string) =>
  readFileSync(auditPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.workflowId === workflowId);

test('records a refused proposal by a person without a proposer role', async () => {
  const { status, workflowId } = await withRefundRun(
    env,
    bundle,
    order(300),
    async (handle) => {
      const card = await waitForCard(baseUrl, await tokenFor('dan', ['support-agent']), handle.workflowId, 'proposal');
      const answer = await httpCall(baseUrl, {
        method: 'POST',
        path: `/approvals/${handle.workflowId}/proposal`,
        token: await tokenFor('carol', ['support-lead']),
        json: { cardHash: card.cardHash, proposal: damagedRefund(250) },
      });
      return { status: answer.status, workflowId: handle.workflowId };
    },
    { policyDir: refundAiOff() },
  );
  expect(status).toBe(403);
  expect(eventsOf(workflowId)).toEqual([
    expect.objectContaining({ type: 'proposal.refused', actor: { kind: 'human', id: 'carol' }, summary: expect.stringMatching(/^proposal by carol refused by the endpoint \(403 role\)/) }),
  ]);
});

test("writes nothing in a tenant's trail for a decision someone of another tenant sends", async () => {
  const { status, workflowId } = await withRefundRun(env, bundle, order(740), async (handle) => {
    const card = await waitForCard(baseUrl, await tokenFor('carol', ['support-lead']), handle.workflowId, 'approval');
    const answer = await httpCall(baseUrl, {
      method: 'POST',
      path: `/approvals/${handle.workflowId}/decision`,
      token: await tokenFor('mallory', ['support-lead'], { tenant: 'globex' }),
      json: { decision: 'approve', cardHash: card.cardHash },
    });
    return { status: answer.status, workflowId: handle.workflowId };
  });
  expect(status).toBe(404);
  expect(eventsOf(workflowId)).toEqual([]);
});
