// Who may act, proved rather than claimed, through the approvers' endpoint and the workflow
// itself on a real dev server: people are never taken for agents, only holders of the policy's
// proposer roles propose (never the requester), and tenants fail closed.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TypedSearchAttributes } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import { ArbiterTenant } from '../common/constants';
import { priceChange } from '../workflows/price-change';
import { approvalQuery, explainQuery } from '../workflows/refund';
import { signalSignedDecision, signalSignedProposal } from './helpers/decision-key';
import { httpCall } from './helpers/http-client';
import { damagedRefund, order, startTestEndpoint, tokenFor, waitForCard, waitUntilListed, withRefundRun, type TestEndpoint } from './helpers/http-approvals';
import { copyPolicies, refundAiOff } from './helpers/policies';
import { priceChangeRequest } from './helpers/price-fixtures';
import { recordingSystems } from './helpers/recording-systems';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { withArbiterWorkers } from './helpers/workers';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let endpoint: TestEndpoint;
let baseUrl: string;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  endpoint = await startTestEndpoint(env);
  baseUrl = endpoint.baseUrl;
});

afterAll(async () => {
  await endpoint?.approvals.close();
  await env?.teardown();
});

const NO_CARD = 'a'.repeat(64);

/** The run's notes, once one matching `pattern` is there. */
async function noteMatching(handle: { query: (q: typeof explainQuery) => Promise<{ notes: { text: string }[] }> }, pattern: RegExp): Promise<string> {
  return waitFor(async () => (await handle.query(explainQuery)).notes.map((n) => n.text).find((text) => pattern.test(text)), `a note matching ${pattern}`);
}

describe('people are not agents', () => {
  it('refuses a token whose subject is an agent id of a policy, on every API route', async () => {
    const [asBot, asPricingBot] = await Promise.all([tokenFor('support-bot', ['support-lead', 'support-agent']), tokenFor('pricing-bot', ['pricing-manager'])]);
    const answers = await Promise.all([
      httpCall(baseUrl, { path: '/approvals', token: asBot }),
      httpCall(baseUrl, { path: '/approvals/refund-x', token: asBot }),
      httpCall(baseUrl, { path: '/approvals/refund-x/decision', token: asBot, json: { decision: 'approve', cardHash: NO_CARD } }),
      httpCall(baseUrl, { path: '/approvals/refund-x/proposal', token: asBot, json: { cardHash: NO_CARD, proposal: damagedRefund(50) } }),
      httpCall(baseUrl, { path: '/approvals', token: asPricingBot }),
    ]);
    expect(answers.map((a) => [a.status, a.body.code])).toEqual(Array(5).fill([403, 'not-a-person']));
  });

  it("refuses a proposal signalled under the agent's id, and has a person's 40 EUR proposal reviewed instead of run on its own", async () => {
    const { refusal, card, moved } = await withRefundRun(
      env,
      bundle,
      order(40),
      async (handle) => {
        await waitFor(async () => (await handle.query(approvalQuery))?.card.kind === 'proposal', 'a proposal card');
        // Before: a person whose id was `support-bot` got the agent's rights, and the money moved unreviewed.
        // Signed as the endpoint would: the run re-checks even what the endpoint vouches for.
        await signalSignedProposal(handle, { submittedBy: 'support-bot', roles: ['support-agent'], proposal: damagedRefund(40) });
        const refusal = await noteMatching(handle, /support-bot refused/);
        await signalSignedProposal(handle, { submittedBy: 'dan', roles: ['support-agent'], proposal: damagedRefund(40) });
        const card = await waitFor(async () => {
          const view = await handle.query(approvalQuery);
          return view?.card.kind === 'approval' ? view.card : undefined;
        }, 'an approval card');
        return { refusal, card, moved: (await handle.query(explainQuery)).outcome };
      },
      { policyDir: refundAiOff() },
    );
    expect(refusal).toBe("submitProposal from support-bot refused: support-bot is an agent's id; a person proposes under their own");
    expect(card).toMatchObject({ ruleId: 'refund-small', roles: ['support-lead'], excluded: expect.arrayContaining(['alice', 'dan']) });
    expect(card.reason).toMatch(/dan is a person and may only propose/);
    expect(moved).toBeUndefined();
  });

  it("refuses a decision signalled under an agent's id, whatever roles it claims", async () => {
    const refused = await withRefundRun(env, bundle, order(740), async (handle) => {
      const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
      await signalSignedDecision(handle, { decision: 'approve', approver: { id: 'support-bot', roles: ['support-lead'] }, cardHash: view.cardHash });
      return waitFor(async () => (await handle.query(explainQuery)).refusedDecisions[0], 'a refused decision');
    });
    expect(refused).toMatchObject({ approverId: 'support-bot', reason: "support-bot is an agent's id; an agent never approves" });
  });
});

describe('who may supply a proposal', () => {
  it('answers 403 to a person without a proposer role, who may not read the proposal card either, and the workflow refuses them by signal', async () => {
    const [lead, agentDan] = await Promise.all([tokenFor('carol', ['support-lead']), tokenFor('dan', ['support-agent'])]);
    const outcome = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        const { cardHash } = await waitForCard(baseUrl, agentDan, handle.workflowId, 'proposal');
        const read = await httpCall(baseUrl, { path: `/approvals/${handle.workflowId}`, token: lead });
        const proposed = await httpCall(baseUrl, { path: `/approvals/${handle.workflowId}/proposal`, token: lead, json: { cardHash, proposal: damagedRefund(250) } });
        await signalSignedProposal(handle, { submittedBy: 'carol', roles: ['support-lead'], proposal: damagedRefund(250) });
        return { read, proposed, note: await noteMatching(handle, /from carol refused/), stillWaiting: (await handle.query(approvalQuery))?.card.kind };
      },
      { policyDir: refundAiOff() },
    );
    expect([outcome.read.status, outcome.read.body.code]).toEqual([403, 'role']);
    expect([outcome.proposed.status, outcome.proposed.body.code]).toEqual([403, 'role']);
    expect(outcome.note).toBe('submitProposal from carol refused: proposing needs one of the roles: support-agent');
    expect(outcome.stillWaiting).toBe('proposal');
  });

  it("refuses the requester's own proposal, sent by signal past the endpoint", async () => {
    const note = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        await waitFor(async () => (await handle.query(approvalQuery))?.card.kind === 'proposal', 'a proposal card');
        await signalSignedProposal(handle, { submittedBy: 'alice', roles: ['support-agent'], proposal: damagedRefund(300) });
        return noteMatching(handle, /from alice refused/);
      },
      { policyDir: refundAiOff() },
    );
    expect(note).toBe('submitProposal from alice refused: alice requested this action and may not propose it');
  });

  it("takes a price change's proposal at POST /approvals/:id/proposal, checked with the price change's own schema", async () => {
    const policyDir = copyPolicies();
    const file = path.join(policyDir, 'price-change.yaml');
    const policy = parse(readFileSync(file, 'utf8')) as { ai: { enabled: boolean } };
    policy.ai.enabled = false;
    writeFileSync(file, stringify(policy));
    const request = priceChangeRequest('spring promo', ['SKU-A']);
    const sku = request.skus[0]!.sku;
    const analyst = await tokenFor('pia', ['pricing-analyst']);
    const outcome = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, policyDir }, async (taskQueue) => {
      const handle = await env.client.workflow.start(priceChange, { taskQueue, workflowId: `price-change-${request.requestId}`, args: [request] });
      try {
        const { cardHash } = await waitForCard(baseUrl, analyst, handle.workflowId, 'proposal');
        const malformed = await httpCall(baseUrl, {
          path: `/approvals/${handle.workflowId}/proposal`,
          token: analyst,
          json: { cardHash, proposal: { changes: [{ sku, newPrice: 'cheap', currency: 'EUR', rationale: 'promo' }], confidence: 1, summary: 'promo' } },
        });
        const taken = await httpCall(baseUrl, {
          path: `/approvals/${handle.workflowId}/proposal`,
          token: analyst,
          json: { cardHash, proposal: { changes: [{ sku, newPrice: 95, currency: 'EUR', rationale: 'spring promo' }], confidence: 1, summary: '5% off' } },
        });
        const review = await waitFor(async () => {
          const view = await handle.query(approvalQuery);
          return view?.card.kind === 'approval' ? view.card : undefined;
        }, 'the review of the analyst proposal');
        return { malformed, taken, review };
      } finally {
        await handle.terminate('test finished').catch(() => undefined);
      }
    });
    expect([outcome.malformed.status, outcome.malformed.body.field]).toEqual([400, 'proposal.changes.0.newPrice']);
    expect(outcome.taken.status).toBe(202);
    expect(outcome.review).toMatchObject({ roles: ['pricing-manager'], excluded: expect.arrayContaining(['merch-ann', 'pia']) });
  });
});

describe('tenants fail closed', () => {
  it('refuses an authentic token that names no tenant with 403 on every API route, and still answers healthz', async () => {
    const noTenant = await tokenFor('carol', ['support-lead'], { tenant: undefined });
    const answers = await Promise.all([
      httpCall(baseUrl, { path: '/approvals', token: noTenant }),
      httpCall(baseUrl, { path: '/approvals/refund-x', token: noTenant }),
      httpCall(baseUrl, { path: '/approvals/refund-x/decision', token: noTenant, json: { decision: 'approve', cardHash: NO_CARD } }),
    ]);
    expect(answers.map((a) => [a.status, a.body.code])).toEqual(Array(3).fill([403, 'tenant']));
    expect((await httpCall(baseUrl, { path: '/healthz' })).status).toBe(200);
  });

  it("answers another tenant's card exactly as a missing one, and lists it only to its tenant or an explicit every-tenant token", async () => {
    const [own, foreign, everyTenant] = await Promise.all([
      tokenFor('carol', ['support-lead']),
      tokenFor('carol', ['support-lead'], { tenant: 'globex' }),
      tokenFor('ops-olga', ['support-lead'], { tenant: '*' }),
    ]);
    const seen = await withRefundRun(env, bundle, order(740), async (handle) => {
      await waitUntilListed(baseUrl, own, handle.workflowId);
      await waitUntilListed(baseUrl, everyTenant, handle.workflowId);
      const listedForForeign = await httpCall(baseUrl, { path: '/approvals', token: foreign });
      return {
        foreignCard: await httpCall(baseUrl, { path: `/approvals/${handle.workflowId}`, token: foreign }),
        missingCard: await httpCall(baseUrl, { path: `/approvals/${handle.workflowId}-missing`, token: foreign }),
        listedForForeign: (listedForForeign.body.approvals as { workflowId: string }[]).map((a) => a.workflowId),
        workflowId: handle.workflowId,
      };
    });
    expect(seen.foreignCard.status).toBe(404);
    expect([seen.foreignCard.status, seen.foreignCard.body]).toEqual([seen.missingCard.status, seen.missingCard.body]);
    expect(seen.listedForForeign).not.toContain(seen.workflowId);
  });

  it("answers another tenant's run whose worker is gone as a missing one, where its own tenant hears 503", async () => {
    const request = order(740);
    const workflowId = `refund-${request.requestId}`;
    // A queue no worker polls: the run exists, with its tenant set at start, and nobody answers its queries.
    const handle = await env.client.workflow.start('refund', {
      taskQueue: `nobody-${request.requestId}`,
      workflowId,
      args: [request],
      typedSearchAttributes: new TypedSearchAttributes([{ key: ArbiterTenant, value: 'acme' }]),
    });
    try {
      const [own, foreign] = await Promise.all([tokenFor('carol', ['support-lead']), tokenFor('carol', ['support-lead'], { tenant: 'globex' })]);
      const foreignAnswer = await httpCall(baseUrl, { path: `/approvals/${workflowId}`, token: foreign });
      const missingAnswer = await httpCall(baseUrl, { path: `/approvals/${workflowId}-missing`, token: foreign });
      const ownAnswer = await httpCall(baseUrl, { path: `/approvals/${workflowId}`, token: own });
      expect([foreignAnswer.status, foreignAnswer.body]).toEqual([missingAnswer.status, missingAnswer.body]);
      expect(foreignAnswer.status).toBe(404);
      expect(ownAnswer.status).toBe(503);
    } finally {
      await handle.terminate('test finished');
    }
  });
});

