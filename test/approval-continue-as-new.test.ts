// A run waiting for approval continues as new when its history grows past the policy's limit
// (anyone who can signal a run can grow it), against a real dev server: the next run shows the
// same card, counts the decisions already made after checking each again, keeps the operator's
// kill switch, holds decisions that reach it before it has resumed the approval, writes the
// first run's last trail events, and ends as one run would have; when payments' record changed
// meanwhile, the card changes and the approval opens afresh, so nothing decided on the old facts
// counts, and with the old card's deadlines.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { AuditEvent } from '../common/audit-schemas';
import { verifyTrail } from '../common/audit-verify';
import { readJsonlTrail } from '../activities/audit/read-trail';
import { ArbiterApprovalPending, ArbiterStage } from '../common/constants';
import type { RefundRequest } from '../common/refund-schemas';
import { approvalQuery, decideUpdate, explainQuery, refund, setAiEnabledSignal } from '../workflows/refund';
import { signalSignedDecision, signedFor } from './helpers/decision-key';
import { registerOrderOf, registerTestOrder } from './helpers/payments-record';
import { copyPolicies } from './helpers/policies';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { runsOf, signalUntilContinued } from './helpers/runs';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { withArbiterWorkers } from './helpers/workers';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

/** The refund policy with a wait that continues as new past 120 history events. */
const policyDir = () => copyPolicies((refund) => (refund.approvalWait = { continueAsNew: { afterHistoryEvents: 120, afterHistoryBytes: 8 * 1024 * 1024 } }));

const fin1 = { id: 'fin-1', roles: ['finance'] };
const fin2 = { id: 'fin-2', roles: ['finance'] };

/** A 3000 EUR refund: policy asks two people of finance. */
function largeRefund(): RefundRequest {
  const request = refundRequest({ message: 'The parcel arrived broken.', requestedBy: 'alice' });
  request.order.amount = 3000;
  registerOrderOf(request);
  return request;
}

/** A large refund started on `taskQueue`, once its approval card is shown. */
async function startWaiting(taskQueue: string) {
  const request = largeRefund();
  const started = await env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
  const handle = env.client.workflow.getHandle(started.workflowId);
  return { request, handle, card: await card(handle) };
}

async function card(handle: WorkflowHandle) {
  return waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
}

/**
 * The recording systems with a payments read that takes 1.5 s once `slowFromNow` is called (after
 * the first run waits): the next run's read is slow, and decisions arrive while it has no approval
 * open yet.
 */
function slowReadsOnceWaiting() {
  const systems = recordingSystems();
  let reads = 0;
  let slow = false;
  const getOrder: typeof systems.activities.getOrder = async (input) => {
    reads += 1;
    if (slow) await new Promise((resolve) => setTimeout(resolve, 1500));
    return systems.activities.getOrder(input);
  };
  return { activities: { ...systems.activities, getOrder }, slowFromNow: () => void (slow = true), reads: () => reads };
}

function readAudit(file: string): AuditEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent);
}

describe('a run waiting for approval that continues as new', () => {
  it('shows the same card in the next run, counts the decision already made, and completes on the second', async () => {
    const auditPath = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-wait-continued-')), 'audit.jsonl');
    const systems = recordingSystems();
    const outcome = await withArbiterWorkers(env, bundle, { integrations: systems.activities, policyDir: policyDir(), auditPath }, async (taskQueue) => {
      const { handle, card: before } = await startWaiting(taskQueue);
      await signalSignedDecision(handle, { decision: 'approve', approver: fin1, cardHash: before.cardHash });
      await waitFor(async () => (await card(handle)).decisions.length === 1, 'the first decision');
      const signals = await signalUntilContinued(handle);
      const after = await card(handle);
      const described = await handle.describe();
      await signalSignedDecision(handle, { decision: 'approve', approver: fin2, cardHash: after.cardHash });
      const result = await handle.result();
      return { before, after, signals, described, result, explanation: await handle.query(explainQuery), runs: await runsOf(env.client, handle.workflowId) };
    });
    const { before, after, result, explanation, runs } = outcome;
    console.log(`approval-continue-as-new: ${outcome.signals} refused signals; histories ${runs.map((r) => `${r.events} events`).join(', ')}`);

    expect(runs).toHaveLength(2);
    expect(runs[0]!.events).toBeLessThan(200);
    // The same card, with the same deadlines, and fin-1's decision counted in the new run.
    expect(after.cardHash).toBe(before.cardHash);
    expect(after.card.expiresAt).toBe(before.card.expiresAt);
    expect(after.decisions.map((d) => d.approverId)).toEqual(['fin-1']);
    expect(after.stillNeeded).toBe(1);
    expect(outcome.described.typedSearchAttributes.get(ArbiterStage)).toBe('awaiting-approval');
    expect(outcome.described.typedSearchAttributes.get(ArbiterApprovalPending)).toBe(true);

    expect(result.outcome).toBe('completed');
    expect(systems.calls.filter((c) => c === 'issueRefund')).toHaveLength(1);
    // The last run's explain holds the whole story: both approvals, the refusals and why it continued.
    expect(explanation.approval?.decisions.map((d) => d.approverId)).toEqual(['fin-1', 'fin-2']);
    expect(explanation.refusedDecisions.length).toBe(Math.min(100, outcome.signals));
    expect(explanation.notes.some((n) => /continued as new while awaiting approval: history of \d+ events/.test(n.text))).toBe(true);
    expect(explanation.modelCalls.length).toBeGreaterThan(0);

    // Each run's trail: the first ends continued, the second says what it carried and resumed.
    const events = readAudit(auditPath);
    const [first, second] = runs.map((r) => events.filter((e) => e.runId === r.runId).map((e) => e.type));
    expect(first).toEqual(expect.arrayContaining(['proposal.received', 'policy.decided', 'approval.requested', 'approval.approved']));
    expect(first!.at(-1)).toBe('run.continued-as-new');
    expect(second!.slice(0, 4)).toEqual(['run.continued', 'proposal.carried', 'policy.decided', 'approval.resumed']);
    expect(second).toEqual(expect.arrayContaining(['approval.approved', 'run.finished']));
    // fin-1's decision is in the first run's trail only, once.
    // (A workflow task that ran again writes its events again under the same ids: one event, maybe two versions.)
    expect(new Set(events.filter((e) => e.type === 'approval.approved' && e.actor.id === 'fin-1').map((e) => e.eventId)).size).toBe(1);
    // Every event of both runs is written, each run's chain whole: the first run's last events,
    // handed over unwritten so it could end without an await, were written by the second.
    const trail = await readJsonlTrail(auditPath);
    const report = verifyTrail(trail.events, trail.unreadable, { checkReceipt: () => 'valid' });
    expect(report.findings).toEqual([]);
    expect(report.runs.map((r) => [r.finding, r.finished, r.continuedAsNew ?? false])).toEqual([
      [undefined, true, true],
      [undefined, true, false],
    ]);
    // Every refused signal is on record, in the run it reached (the last may reach the next run).
    expect(new Set(events.filter((e) => e.type === 'approval.refused').map((e) => e.eventId)).size).toBe(outcome.signals);
  });

  it('counts a decision sent while the next run starts up, before it has resumed the approval', async () => {
    const systems = slowReadsOnceWaiting();
    const outcome = await withArbiterWorkers(env, bundle, { integrations: systems.activities, policyDir: policyDir() }, async (taskQueue) => {
      const { handle, card: shown } = await startWaiting(taskQueue);
      systems.slowFromNow();
      await signalSignedDecision(handle, { decision: 'approve', approver: fin1, cardHash: shown.cardHash });
      await waitFor(async () => (await card(handle)).decisions.length === 1, 'the first decision');
      await signalUntilContinued(handle);
      const readsWhenSent = systems.reads();
      // Sent as the update the endpoint uses while the next run reads the order: answered once the
      // approval is resumed (held by the run if it reaches it first), not refused as not open.
      const receipt = await handle.executeUpdate(decideUpdate, { args: [await signedFor(handle, { decision: 'approve', approver: fin2, cardHash: shown.cardHash })] });
      return { readsWhenSent, receipt, result: await handle.result() };
    });
    expect(outcome.readsWhenSent).toBe(2);
    expect(outcome.receipt).toMatchObject({ status: 'approved', stillNeeded: 0 });
    expect(outcome.result.outcome).toBe('completed');
  });

  it('does not count a decision sent while the next run starts, nor leave its sender waiting, when that run finds the refund denied', async () => {
    const systems = slowReadsOnceWaiting();
    const outcome = await withArbiterWorkers(env, bundle, { integrations: systems.activities, policyDir: policyDir() }, async (taskQueue) => {
      const { request, handle, card: shown } = await startWaiting(taskQueue);
      systems.slowFromNow();
      // Another refund of 100 on the order lands meanwhile: 3000 more would be past what was paid.
      registerTestOrder({ orderId: request.order.id, amount: request.order.amount, currency: request.order.currency, customerId: request.customer.id, refunded: 100 });
      await signalUntilContinued(handle);
      const refused = await handle
        .executeUpdate(decideUpdate, { args: [await signedFor(handle, { decision: 'approve', approver: fin1, cardHash: shown.cardHash })] })
        .then(() => 'counted', (err: Error & { cause?: { type?: string } }) => err.cause?.type ?? err.message);
      return { refused, result: await handle.result() };
    });
    expect(outcome.result.outcome).toBe('denied');
    // Refused by the run as not open when it reached it before the run ended; aborted by Temporal
    // when it came in during the run's last workflow task, or refused when it came after: never counted.
    expect(outcome.refused).toMatch(/^not-open$|aborted by closing workflow|already completed/);
  });

  it('keeps the operator\'s kill switch: the customer reply after approval is written without a model', async () => {
    const outcome = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, policyDir: policyDir() }, async (taskQueue) => {
      const { handle, card: shown } = await startWaiting(taskQueue);
      await handle.signal(setAiEnabledSignal, { enabled: false, operator: 'ops', reason: 'model incident' });
      await waitFor(async () => (await handle.query(explainQuery)).aiEnabled === false, 'AI switched off');
      await signalUntilContinued(handle);
      const continued = await handle.query(explainQuery);
      await signalSignedDecision(handle, { decision: 'approve', approver: fin1, cardHash: shown.cardHash });
      await signalSignedDecision(handle, { decision: 'approve', approver: fin2, cardHash: shown.cardHash });
      return { continued, result: await handle.result(), explanation: await handle.query(explainQuery) };
    });
    expect(outcome.continued.aiEnabled).toBe(false);
    expect(outcome.result.outcome).toBe('completed');
    expect(outcome.explanation.modelCalls.filter((c) => c.purpose === 'customer-reply')).toHaveLength(0);
  });

  it('opens the approval afresh when payments\' record changed while it waited: the decision on the old card does not count', async () => {
    const outcome = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, policyDir: policyDir() }, async (taskQueue) => {
      const { request, handle, card: before } = await startWaiting(taskQueue);
      await signalSignedDecision(handle, { decision: 'approve', approver: fin1, cardHash: before.cardHash });
      await waitFor(async () => (await card(handle)).decisions.length === 1, 'the first decision');
      // Payments corrected the order's customer meanwhile: the next run reads it, and its card shows it.
      registerTestOrder({ orderId: request.order.id, amount: request.order.amount, currency: request.order.currency, customerId: 'C-corrected' });
      await signalUntilContinued(handle);
      const after = await card(handle);
      const explanation = await handle.query(explainQuery);
      await handle.terminate('test done');
      return { before, after, explanation };
    });
    expect(outcome.after.cardHash).not.toBe(outcome.before.cardHash);
    expect(outcome.after.card.parameters.differsFromPayments).toBe('customer');
    expect(outcome.after.decisions).toEqual([]);
    expect(outcome.after.stillNeeded).toBe(2);
    // Opened afresh, but not for longer: the old card's deadlines hold.
    expect(outcome.after.card.expiresAt).toBe(outcome.before.card.expiresAt);
    expect(outcome.explanation.notes.some((n) => /opens afresh: the card this run shows differs/.test(n.text))).toBe(true);
  });
});
