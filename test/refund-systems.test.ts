// The refund end to end with the real integration activities over HTTP against the stand-in
// systems, one test per outcome: business refusals compensate, transport failures retry,
// rejections and denials touch nothing, and the ledger shows every effect exactly once.
import type { ArbiterClient } from '../client';
import { refundWorkflowId } from '../common/refund-schemas';
import { refundRequest } from './helpers/refund-fixtures';
import { testDecisionKey } from './helpers/decision-key';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { waitFor } from './helpers/wait';

const arbiter = useArbiterWithStandIns({ name: 'systems' });
const { withArbiter } = arbiter;

async function ledgerFor(orderId: string) {
  return (await arbiter.standInsState()).ledger.find((e) => e.orderId === orderId);
}

/** Approves the card as it is now, as an approver would. */
async function approveAs(client: ArbiterClient, workflowId: string, approver: { id: string; roles: string[] }): Promise<void> {
  const view = await waitFor(async () => {
    const current = await client.approval(workflowId);
    return current && !current.decisions.some((d) => d.approverId === approver.id) ? current : undefined;
  }, `a card ${approver.id} can decide`);
  await client.decide(workflowId, { decision: 'approve', approver, cardHash: view.cardHash }, { key: testDecisionKey(), tenant: 'acme' });
}

describe('refund against the stand-in systems', () => {
  it('completes and leaves one refund, one case update and one message on the ledger', async () => {
    const request = refundRequest({ order: { id: `ORD-${Date.now()}`, amount: 19.99, currency: 'EUR' } });
    const result = await withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      return client.refundResult(workflowId);
    });
    expect(result.outcome).toBe('completed');
    expect(await ledgerFor(request.order.id)).toMatchObject({
      reserved: 0,
      refunded: 19.99,
      refundsIssued: 1,
      refundsReversed: 0,
      crmUpdates: 1,
      messagesSent: 1,
    });
  });

  it('compensates when the CRM refuses, leaving nothing refunded or held', async () => {
    const request = refundRequest({ order: { id: `FAIL-CRM-${Date.now()}`, amount: 30, currency: 'EUR' } });
    const result = await withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      return client.refundResult(workflowId);
    });
    expect(result.outcome).toBe('compensated');
    expect(result.failure).toMatchObject({ step: 'update-crm-case', error: { type: 'CrmRejected', nonRetryable: true } });
    expect(await ledgerFor(request.order.id)).toMatchObject({
      reserved: 0,
      refunded: 0,
      refundsIssued: 1,
      refundsReversed: 1,
      reservationsReleased: 1,
      crmUpdates: 0,
      messagesSent: 0,
    });
  });

  it('retries through transient 503s and still applies each effect once', async () => {
    const request = refundRequest({ order: { id: `FLAKY-${Date.now()}`, amount: 12, currency: 'EUR' } });
    const result = await withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      return client.refundResult(workflowId);
    });
    expect(result.outcome).toBe('completed');
    expect(await ledgerFor(request.order.id)).toMatchObject({ refunded: 12, refundsIssued: 1, crmUpdates: 1, messagesSent: 1 });
  });

  it('returns the existing run when the same request is started twice, and refunds once', async () => {
    const request = refundRequest({ order: { id: `ORD-TWICE-${Date.now()}`, amount: 5, currency: 'EUR' } });
    const { first, second, third } = await withArbiter(async (client) => {
      const first = await client.startRefund(request);
      const second = await client.startRefund(request);
      await client.refundResult(first.workflowId);
      const third = await client.startRefund(request);
      return { first, second, third };
    });
    expect(first.started).toBe(true);
    expect(second).toMatchObject({ workflowId: first.workflowId, runId: first.runId, started: false });
    expect(third).toMatchObject({ workflowId: first.workflowId, runId: first.runId, started: false });
    expect(await ledgerFor(request.order.id)).toMatchObject({ refundsIssued: 1, messagesSent: 1 });
  });

  it('refuses a malformed request in the client, naming the field, and starts nothing', async () => {
    const request = refundRequest();
    const bad = { ...request, order: { ...request.order, currency: 'euro' } };
    const { error, listed } = await withArbiter(async (client) => {
      const error = await client.startRefund(bad).catch((e: unknown) => e);
      const listed = await client.getStatus(`refund-${request.requestId}`).catch((e: unknown) => e);
      return { error, listed };
    });
    expect(error).toMatchObject({ name: 'InvalidInput', fields: ['order.currency'] });
    expect((error as Error).message).toMatch(/order\.currency/);
    expect(listed).toBeInstanceOf(Error);
    expect((listed as Error).name).toBe('WorkflowNotFoundError');
  });
  it('waits for two distinct finance approvers on 3000 EUR, then refunds once', async () => {
    const request = refundRequest({ order: { id: `ORD-FIN-${Date.now()}`, amount: 3000, currency: 'EUR' }, requestedBy: 'alice' });
    const result = await withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      await approveAs(client, workflowId, { id: 'fin-1', roles: ['finance'] });
      await approveAs(client, workflowId, { id: 'fin-2', roles: ['finance'] });
      return client.refundResult(workflowId);
    });
    expect(result.outcome).toBe('completed');
    expect(await ledgerFor(request.order.id)).toMatchObject({ refunded: 3000, refundsIssued: 1, crmUpdates: 1, messagesSent: 1 });
  });

  it('touches no system when the approver rejects', async () => {
    const request = refundRequest({ order: { id: `ORD-REJ-${Date.now()}`, amount: 300, currency: 'EUR' }, requestedBy: 'alice' });
    const result = await withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      const view = await waitFor(async () => (await client.approval(workflowId)) ?? undefined, 'an approval card');
      const reject = { decision: 'reject' as const, approver: { id: 'carol', roles: ['support-lead'] }, cardHash: view.cardHash };
      // A service that authenticates another tenant's approvers signs nothing for this run.
      const otherTenant = await client.decide(workflowId, reject, { key: testDecisionKey(), tenant: 'globex' }).catch((err: Error) => err.message);
      const stillPending = (await client.approval(workflowId))?.status;
      await client.decide(workflowId, reject, { key: testDecisionKey(), tenant: 'acme' });
      return { ...(await client.refundResult(workflowId)), otherTenant, stillPending };
    });
    expect(result.otherTenant).toBe(`run ${refundWorkflowId(request.requestId)} is not a run of tenant globex; nothing was signed`);
    expect(result.stillPending).toBe('pending');
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'rejected by carol' });
    expect(await ledgerFor(request.order.id)).toBeUndefined();
  });

  it('touches no system when policy denies', async () => {
    const request = refundRequest({ order: { id: `ORD-DENY-${Date.now()}`, amount: 6000, currency: 'EUR' } });
    const result = await withArbiter(async (client) => client.refundResult((await client.startRefund(request)).workflowId));
    expect(result.outcome).toBe('denied');
    expect(result.reason).toMatch(/\(rule refund-over-limit\)$/);
    expect(await ledgerFor(request.order.id)).toBeUndefined();
  });
});
