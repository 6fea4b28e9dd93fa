// The credit-limit process end to end: the stand-in model proposes from the customer's record in
// the stand-in ERP, policy decides, credit managers and finance approve through the approvers'
// endpoint, and the saga sets the limit in the ERP and tells the account manager, putting the old
// limit back when the notice cannot be sent. The client and the endpoint serve it unchanged.
import { ApplicationFailure } from '@temporalio/activity';
import { createIntegrationActivities } from '../activities';
import type { ArbiterClient } from '../client';
import type { CreditLimitResult } from '../common/credit-limit-schemas';
import { registerStandInCreditCustomer } from '../standins/erp-client';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { creditCase, type CreditCase } from './helpers/credit-fixtures';
import { httpCall } from './helpers/http-client';
import { startTestEndpoint, tokenFor, waitForCard, type TestEndpoint } from './helpers/http-approvals';
import { copyPolicies, rewritePolicy } from './helpers/policies';
import { signalUntilContinued } from './helpers/runs';

const arbiter = useArbiterWithStandIns({ name: 'credit-limit' });
let endpoint: TestEndpoint;

beforeAll(async () => {
  endpoint = await startTestEndpoint(arbiter.env);
});

afterAll(async () => {
  await endpoint?.approvals.close();
});

async function erpCustomer(customerId: string) {
  const state = await arbiter.standInsState();
  return {
    limit: state.creditCustomers.find((c) => c.customerId === customerId)?.creditLimit,
    changes: state.creditLimitChanges.filter((c) => c.customerId === customerId).map((c) => c.status),
    notices: state.messages.filter((m) => m.orderId === customerId).map((m) => m.customerId),
  };
}

/** An approval through the endpoint, as the person with this token gives it on the card shown now. */
async function approveAs(workflowId: string, sub: string, roles: string[]) {
  const token = await tokenFor(sub, roles);
  const card = await waitForCard(endpoint.baseUrl, token, workflowId, 'approval');
  const answer = await httpCall(endpoint.baseUrl, { path: `/approvals/${workflowId}/decision`, token, json: { decision: 'approve', cardHash: card.cardHash } });
  expect(answer.status).toBe(202);
  return card.card as { ruleId: string; roles: string[]; requiredApprovals: number };
}

async function run({ request, record }: CreditCase, drive?: (client: ArbiterClient, workflowId: string) => Promise<unknown>, setup?: Parameters<typeof arbiter.withArbiter>[1]) {
  await registerStandInCreditCustomer(arbiter.standInsUrl, record);
  return arbiter.withArbiter(async (client) => {
    const { workflowId } = await client.start('credit-limit', request);
    expect(workflowId).toBe(`credit-limit-${request.requestId}`);
    await drive?.(client, workflowId);
    return { result: (await client.result(workflowId)) as unknown as CreditLimitResult, explanation: await client.explain(workflowId) };
  }, setup);
}

describe('credit limit against the stand-in ERP', () => {
  it('raises a small increase on its own and tells the account manager', async () => {
    const credit = creditCase(21_000);
    const { result, explanation } = await run(credit);
    expect(result).toMatchObject({ outcome: 'completed', previousLimit: 20_000, newLimit: 21_000, currency: 'EUR' });
    expect(explanation.decisions.map((d) => d.ruleId)).toEqual(['credit-limit-small']);
    expect(explanation.proposals[0]).toMatchObject({ source: 'ai', prompt: { id: 'credit-review', version: 1 } });
    expect(await erpCustomer(credit.record.customerId)).toEqual({ limit: 21_000, changes: ['applied'], notices: ['account-manager:am-lena'] });
  });

  it('waits for one credit manager on a mid-size increase, approved through the endpoint', async () => {
    const credit = creditCase(30_000);
    let card: Awaited<ReturnType<typeof approveAs>> | undefined;
    const { result } = await run(credit, async (_client, workflowId) => {
      card = await approveAs(workflowId, 'cm-ines', ['credit-manager']);
    });
    expect(card).toMatchObject({ ruleId: 'credit-limit-mid', roles: ['credit-manager'], requiredApprovals: 1 });
    expect(result.outcome).toBe('completed');
    expect((await erpCustomer(credit.record.customerId)).limit).toBe(30_000);
  });

  it('takes two credit managers and then one finance on an increase above 50,000', async () => {
    const credit = creditCase(120_000);
    const cards: Awaited<ReturnType<typeof approveAs>>[] = [];
    const { result, explanation } = await run(credit, async (_client, workflowId) => {
      cards.push(await approveAs(workflowId, 'cm-ines', ['credit-manager']));
      cards.push(await approveAs(workflowId, 'cm-tom', ['credit-manager']));
      // Holding both roles does not let a credit manager who approved sign off for finance too.
      const token = await tokenFor('cm-ines', ['credit-manager', 'finance']);
      const financeCard = await waitForCard(endpoint.baseUrl, token, workflowId, 'approval');
      const refused = await httpCall(endpoint.baseUrl, { path: `/approvals/${workflowId}/decision`, token, json: { decision: 'approve', cardHash: financeCard.cardHash } });
      expect(refused.body.code).toBe('segregation-of-duties');
      cards.push(await approveAs(workflowId, 'fin-ada', ['finance']));
    });
    expect(cards.map((c) => [c.ruleId, c.roles, c.requiredApprovals])).toEqual([
      ['credit-limit-large', ['credit-manager'], 2],
      ['credit-limit-large', ['credit-manager'], 2],
      ['credit-limit-finance-sign-off', ['finance'], 1],
    ]);
    expect(explanation.decisions.map((d) => d.ruleId)).toEqual(['credit-limit-large', 'credit-limit-finance-sign-off']);
    expect(result).toMatchObject({ outcome: 'completed', newLimit: 120_000 });
  });

  it('carries the credit managers\' approval when the run continues as new awaiting finance: finance still may not be one of them', async () => {
    const credit = creditCase(120_000);
    const policyDir = copyPolicies();
    rewritePolicy(policyDir, 'credit-limit', (policy) => (policy.approvalWait = { continueAsNew: { afterHistoryEvents: 100, afterHistoryBytes: 8 * 1024 * 1024 } }));
    let shown: { before?: string; after?: string; refusal?: unknown; signals?: number } = {};
    const { result, explanation } = await run(
      credit,
      async (_client, workflowId) => {
        await approveAs(workflowId, 'cm-ines', ['credit-manager']);
        await approveAs(workflowId, 'cm-tom', ['credit-manager']);
        const finance = await tokenFor('fin-ada', ['finance']);
        const before = (await waitForCard(endpoint.baseUrl, finance, workflowId, 'approval')).cardHash;
        const signals = await signalUntilContinued(arbiter.env.client.workflow.getHandle(workflowId));
        const after = (await waitForCard(endpoint.baseUrl, finance, workflowId, 'approval')).cardHash;
        // The new run knows who approved the first stage, though it never saw them do it.
        const both = await tokenFor('cm-ines', ['credit-manager', 'finance']);
        const refused = await httpCall(endpoint.baseUrl, { path: `/approvals/${workflowId}/decision`, token: both, json: { decision: 'approve', cardHash: after } });
        shown = { before, after, refusal: refused.body.code, signals };
        await approveAs(workflowId, 'fin-ada', ['finance']);
      },
      { policyDir },
    );
    expect(shown.after).toBe(shown.before);
    expect(shown.refusal).toBe('segregation-of-duties');
    expect(result).toMatchObject({ outcome: 'completed', newLimit: 120_000 });
    expect(explanation.approval?.decisions.map((d) => d.approverId)).toEqual(['fin-ada']);
    expect(explanation.notes.some((n) => n.text.startsWith('continued as new while awaiting approval'))).toBe(true);
    expect(explanation.decisions.map((d) => d.ruleId)).toEqual(['credit-limit-large', 'credit-limit-finance-sign-off']);
  });

  it('denies any increase to a customer more than 60 days past due, and leaves the limit as it is', async () => {
    const credit = creditCase(21_000, { daysPastDue: 75 });
    const { result, explanation } = await run(credit);
    expect(result.outcome).toBe('denied');
    expect(explanation.decisions.map((d) => d.ruleId)).toEqual(['credit-days-past-due-within-60']);
    expect(await erpCustomer(credit.record.customerId)).toEqual({ limit: 20_000, changes: [], notices: [] });
  });

  it('denies a limit above 250,000, whoever would approve', async () => {
    const credit = creditCase(300_000, { creditLimit: 200_000 });
    const { result, explanation } = await run(credit);
    expect(result.outcome).toBe('denied');
    expect(explanation.decisions.map((d) => d.ruleId)).toEqual(['credit-limit-at-most-250000']);
    expect((await erpCustomer(credit.record.customerId)).limit).toBe(200_000);
  });

  it('puts the old limit back when the account manager cannot be told', async () => {
    const credit = creditCase(21_000);
    const systems = createIntegrationActivities({
      paymentsUrl: arbiter.standInsUrl,
      crmUrl: arbiter.standInsUrl,
      notificationsUrl: arbiter.standInsUrl,
      catalogUrl: arbiter.standInsUrl,
      channelsUrl: arbiter.standInsUrl,
      erpUrl: arbiter.standInsUrl,
    });
    const failingAccountManagerNotice = async (): Promise<never> => {
      throw ApplicationFailure.nonRetryable('notifications refuse the account manager', 'NotificationsRejected');
    };
    const { result, explanation } = await run(credit, undefined, { integrations: { ...systems, notifyAccountManager: failingAccountManagerNotice } });
    expect(result).toMatchObject({ outcome: 'compensated', failure: { step: 'notify-account-manager', error: { type: 'NotificationsRejected' } } });
    expect(await erpCustomer(credit.record.customerId)).toEqual({ limit: 20_000, changes: ['restored'], notices: [] });
    const undone = explanation.steps.filter((s) => s.kind === 'compensation' && s.status === 'compensated').map((s) => s.step);
    expect(undone).toEqual(['set-credit-limit']);
  });
});
