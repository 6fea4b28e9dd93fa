// The refund decides on what payments records, never on what the request claims, end to end
// against the stand-in systems over HTTP: racing refunds on one order, a request that inflates
// its order, an order payments never saw, and an order already refunded.
import { registerTestOrder } from './helpers/payments-record';
import { refundRequest } from './helpers/refund-fixtures';
import { testDecisionKey } from './helpers/decision-key';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { waitFor } from './helpers/wait';

const arbiter = useArbiterWithStandIns({ name: 'orders' });
const { withArbiter } = arbiter;

async function ledgerFor(orderId: string) {
  return (await arbiter.standInsState()).ledger.find((e) => e.orderId === orderId);
}

describe('refund facts from the payments record', () => {
  it('lets ten concurrent refunds on one 40 EUR order refund at most 40 in total, and leaves none half-done', async () => {
    const first = refundRequest({ order: { id: `ORD-RACE-${Date.now()}`, amount: 40, currency: 'EUR' } });
    const requests = [first, ...Array.from({ length: 9 }, () => refundRequest({ order: first.order, customer: first.customer }))];
    const results = await withArbiter(async (client) => {
      const runs = await Promise.all(requests.map((request) => client.startRefund(request)));
      return Promise.all(runs.map((run) => client.refundResult(run.workflowId)));
    });
    const outcomes = results.map((r) => r.outcome);
    console.log(`refund-orders: 10 concurrent refunds on one 40 EUR order: ${JSON.stringify(outcomes)}`);
    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'denied')).toHaveLength(9);
    for (const result of results.filter((r) => r.outcome === 'denied')) {
      expect(result.reason).toMatch(/refund-within-paid|payments refused the reservation/);
    }
    expect(await ledgerFor(first.order.id)).toMatchObject({ refunded: 40, reserved: 0, refundsIssued: 1, refundsReversed: 0, messagesSent: 1 });
  });

  it('sends a request that claims a 5000 EUR order for a 40 EUR purchase to a person, with the recorded amount on the card', async () => {
    const request = refundRequest({ order: { id: `ORD-CLAIM-${Date.now()}`, amount: 5000, currency: 'EUR' } }, { registered: false });
    registerTestOrder({ orderId: request.order.id, amount: 40, currency: 'EUR', customerId: request.customer.id });
    const view = await withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      const card = await waitFor(async () => (await client.approval(workflowId)) ?? undefined, 'an approval card');
      await client.decide(workflowId, { decision: 'reject', approver: { id: 'carol', roles: ['support-lead'] }, cardHash: card.cardHash }, { key: testDecisionKey(), tenant: 'acme' });
      expect(await client.refundResult(workflowId)).toMatchObject({ outcome: 'rejected' });
      return card;
    });
    expect(view.card).toMatchObject({ kind: 'approval', ruleId: 'refund-order-mismatch', roles: ['support-lead'] });
    expect(view.card.parameters).toMatchObject({ orderAmount: 40, amount: 40 });
    expect(await ledgerFor(request.order.id)).toBeUndefined();
  });

  it('denies a refund on an order payments does not know, naming it, and touches no system', async () => {
    const request = refundRequest({ order: { id: `ORD-GHOST-${Date.now()}`, amount: 40, currency: 'EUR' } }, { registered: false });
    const result = await withArbiter(async (client) => client.refundResult((await client.startRefund(request)).workflowId));
    expect(result).toMatchObject({ outcome: 'denied', reason: `order ${request.order.id} is not known to the payments system` });
    expect(await ledgerFor(request.order.id)).toBeUndefined();
  });

  it('denies a second refund once the order is refunded, by the invariant refund-within-paid', async () => {
    const first = refundRequest({ order: { id: `ORD-AGAIN-${Date.now()}`, amount: 30, currency: 'EUR' } });
    const second = refundRequest({ order: first.order, customer: first.customer });
    const results = await withArbiter(async (client) => {
      const one = await client.refundResult((await client.startRefund(first)).workflowId);
      const two = await client.refundResult((await client.startRefund(second)).workflowId);
      return [one, two];
    });
    expect(results.map((r) => r.outcome)).toEqual(['completed', 'denied']);
    expect(results[1]!.reason).toMatch(/with 30 already refunded exceeds the order amount 30 EUR.*refund-within-paid/);
    expect(await ledgerFor(first.order.id)).toMatchObject({ refunded: 30, refundsIssued: 1 });
  });
});
