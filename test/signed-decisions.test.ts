// Decisions nobody can forge: a person's decision or proposal counts only with the approvers'
// endpoint's Ed25519 signature over the canonical statement, checked by the run against the keys
// pinned with its policy. Raw signals (the `temporal` CLI, the Web UI), foreign keys, statements
// changed on the way or signed for another run are refused and listed; the policy's break glass
// takes unsigned ones, audited as such; two listed keys let the endpoint's key rotate.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import type { AuditEvent } from '../common/audit-schemas';
import { createReceiptChecker } from '../common/decision-receipt';
import { parseDecisionKey, type DecisionSigningKey } from '../runtime/decision-key';
import { approvalDecisionSignal, approvalQuery, explainQuery, submitProposalSignal } from '../workflows/refund';
import { signalSignedDecision, signalSignedProposal, signDecision, testDecisionKey } from './helpers/decision-key';
import { httpCall } from './helpers/http-client';
import { damagedRefund, order, startTestEndpoint, tokenFor, withRefundRun, type TestEndpoint } from './helpers/http-approvals';
import { copyPolicies, refundAiOff } from './helpers/policies';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let endpoint: TestEndpoint;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  endpoint = await startTestEndpoint(env);
});

afterAll(async () => {
  await endpoint?.approvals.close();
  await env?.teardown();
});

const carol = { id: 'carol', roles: ['support-lead'] };
const NOT_SIGNED = 'not signed by the approvers endpoint, and the policy takes no unsigned decisions';

function freshKey(id: string): DecisionSigningKey {
  return parseDecisionKey(`${id}:${randomBytes(32).toString('base64')}`, 'a key made by the test');
}

/** A copy of the shipped policies whose trust.yaml is changed by `change`. */
function withTrust(change: (trust: { decisionKeys: { id: string; publicKey: string }[]; unsignedOperatorDecisions: boolean }) => void): string {
  const dir = copyPolicies();
  const file = path.join(dir, 'trust.yaml');
  const trust = parse(readFileSync(file, 'utf8'));
  change(trust);
  writeFileSync(file, stringify(trust));
  return dir;
}

function auditFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-signed-')), 'audit.jsonl');
}

function auditEvents(file: string, type: string): AuditEvent[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) => event.type === type);
}

async function pendingCard(handle: WorkflowHandle) {
  return waitFor(async () => {
    const view = await handle.query(approvalQuery);
    return view?.card.kind === 'approval' ? view : undefined;
  }, 'an approval card');
}

async function refusedReasons(handle: WorkflowHandle, count: number): Promise<string[]> {
  return waitFor(async () => {
    const refused = (await handle.query(explainQuery)).refusedDecisions;
    return refused.length >= count && refused.map((r) => r.reason);
  }, `${count} refused decision(s)`);
}

describe('decisions nobody can forge', () => {
  it("refuses and lists a raw signal, a foreign key's signature, a statement changed on the way and one signed for another run; the endpoint's decision counts, with its receipt in the trail", async () => {
    const auditPath = auditFile();
    const attacker = freshKey('attacker');
    const outcome = await withRefundRun(
      env,
      bundle,
      order(740),
      async (handle) => {
        const { cardHash } = await pendingCard(handle);
        const run = { workflowId: handle.workflowId, tenant: 'acme' };
        // Anyone who can reach Temporal: carol's id and role, claimed.
        await handle.signal(approvalDecisionSignal, { decision: 'approve', approver: carol, cardHash });
        // Signed, but with a key the pinned policy does not list.
        await handle.signal(approvalDecisionSignal, signDecision(run, { decision: 'approve', approver: carol, cardHash }, attacker));
        // The endpoint signed dan as a support-agent; the roles were raised on the way.
        const dan = signDecision(run, { decision: 'approve', approver: { id: 'dan', roles: ['support-agent'] }, cardHash });
        await handle.signal(approvalDecisionSignal, { ...dan, approver: { id: 'dan', roles: ['support-lead'] } });
        // carol's real approval of another run, replayed onto this one.
        const elsewhere = signDecision({ workflowId: 'refund-some-other-run', tenant: 'acme' }, { decision: 'approve', approver: carol, cardHash });
        await handle.signal(approvalDecisionSignal, elsewhere);
        const reasons = await refusedReasons(handle, 4);
        const unverified = (await handle.query(explainQuery)).refusedDecisions.map((r) => r.unverified);
        const before = await handle.query(approvalQuery);

        const token = await tokenFor('carol', ['support-lead']);
        const answer = await httpCall(endpoint.baseUrl, { path: `/approvals/${handle.workflowId}/decision`, token, json: { decision: 'approve', cardHash, comment: 'photo checked' } });
        return { reasons, unverified, before, answer, result: await handle.result() };
      },
      { auditPath },
    );
    expect(outcome.reasons).toEqual([
      NOT_SIGNED,
      'signed with key "attacker", which the pinned policy does not trust',
      'the signature does not match what was sent (forged, or changed on the way)',
      'the signature does not match what was sent (forged, or changed on the way)',
    ]);
    expect(outcome.before).toMatchObject({ status: 'pending', decisions: [], stillNeeded: 1 });
    expect(outcome.unverified).toEqual([true, true, true, true]);
    expect(outcome.answer.status).toBe(202);
    expect(outcome.result.outcome).toBe('completed');

    // Nobody proved who sent them: the trail records them as the run's refusals, not as carol's or dan's acts.
    const refusedEvents = auditEvents(auditPath, 'approval.refused');
    expect(refusedEvents.map((e) => e.actor)).toEqual(Array(4).fill({ kind: 'system', id: 'arbiter' }));
    expect(refusedEvents.map((e) => e.summary)).toEqual([
      `a decision claiming to be carol's refused: ${NOT_SIGNED}`,
      'a decision claiming to be carol\'s refused: signed with key "attacker", which the pinned policy does not trust',
      'a decision claiming to be dan\'s refused: the signature does not match what was sent (forged, or changed on the way)',
      'a decision claiming to be carol\'s refused: the signature does not match what was sent (forged, or changed on the way)',
    ]);
    const [approved] = auditEvents(auditPath, 'approval.approved');
    expect(approved?.receipt).toMatchObject({
      keyId: 'test-1',
      signed: { kind: 'approval-decision', tenant: 'acme', approverId: 'carol', roles: ['support-lead'], decision: 'approve', comment: 'photo checked' },
    });
    expect(createReceiptChecker([testDecisionKey().publicKey])(approved?.receipt)).toBe('valid');
    expect(createReceiptChecker([attacker.publicKey])(approved?.receipt)).toBe('unknown-key');
  });

  it("refuses a person's proposal sent past the endpoint, and takes the signed one, with its receipt in the trail", async () => {
    const auditPath = auditFile();
    const outcome = await withRefundRun(
      env,
      bundle,
      order(40),
      async (handle) => {
        const proposalCard = await waitFor(async () => {
          const view = await handle.query(approvalQuery);
          return view?.card.kind === 'proposal' ? view : undefined;
        }, 'a proposal card');
        await handle.signal(submitProposalSignal, { submittedBy: 'dan', roles: ['support-agent'], proposal: damagedRefund(40) });
        const refusal = await waitFor(
          async () => (await handle.query(explainQuery)).notes.map((n) => n.text).find((text) => text.startsWith('submitProposal from dan refused')),
          'the refusal',
        );
        // Signed for the card shown before: a stale answer, refused too.
        await signalSignedProposal(handle, { submittedBy: 'dan', roles: ['support-agent'], cardHash: 'e'.repeat(64), proposal: damagedRefund(40) });
        await signalSignedProposal(handle, { submittedBy: 'dan', roles: ['support-agent'], cardHash: proposalCard.cardHash, proposal: damagedRefund(35) });
        const review = await pendingCard(handle);
        return { refusal, review, notes: (await handle.query(explainQuery)).notes.map((n) => n.text) };
      },
      { policyDir: refundAiOff(), auditPath },
    );
    expect(outcome.refusal).toBe(`submitProposal from dan refused: ${NOT_SIGNED}`);
    expect(outcome.notes).toContain('submitProposal from dan refused: the proposal answers a card that is no longer shown');
    expect(outcome.review.card.parameters).toMatchObject({ amount: 35 });
    const [received] = auditEvents(auditPath, 'proposal.received');
    expect(received?.receipt).toMatchObject({ keyId: 'test-1', signed: { kind: 'proposal', submittedBy: 'dan', roles: ['support-agent'] } });
    expect(createReceiptChecker([testDecisionKey().publicKey])(received?.receipt)).toBe('valid');
  });

  it('takes an unsigned decision when the policy breaks glass, and audits it as unsigned', async () => {
    const auditPath = auditFile();
    const policyDir = withTrust((trust) => void (trust.unsignedOperatorDecisions = true));
    const result = await withRefundRun(
      env,
      bundle,
      order(740),
      async (handle) => {
        const { cardHash } = await pendingCard(handle);
        await handle.signal(approvalDecisionSignal, { decision: 'approve', approver: carol, cardHash });
        return handle.result();
      },
      { policyDir, auditPath },
    );
    expect(result.outcome).toBe('completed');
    const [approved] = auditEvents(auditPath, 'approval.approved');
    expect(approved).toMatchObject({ summary: expect.stringMatching(/^carol approved without a signature;/), changed: { signed: false } });
    expect(approved?.receipt).toBeUndefined();
  });

  it("takes decisions signed by either of two listed keys while the endpoint's key rotates", async () => {
    const next = freshKey('next-1');
    const policyDir = withTrust((trust) => void trust.decisionKeys.push(next.publicKey));
    const result = await withRefundRun(
      env,
      bundle,
      order(3000),
      async (handle) => {
        const { cardHash } = await pendingCard(handle);
        await signalSignedDecision(handle, { decision: 'approve', approver: { id: 'fin-1', roles: ['finance'] }, cardHash });
        await signalSignedDecision(handle, { decision: 'approve', approver: { id: 'fin-2', roles: ['finance'] }, cardHash }, next);
        return handle.result();
      },
      { policyDir },
    );
    expect(result.outcome).toBe('completed');
  });

  it('answers 503 from an endpoint whose key the workers do not trust, and the run still waits', async () => {
    const untrusted = await startTestEndpoint(env, freshKey('stray'));
    try {
      const outcome = await withRefundRun(env, bundle, order(740), async (handle) => {
        const { cardHash } = await pendingCard(handle);
        const token = await tokenFor('carol', ['support-lead']);
        const answer = await httpCall(untrusted.baseUrl, { path: `/approvals/${handle.workflowId}/decision`, token, json: { decision: 'approve', cardHash } });
        return { answer, view: await handle.query(approvalQuery) };
      });
      expect([outcome.answer.status, outcome.answer.body.code]).toEqual([503, 'signature-not-trusted']);
      expect(String(outcome.answer.body.error)).not.toContain('stray');
      expect(outcome.view).toMatchObject({ status: 'pending', decisions: [] });
    } finally {
      await untrusted.approvals.close();
    }
  });
});
