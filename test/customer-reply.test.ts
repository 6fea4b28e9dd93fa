// The customer reply of a refund: a model words it through the real openai client and the
// stand-in model server, the workflow's check sends a draft only when it states the refund's
// facts, and the template stands in otherwise.
import { createChatProposerActivities } from '../activities';
import { replyObjection, templateReply } from '../common/reply-schemas';
import { createLogger } from '../runtime/logger';
import { createModelServer, type ModelServer } from '../model-server/server';
import type { RouteCandidate } from '../policies/routing';
import { copyPolicies, singleCallPolicies } from './helpers/policies';
import { refundRequest } from './helpers/refund-fixtures';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';

const facts = { orderId: 'o-1', amount: 40, currency: 'EUR', refundId: 'ref-9', customerTier: 'gold', message: 'It broke.' };

describe('the reply check', () => {
  it('passes a draft that states the amount and the reference, and names what a wrong one misses', () => {
    expect(replyObjection('Your refund of 40 EUR is on its way (reference ref-9). Sorry!', facts)).toBeUndefined();
    expect(replyObjection('Your refund of 4000 EUR is on its way. Sorry!', facts)).toBe('the draft does not give the reference ref-9');
    expect(replyObjection('Refund ref-9: 400 EUR, sorry about that.', facts)).toBe('the draft does not state 40 EUR');
    expect(replyObjection(templateReply(facts), facts)).toBeUndefined();
  });
});

describe('drafting through the stand-in model', () => {
  let models: ModelServer;
  let modelUrl: string;
  beforeAll(async () => {
    models = createModelServer({ logger: createLogger('model-standin', { level: 'silent' }) });
    modelUrl = `http://127.0.0.1:${await models.listen(0)}/v1`;
  });
  afterAll(() => models.close());

  it('answers a reply the check accepts, through the real openai client', async () => {
    const candidate: RouteCandidate = {
      modelId: 'standin-eu',
      provider: 'standin',
      model: 'arbiter-standin-rules',
      redact: true,
      maxOutputTokens: 512,
      structuredOutput: true,
      inputUsdPerMillionTokens: 0.1,
      outputUsdPerMillionTokens: 0.4,
      worstCaseCostUsd: 0.001,
    };
    const { draftCustomerReply } = createChatProposerActivities({ providers: { standin: { baseUrl: 'env:ARBITER_MODEL_URL' } }, env: { ARBITER_MODEL_URL: modelUrl } });
    const draft = await draftCustomerReply({ request: facts, candidates: [candidate], personalFields: ['message'] });
    expect(draft.prompt).toEqual({ id: 'customer-reply', version: 1 });
    expect(draft.model).toBe('standin-eu (arbiter-standin-rules)');
    expect(draft.proposal.text).toMatch(/stand-in/);
    expect(replyObjection(draft.proposal.text, facts)).toBeUndefined();
    expect(draft.costUsd).toBeGreaterThan(0);
  });
});

describe('the refund sends the reply', () => {
  const arbiter = useArbiterWithStandIns({ name: 'reply' });

  async function sentMessage(policyDir?: string): Promise<{ text: string; notes: string[]; purposes: string[] }> {
    const request = refundRequest({ order: { id: `ORD-REPLY-${Date.now()}`, amount: 40, currency: 'EUR' } });
    const explanation = await arbiter.withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      expect((await client.refundResult(workflowId)).outcome).toBe('completed');
      return client.explain(workflowId);
    // The reply is the subject here: the triage agent proposes in one call, so the budget left for the reply is known.
    }, { policyDir: singleCallPolicies(policyDir) });
    const sent = (await arbiter.standInsState()).messages.filter((m) => m.orderId === request.order.id);
    expect(sent).toHaveLength(1);
    return { text: sent[0]!.text, notes: explanation.notes.map((n) => n.text), purposes: explanation.modelCalls.map((c) => c.purpose) };
  }

  it('sends the reply the model drafted, with the refund facts in it', async () => {
    const { text, notes, purposes } = await sentMessage();
    expect(purposes).toEqual(['proposal', 'customer-reply']);
    expect(text).toMatch(/^We are sorry about your order ORD-REPLY-\d+\. Your refund of 40 EUR has been issued \(reference [^)]+\)/);
    expect(notes).toEqual([expect.stringMatching(/^customer reply drafted by standin-eu \(arbiter-standin-rules\) with prompt customer-reply@1$/)]);
  });

  it('sends the template when the run budget leaves nothing for the reply', async () => {
    // Enough for the triage call's worst case, not for a second call on top of what it spent.
    const policyDir = copyPolicies((p) => {
      (p.budgets as { perRunUsd: number }).perRunUsd = 0.00026;
    });
    const { text, notes } = await sentMessage(policyDir);
    expect(text).toMatch(/^Your refund of 40 EUR for order ORD-REPLY-\d+ is on its way \(reference [^)]+\)\.$/);
    expect(notes).toEqual([expect.stringMatching(/^customer reply from the template: no draft \(no model allowed: standin-eu worst case .* would break the run budget/)]);
  });
});
