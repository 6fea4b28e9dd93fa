// The approvers' endpoint over real HTTP, against a real dev server running the real refund
// workflow: every answer it gives (202 down to 429), four-eyes approval, the listing per caller,
// and the manual proposal path when AI is off.
import { SignJWT } from 'jose';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { approvalQuery } from '../workflows/refund';
import { httpCall } from './helpers/http-client';
import { damagedRefund, listedIds, order, startTestEndpoint, TEST_SECRET, tokenFor, waitForCard, waitUntilListed, withRefundRun, type TestEndpoint } from './helpers/http-approvals';
import { copyPolicies, refundAiOff, shortenApprovals } from './helpers/policies';
import { bundleWorkflows, startTestServer } from './helpers/temporal';

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

const carol = () => tokenFor('carol', ['support-lead']);
const OTHER_HASH = 'f'.repeat(64);

function decide(workflowId: string, token: string, body: Record<string, unknown>) {
  return httpCall(baseUrl, { path: `/approvals/${workflowId}/decision`, token, json: body });
}

function propose(workflowId: string, token: string, body: Record<string, unknown>) {
  return httpCall(baseUrl, { path: `/approvals/${workflowId}/proposal`, token, json: body });
}


describe('deciding an approval', () => {
  it('accepts a support-lead approval with 202 and the receipt, and the run completes', async () => {
    const token = await carol();
    const { answer, result } = await withRefundRun(env, bundle, order(740), async (handle) => {
      const card = await waitForCard(baseUrl, token, handle.workflowId, 'approval');
      const answer = await decide(handle.workflowId, token, { decision: 'approve', comment: 'photos checked', cardHash: card.cardHash });
      return { answer, result: await handle.result() };
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'approved', stillNeeded: 0, duplicate: false });
    expect(result).toMatchObject({ outcome: 'completed', amount: 740 });
  });

  it("takes two distinct finance approvals for 3000 EUR; the same approver's repeat counts once, and a change of mind is refused with 409", async () => {
    const [fin1, fin2] = await Promise.all([tokenFor('fin-1', ['finance']), tokenFor('fin-2', ['finance'])]);
    const { first, again, changed, second, result } = await withRefundRun(env, bundle, order(3000), async (handle) => {
      const { cardHash } = await waitForCard(baseUrl, fin1, handle.workflowId, 'approval');
      const first = await decide(handle.workflowId, fin1, { decision: 'approve', cardHash });
      const again = await decide(handle.workflowId, fin1, { decision: 'approve', cardHash });
      const changed = await decide(handle.workflowId, fin1, { decision: 'reject', cardHash });
      const second = await decide(handle.workflowId, fin2, { decision: 'approve', cardHash });
      return { first, again, changed, second, result: await handle.result() };
    });
    expect([first.status, first.body.stillNeeded]).toEqual([202, 1]);
    expect([again.status, again.body.duplicate, again.body.stillNeeded]).toEqual([202, true, 1]);
    expect([changed.status, changed.body.code]).toEqual([409, 'already-decided']);
    expect([second.status, second.body.status]).toEqual([202, 'approved']);
    expect(result.outcome).toBe('completed');
  });

  it('answers 400 naming the field when the decision is neither approve nor reject', async () => {
    const answer = await decide('refund-anything', await carol(), { decision: 'maybe', cardHash: OTHER_HASH });
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('decision');
  });

  it('answers 400 naming "approver" when the body tries to say who approves', async () => {
    const answer = await decide('refund-anything', await carol(), { decision: 'approve', cardHash: OTHER_HASH, approver: { id: 'mona', roles: ['finance'] } });
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('approver');
  });

  it('answers 400 when the body is not valid JSON', async () => {
    const answer = await httpCall(baseUrl, { path: '/approvals/refund-anything/decision', token: await carol(), raw: '{"decision": ' });
    expect([answer.status, answer.body.code]).toEqual([400, 'invalid-json']);
  });

  it('answers 403 to a caller without a deciding role, who may not read the card either', async () => {
    const [lead, finance] = await Promise.all([carol(), tokenFor('fin-1', ['finance'])]);
    const { decided, read } = await withRefundRun(env, bundle, order(740), async (handle) => {
      const { cardHash } = await waitForCard(baseUrl, lead, handle.workflowId, 'approval');
      return {
        decided: await decide(handle.workflowId, finance, { decision: 'approve', cardHash }),
        read: await httpCall(baseUrl, { path: `/approvals/${handle.workflowId}`, token: finance }),
      };
    });
    expect([decided.status, decided.body.code]).toEqual([403, 'role']);
    expect([read.status, read.body.code, read.body.card]).toEqual([403, 'role', undefined]);
  });

  it("answers another tenant's decision exactly as it answers a run that does not exist", async () => {
    const [own, foreign] = await Promise.all([carol(), tokenFor('carol', ['support-lead'], { tenant: 'globex' })]);
    const { answer, missing } = await withRefundRun(env, bundle, order(740), async (handle) => {
      const { cardHash } = await waitForCard(baseUrl, own, handle.workflowId, 'approval');
      return {
        answer: await decide(handle.workflowId, foreign, { decision: 'approve', cardHash }),
        missing: await decide(`${handle.workflowId}-missing`, foreign, { decision: 'approve', cardHash }),
      };
    });
    expect(answer.status).toBe(404);
    expect([answer.status, answer.body]).toEqual([missing.status, missing.body]);
  });

  it('answers 403 when the requester approves their own request, whatever their role', async () => {
    const requester = await tokenFor('alice', ['support-lead']);
    const answer = await withRefundRun(env, bundle, order(740), async (handle) => {
      const { cardHash } = await waitForCard(baseUrl, requester, handle.workflowId, 'approval');
      return decide(handle.workflowId, requester, { decision: 'approve', cardHash });
    });
    expect([answer.status, answer.body.code]).toEqual([403, 'segregation-of-duties']);
  });

  it('answers 404 for a workflow that does not exist', async () => {
    const answer = await decide('refund-no-such-run', await carol(), { decision: 'approve', cardHash: OTHER_HASH });
    expect([answer.status, answer.body.code]).toEqual([404, 'not-pending']);
  });

  it('answers 409 to a decision made on an outdated card', async () => {
    const token = await carol();
    const answer = await withRefundRun(env, bundle, order(740), async (handle) => {
      await waitForCard(baseUrl, token, handle.workflowId, 'approval');
      return decide(handle.workflowId, token, { decision: 'approve', cardHash: OTHER_HASH });
    });
    expect([answer.status, answer.body.code, answer.body.field]).toEqual([409, 'stale-card', 'cardHash']);
  });

  it('answers 410 once the approval has expired', async () => {
    const policyDir = copyPolicies((p) => shortenApprovals(p, '1h', '2s'));
    const { answer, result } = await withRefundRun(
      env,
      bundle,
      order(740),
      async (handle) => {
        const result = await handle.result();
        // The card stays readable after the run: it is the very card the approver would have been shown.
        const view = await handle.query(approvalQuery);
        return { result, answer: await decide(handle.workflowId, await carol(), { decision: 'approve', cardHash: view!.cardHash }) };
      },
      { policyDir },
    );
    expect(result.reason).toMatch(/auto-rejected/);
    expect([answer.status, answer.body.code]).toEqual([410, 'expired']);
  });
});

describe('refusing requests before they reach a workflow', () => {
  it('answers 401 without a token', async () => {
    const answer = await httpCall(baseUrl, { path: '/approvals' });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers 401 to a token signed with another secret', async () => {
    const forged = await new SignJWT({ roles: ['support-lead'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-of-at-least-32-characters'));
    const answer = await httpCall(baseUrl, { path: '/approvals', token: forged });
    expect([answer.status, answer.body.error]).toEqual([401, 'token signature is invalid']);
  });

  it('answers 401 to an expired token', async () => {
    const expired = await tokenFor('carol', ['support-lead'], { expiresIn: '-1m' });
    const answer = await httpCall(baseUrl, { path: '/approvals', token: expired });
    expect([answer.status, answer.body.error]).toEqual([401, 'token expired']);
  });

  it('answers 401 to a token signed with the right secret but another algorithm', async () => {
    const hs512 = await new SignJWT({ roles: ['support-lead'] })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('carol')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_SECRET));
    const answer = await httpCall(baseUrl, { path: '/approvals', token: hs512 });
    expect([answer.status, answer.body.error]).toEqual([401, 'token algorithm is not accepted']);
  });

  it('answers 413 to a body over 16 KiB', async () => {
    const big = JSON.stringify({ decision: 'approve', cardHash: OTHER_HASH, comment: 'x'.repeat(17 * 1024) });
    const answer = await httpCall(baseUrl, { path: '/approvals/refund-anything/decision', token: await carol(), raw: big });
    expect(answer.status).toBe(413);
  });

  it('answers 415 to a body that is not sent as JSON', async () => {
    const answer = await httpCall(baseUrl, { path: '/approvals/refund-anything/decision', token: await carol(), raw: 'decision=approve', contentType: 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(415);
  });

  it('answers 429 with Retry-After to an address that exceeds its burst, while other addresses are still served', async () => {
    // 127.0.0.2 is another client to the server: this test's flood uses its own bucket.
    const flood = await Promise.all(Array.from({ length: 60 }, () => httpCall(baseUrl, { path: '/healthz', localAddress: '127.0.0.2' })));
    const refused = flood.filter((a) => a.status === 429);
    const other = await httpCall(baseUrl, { path: '/healthz' });
    expect(refused.length).toBeGreaterThan(0);
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(other.status).toBe(200);
  });

  it('answers 404 to an unknown route and 405 to a wrong method', async () => {
    const token = await carol();
    const [unknown, wrongMethod] = await Promise.all([
      httpCall(baseUrl, { path: '/nothing-here', token }),
      httpCall(baseUrl, { method: 'DELETE', path: '/approvals/refund-anything/decision', token }),
    ]);
    expect(unknown.status).toBe(404);
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, 'POST']);
  });

  it('answers /healthz without a token', async () => {
    const answer = await httpCall(baseUrl, { path: '/healthz' });
    expect([answer.status, answer.body]).toEqual([200, { ok: true }]);
  });

  it('logs method, path, status and caller of each request, but never the token or the body', async () => {
    const token = await carol();
    await decide('refund-log-check', token, { decision: 'approve', comment: 'private remark 7731', cardHash: OTHER_HASH });
    const lines = endpoint.logLines.filter((line) => line.includes('refund-log-check'));
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({ method: 'POST', path: '/approvals/refund-log-check/decision', status: 404, caller: 'carol', ms: expect.any(Number) }),
    ]);
    expect(endpoint.logLines.join('\n')).not.toContain(token);
    expect(endpoint.logLines.join('\n')).not.toContain('private remark 7731');
  });
});

describe('listing the cards waiting for a caller', () => {
  it('lists a 740 EUR card for a support lead of the tenant only, never for finance, the requester or another tenant', async () => {
    const [lead, leadOfTenant, finance, requester, foreign] = await Promise.all([
      carol(),
      tokenFor('carol', ['support-lead'], { tenant: 'acme' }),
      tokenFor('fin-1', ['finance']),
      tokenFor('alice', ['support-lead']),
      tokenFor('dora', ['support-lead'], { tenant: 'globex' }),
    ]);
    const seenBy = await withRefundRun(env, bundle, order(740), async (handle) => {
      await waitUntilListed(baseUrl, lead, handle.workflowId);
      const id = handle.workflowId;
      const sees = async (token: string) => (await listedIds(baseUrl, token)).includes(id);
      return { leadOfTenant: await sees(leadOfTenant), finance: await sees(finance), requester: await sees(requester), foreign: await sees(foreign) };
    });
    expect(seenBy).toEqual({ leadOfTenant: true, finance: false, requester: false, foreign: false });
  });

  it('drops a card from the listing of an approver once they have decided it', async () => {
    const [fin1, fin2] = await Promise.all([tokenFor('fin-1', ['finance']), tokenFor('fin-2', ['finance'])]);
    const { stillListedForFin1, listedForFin2 } = await withRefundRun(env, bundle, order(3000), async (handle) => {
      await waitUntilListed(baseUrl, fin1, handle.workflowId);
      const { cardHash } = await waitForCard(baseUrl, fin1, handle.workflowId, 'approval');
      expect((await decide(handle.workflowId, fin1, { decision: 'approve', cardHash })).status).toBe(202);
      return {
        stillListedForFin1: (await listedIds(baseUrl, fin1)).includes(handle.workflowId),
        listedForFin2: (await listedIds(baseUrl, fin2)).includes(handle.workflowId),
      };
    });
    expect({ stillListedForFin1, listedForFin2 }).toEqual({ stillListedForFin1: false, listedForFin2: true });
  });
});

describe('supplying a proposal when AI is off', () => {
  it("takes a person's proposal, hands it to another person to approve, and the run completes", async () => {
    const [dan, danAsLead, lead] = await Promise.all([tokenFor('agent-dan', ['support-agent']), tokenFor('agent-dan', ['support-lead']), carol()]);
    const outcome = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        await waitUntilListed(baseUrl, dan, handle.workflowId);
        const proposalCard = await waitForCard(baseUrl, dan, handle.workflowId, 'proposal');
        const submitted = await propose(handle.workflowId, dan, { cardHash: proposalCard.cardHash, proposal: damagedRefund(250) });
        const approvalCard = await waitForCard(baseUrl, lead, handle.workflowId, 'approval');
        const byProposer = await decide(handle.workflowId, danAsLead, { decision: 'approve', cardHash: approvalCard.cardHash });
        const byLead = await decide(handle.workflowId, lead, { decision: 'approve', cardHash: approvalCard.cardHash });
        return { submitted, excluded: approvalCard.card.excluded, byProposer, byLead, result: await handle.result() };
      },
      { policyDir: refundAiOff() },
    );
    expect(outcome.submitted.status).toBe(202);
    expect(outcome.excluded).toEqual(expect.arrayContaining(['alice', 'agent-dan']));
    expect([outcome.byProposer.status, outcome.byProposer.body.code]).toEqual([403, 'segregation-of-duties']);
    expect(outcome.byLead.status).toBe(202);
    expect(outcome.result).toMatchObject({ outcome: 'completed', amount: 250 });
  });

  it('answers 400 naming proposal.amount for a malformed proposal', async () => {
    const dan = await tokenFor('agent-dan', ['support-agent']);
    const answer = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        const { cardHash } = await waitForCard(baseUrl, dan, handle.workflowId, 'proposal');
        return propose(handle.workflowId, dan, { cardHash, proposal: { ...damagedRefund(250), amount: 'lots' } });
      },
      { policyDir: refundAiOff() },
    );
    expect([answer.status, answer.body.field]).toEqual([400, 'proposal.amount']);
  });

  it('answers 403 when the requester supplies the proposal for their own request', async () => {
    const requester = await tokenFor('alice', ['support-agent']);
    const answer = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        const { cardHash } = await waitForCard(baseUrl, requester, handle.workflowId, 'proposal');
        return propose(handle.workflowId, requester, { cardHash, proposal: damagedRefund(250) });
      },
      { policyDir: refundAiOff() },
    );
    expect([answer.status, answer.body.code]).toEqual([403, 'segregation-of-duties']);
  });

  it('answers 404 to a decision on a card that asks for a proposal', async () => {
    const [lead, dan] = await Promise.all([carol(), tokenFor('agent-dan', ['support-agent'])]);
    const answer = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        const { cardHash } = await waitForCard(baseUrl, dan, handle.workflowId, 'proposal');
        return decide(handle.workflowId, lead, { decision: 'approve', cardHash });
      },
      { policyDir: refundAiOff() },
    );
    expect([answer.status, answer.body.code]).toEqual([404, 'not-pending']);
  });

  it('answers 404 to a proposal on a card that asks for a decision', async () => {
    const lead = await carol();
    const answer = await withRefundRun(env, bundle, order(740), async (handle) => {
      const { cardHash } = await waitForCard(baseUrl, lead, handle.workflowId, 'approval');
      return propose(handle.workflowId, lead, { cardHash, proposal: damagedRefund(250) });
    });
    expect([answer.status, answer.body.code]).toEqual([404, 'not-pending']);
  });

  it('answers 409 to a proposal made on an outdated card', async () => {
    const dan = await tokenFor('agent-dan', ['support-agent']);
    const answer = await withRefundRun(
      env,
      bundle,
      order(300),
      async (handle) => {
        await waitForCard(baseUrl, dan, handle.workflowId, 'proposal');
        return propose(handle.workflowId, dan, { cardHash: OTHER_HASH, proposal: damagedRefund(250) });
      },
      { policyDir: refundAiOff() },
    );
    expect([answer.status, answer.body.code]).toEqual([409, 'stale-card']);
  });
});
