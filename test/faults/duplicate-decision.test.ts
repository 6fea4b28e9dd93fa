// One approval decision delivered five times, as a sender that retries on a lost answer delivers it:
// on a 3000 EUR refund that needs two distinct finance approvers, it counts once, the run keeps
// waiting for a second person, and the audit trail records one approval per person.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { AuditEvent } from '../../common/audit-schemas';
import { approvalDecisionSignal, approvalQuery, decideUpdate, explainQuery, refund } from '../../workflows/refund';
import { order } from '../helpers/http-approvals';
import { recordingSystems } from '../helpers/recording-systems';
import { bundleWorkflows, startTestServer } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { withArbiterWorkers } from '../helpers/workers';
import { decisionOnCard, signalApproval, waitForStage } from './helpers/approvals';

const DELIVERIES = 5;
const FIN_1 = { id: 'fin-1', roles: ['finance'] };
const FIN_2 = { id: 'fin-2', roles: ['finance'] };

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** A 3000 EUR refund waiting for two finance approvals, with its own audit file. */
async function withLargeRefund<T>(drive: (handle: WorkflowHandle<typeof refund>, auditPath: string) => Promise<T>): Promise<T> {
  const request = order(3000);
  const auditPath = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-faults-audit-')), 'audit.jsonl');
  return withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, auditPath }, async (taskQueue) => {
    const handle = await env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
    try {
      await waitForStage(handle, 'awaiting-approval');
      return await drive(handle, auditPath);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

async function signalsInHistory(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

function auditEventsOf(auditPath: string, workflowId: string): AuditEvent[] {
  return readFileSync(auditPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.workflowId === workflowId);
}

test('the same approver signalling the same decision 5 times counts once; the run waits for a second approver, who completes it', async () => {
  const { afterDuplicates, delivered, stillRunning, final, result, explanation, audit } = await withLargeRefund(async (handle, auditPath) => {
    const decision = await decisionOnCard(handle, FIN_1, { comment: 'invoice checked' });
    await Promise.all(Array.from({ length: DELIVERIES }, () => handle.signal(approvalDecisionSignal, decision)));
    // All five are in history before the card is read, so the query answers after the workflow saw them.
    const delivered = await waitFor(async () => (await signalsInHistory(handle)) === DELIVERIES && DELIVERIES, `${DELIVERIES} signals in history`);
    const afterDuplicates = await handle.query(approvalQuery);
    const stillRunning = (await handle.describe()).status.name;
    await signalApproval(handle, FIN_2);
    const result = await handle.result();
    return {
      afterDuplicates,
      delivered,
      stillRunning,
      final: await handle.query(approvalQuery),
      result,
      explanation: await handle.query(explainQuery),
      audit: auditEventsOf(auditPath, handle.workflowId),
    };
  });
  const approvedEvents = audit.filter((e) => e.type === 'approval.approved');
  const refusedEvents = audit.filter((e) => e.type === 'approval.refused');
  console.log(
    `duplicate-decision: ${delivered} identical fin-1 signals delivered; counted ${afterDuplicates?.decisions.length} decision(s), ` +
      `still needed ${afterDuplicates?.stillNeeded}, run ${stillRunning}; after fin-2: ${final?.decisions.length} decisions, outcome ${result.outcome}; ` +
      `audit trail: ${approvedEvents.length} approval.approved (${approvedEvents.map((e) => e.actor.id).join(', ')}), ${refusedEvents.length} approval.refused; ` +
      `trace: ${explanation.refusedDecisions.length} refused decision(s)`,
  );

  expect(afterDuplicates).toMatchObject({ status: 'pending', stillNeeded: 1, decisions: [expect.objectContaining({ approverId: 'fin-1', decision: 'approve' })] });
  expect(afterDuplicates?.decisions).toHaveLength(1);
  expect(stillRunning).toBe('RUNNING');
  expect(final?.decisions.map((d) => d.approverId)).toEqual(['fin-1', 'fin-2']);
  expect(result).toMatchObject({ outcome: 'completed', amount: 3000 });
  expect(approvedEvents.map((e) => e.actor.id)).toEqual(['fin-1', 'fin-2']);
  // A repeat is not a refusal: nothing about it reaches the trail or the trace.
  expect(refusedEvents).toEqual([]);
  expect(explanation.refusedDecisions).toEqual([]);
});

test('the same decision sent 5 times through the `decide` update is accepted once and answered as a duplicate 4 times', async () => {
  const { receipts, afterDuplicates } = await withLargeRefund(async (handle) => {
    const decision = await decisionOnCard(handle, FIN_1, { decisionId: 'fin-1-approves' });
    const receipts = [];
    // One after another: concurrent updates would race the first for the "not a duplicate" answer.
    for (let i = 0; i < DELIVERIES; i++) receipts.push(await handle.executeUpdate(decideUpdate, { args: [decision] }));
    return { receipts, afterDuplicates: await handle.query(approvalQuery) };
  });
  console.log(
    `duplicate-decision: ${receipts.length} identical fin-1 decide updates answered duplicate=[${receipts.map((r) => r.duplicate).join(', ')}]; ` +
      `counted ${afterDuplicates?.decisions.length} decision(s), still needed ${afterDuplicates?.stillNeeded}`,
  );

  expect(receipts.map((r) => r.duplicate)).toEqual([false, true, true, true, true]);
  expect(receipts.every((r) => r.status === 'pending' && r.stillNeeded === 1)).toBe(true);
  expect(afterDuplicates?.decisions).toHaveLength(1);
});
