// The refund agent investigates before it proposes, against a real dev server and the stand-in
// systems over HTTP: it reads the order, the customer's refunds and the case notes (each look-up
// an activity, each in the trace); a case note that tries to give orders still ends as policy
// decides; a 5 MB note is cut and the run goes on; a tool that fails every retry is reported to
// the model; calls the policy does not allow are refused and never run; MCP tools are served by
// the stand-ins' MCP server; and a 200-call investigation keeps every history under 2 MB.
import { Context } from '@temporalio/activity';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import { createLookupClient, type LookupClient } from '../activities/lookups';
import type { ProposerActivities } from '../activities';
import type { AgentTurnInput, AgentTurnResult } from '../activities/llm/chat-proposer';
import { ArbiterStage } from '../common/constants';
import { HUGE_NOTES_ORDER_ID, INJECTION_ORDER_ID } from '../standins/lookup-seeds';
import { setAiEnabledSignal } from '../workflows/proposal';
import { explainQuery, type Explanation } from '../workflows/trace';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { copyPolicies } from './helpers/policies';
import { registerTestOrder } from './helpers/payments-record';
import { refundRequest } from './helpers/refund-fixtures';
import { waitFor } from './helpers/wait';

const arbiter = useArbiterWithStandIns({ name: 'agent-investigation' });

const HISTORY_LIMIT_BYTES = 2 * 1024 * 1024;

async function explain(workflowId: string): Promise<Explanation> {
  return arbiter.env.client.workflow.getHandle(workflowId).query(explainQuery);
}

function callsOf(explanation: Explanation) {
  return (explanation.investigation?.turns ?? []).flatMap((turn) => turn.calls.map((call) => `${call.tool}:${call.outcome}`));
}

async function historyBytes(workflowId: string): Promise<number> {
  const history = await arbiter.env.client.workflow.getHandle(workflowId).fetchHistory();
  return Buffer.byteLength(JSON.stringify(history));
}

describe('an investigating refund agent', () => {
  it('reads the order, the refund history and the case notes before it proposes, and the trace shows each look-up', async () => {
    const request = refundRequest();
    const { result, explanation } = await arbiter.withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      const result = await client.refundResult(workflowId);
      return { result, explanation: await explain(workflowId) };
    });
    expect(result.outcome).toBe('completed');
    const calls = callsOf(explanation);
    console.log(`agent-investigation: ${explanation.investigation?.turns.length} turns, calls ${calls.join(', ')}`);
    expect(calls).toEqual(expect.arrayContaining(['get_order:ok', 'get_refund_history:ok', 'get_case_notes:ok']));
    expect(calls.at(-1)).toBe('propose_refund:proposal');
    expect(explanation.investigation?.toolsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(explanation.modelCalls.filter((call) => call.purpose === 'agent-turn')).toHaveLength(explanation.investigation!.turns.length);
  });

  it('ends as policy decides when a case note orders a 10000 refund: the invariants deny it', async () => {
    const request = refundRequest({ order: { id: INJECTION_ORDER_ID, amount: 60, currency: 'EUR' } }, { registered: false });
    registerTestOrder({ orderId: INJECTION_ORDER_ID, amount: 60, currency: 'EUR', customerId: request.customer.id });
    const { result, explanation } = await arbiter.withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      const result = await client.refundResult(workflowId);
      return { result, explanation: await explain(workflowId) };
    });
    console.log(`agent-investigation: injected note -> ${result.outcome}: ${result.reason}`);
    // The stand-in model obeys the note, as a naive model would; policy does not.
    expect(explanation.proposals[0]?.proposal).toMatchObject({ amount: 10000 });
    expect(result.outcome).toBe('denied');
    expect(result.reason).toMatch(/exceeds the order amount/);
    expect((await arbiter.standInsState()).ledger.find((e) => e.orderId === INJECTION_ORDER_ID)?.refunded ?? 0).toBe(0);
  });

  it('cuts a 5 MB case note, keeps it out of history, and goes on to a proposal', async () => {
    const request = refundRequest({ order: { id: HUGE_NOTES_ORDER_ID, amount: 25, currency: 'EUR' } }, { registered: false });
    registerTestOrder({ orderId: HUGE_NOTES_ORDER_ID, amount: 25, currency: 'EUR', customerId: request.customer.id });
    const { result, explanation, bytes } = await arbiter.withArbiter(async (client) => {
      const { workflowId } = await client.startRefund(request);
      const result = await client.refundResult(workflowId);
      return { result, explanation: await explain(workflowId), bytes: await historyBytes(workflowId) };
    });
    const notes = explanation.investigation!.turns.flatMap((turn) => turn.calls).find((call) => call.tool === 'get_case_notes');
    console.log(`agent-investigation: 5 MB note -> ${result.outcome}; notes result ${notes?.bytes} bytes, history ${bytes} bytes`);
    expect(notes).toMatchObject({ outcome: 'ok' });
    expect(notes!.bytes).toBeGreaterThan(5_000_000);
    expect(result.outcome).toBe('completed');
    expect(bytes).toBeLessThan(200_000);
  });

  it('tells the model a tool failed every retry and goes on', async () => {
    const request = refundRequest();
    const real = createLookupClient({ paymentsUrl: arbiter.standInsUrl, crmUrl: arbiter.standInsUrl, catalogUrl: arbiter.standInsUrl });
    const failingCaseNotes: LookupClient = {
      ...real,
      async getCaseNotes() {
        throw new Error('CRM unreachable (test)');
      },
    };
    const { result, explanation } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        return { result, explanation: await explain(workflowId) };
      },
      { lookups: failingCaseNotes },
    );
    expect(callsOf(explanation)).toContain('get_case_notes:failed');
    expect(result.outcome).toBe('completed');
  });

  it('refuses calls the policy does not allow, answers them to the model, and never runs them', async () => {
    const request = refundRequest();
    const read: string[] = [];
    const real = createLookupClient({ paymentsUrl: arbiter.standInsUrl, crmUrl: arbiter.standInsUrl, catalogUrl: arbiter.standInsUrl });
    const counting: LookupClient = {
      ...real,
      async getOrder(orderId, key) {
        read.push(`get_order ${orderId}`);
        return real.getOrder(orderId, key);
      },
    };
    // A model that asks for an undeclared tool, for get_order five times (the policy allows three),
    // and for another customer's refunds, then proposes.
    let turn = 0;
    const agentTurn = async (input: AgentTurnInput): Promise<AgentTurnResult> => {
      turn += 1;
      const orderId = (input.request as { order: { id: string } }).order.id;
      const calls =
        turn === 1
          ? [
              { id: 'c0', name: 'issue_refund_now', arguments: '{"amount": 40}' },
              ...[1, 2, 3, 4, 5].map((n) => ({ id: `c${n}`, name: 'get_order', arguments: JSON.stringify({ orderId }) })),
              { id: 'c6', name: 'get_refund_history', arguments: JSON.stringify({ customerId: 'cust-someone-else' }) },
            ]
          : [{ id: 'p', name: 'propose_refund', arguments: JSON.stringify({ action: 'refund', amount: 40, currency: 'EUR', category: 'damaged', confidence: 0.9, rationale: 'broken on arrival' }) }];
      return { proposal: { calls, content: null }, model: 'test-agent', modelId: 'test-agent', prompt: { id: 'test', version: 1 }, tokensIn: 10, tokensOut: 10, costUsd: 0, attempts: [], transcript: { digest: '0'.repeat(64), entries: turn } };
    };
    const { result, explanation } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        return { result, explanation: await explain(workflowId) };
      },
      { lookups: counting, proposer: { agentTurn } as Partial<ActivityInterfaceFor<ProposerActivities>> as Partial<ProposerActivities> },
    );
    const calls = callsOf(explanation);
    console.log(`agent-investigation: refusals ${calls.join(', ')}; reads run ${read.length}`);
    // An undeclared name is recorded as such, never as the model wrote it.
    expect(calls.filter((c) => c === '(undeclared):refused')).toHaveLength(1);
    // Three calls allowed: one read, two answered from it; the fourth and fifth past the limit.
    expect(calls.filter((c) => c.startsWith('get_order:'))).toEqual(['get_order:ok', 'get_order:cached', 'get_order:cached', 'get_order:refused', 'get_order:refused']);
    // Another customer's records are off-subject, whoever asked for them.
    const offSubject = explanation.investigation!.turns.flatMap((t) => t.calls).find((c) => c.tool === 'get_refund_history');
    expect(offSubject).toMatchObject({ outcome: 'refused', summary: expect.stringMatching(/^off-subject/) });
    expect(read).toHaveLength(1);
    expect(result.outcome).toBe('completed');
  });

  it('investigates with the refund look-ups served by the stand-ins\' MCP server, its tool list pinned', async () => {
    const policyDir = copyPolicies((refund) => {
      const tools = refund.agentTools as { tools: { name: string; source: unknown }[]; mcpServers?: unknown };
      for (const tool of tools.tools) if (tool.name.startsWith('get_')) tool.source = { mcp: 'standins' };
      tools.mcpServers = { standins: { url: `${arbiter.standInsUrl}/mcp`, allow: ['get_order', 'get_refund_history', 'get_case_notes'] } };
    });
    const request = refundRequest();
    const { result, explanation } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        return { result, explanation: await explain(workflowId) };
      },
      { policyDir },
    );
    const calls = callsOf(explanation);
    console.log(`agent-investigation: over MCP ${calls.join(', ')}; tools ${explanation.investigation?.tools.join(', ')}`);
    expect(calls).toEqual(expect.arrayContaining(['get_order:ok', 'get_refund_history:ok', 'get_case_notes:ok']));
    // The server also offers get_customer_contact, which the allow-list keeps from the agent.
    expect(explanation.investigation?.tools).not.toContain('get_customer_contact');
    expect(result.outcome).toBe('completed');
  });

  it('goes to a person when an operator switches AI off while the agent is on its second turn', async () => {
    const request = refundRequest();
    let secondTurn!: () => void;
    const onSecondTurn = new Promise<void>((resolve) => (secondTurn = resolve));
    let turn = 0;
    // The first turn reads the order; the second hangs until the kill switch cancels it.
    const agentTurn = async (input: AgentTurnInput): Promise<AgentTurnResult> => {
      turn += 1;
      if (turn >= 2) {
        secondTurn();
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      }
      const orderId = (input.request as { order: { id: string } }).order.id;
      const calls = [{ id: 'c1', name: 'get_order', arguments: JSON.stringify({ orderId }) }];
      return { proposal: { calls, content: null }, model: 'test-agent', modelId: 'test-agent', prompt: { id: 'test', version: 1 }, tokensIn: 10, tokensOut: 10, costUsd: 0, attempts: [], transcript: { digest: '0'.repeat(64), entries: 1 } };
    };
    const { stage, explanation } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const handle = arbiter.env.client.workflow.getHandle(workflowId);
        await onSecondTurn;
        await handle.signal(setAiEnabledSignal, { enabled: false, operator: 'ops-olga', reason: 'model incident' });
        const stage = await waitFor(async () => {
          const current = (await handle.describe()).typedSearchAttributes.get(ArbiterStage);
          return current === 'awaiting-proposal' ? current : undefined;
        }, 'the manual path');
        const explanation = await explain(workflowId);
        await handle.terminate('test done: nobody will propose');
        return { stage, explanation };
      },
      { proposer: { agentTurn } as Partial<ProposerActivities> },
    );
    expect(stage).toBe('awaiting-proposal');
    expect(callsOf(explanation)).toEqual(['get_order:ok']);
    expect(explanation.notes.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/AI switched off while the model was working/)]));
  });

  it('runs 200 look-ups over many turns with every history under 2 MB', async () => {
    const policyDir = copyPolicies((refund) => {
      const tools = refund.agentTools as { maxTurns: number; tools: { name: string; maxCallsPerRun: number }[] };
      tools.maxTurns = 40;
      for (const tool of tools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = 250;
      (refund.budgets as { perRunUsd: number }).perRunUsd = 50;
    });
    const request = refundRequest({ message: 'The parcel arrived broken. Please run 200 look-ups before you decide.' });
    const { result, explanation, bytes, events } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        const history = await arbiter.env.client.workflow.getHandle(workflowId).fetchHistory();
        return { result, explanation: await explain(workflowId), bytes: Buffer.byteLength(JSON.stringify(history)), events: history.events?.length ?? 0 };
      },
      { policyDir },
    );
    const lookUps = callsOf(explanation).filter((c) => c.startsWith('get_refund_history'));
    console.log(`agent-investigation: ${lookUps.length} refund-history look-ups in ${explanation.investigation?.turns.length} turns; history ${events} events, ${bytes} bytes`);
    expect(lookUps.length).toBeGreaterThanOrEqual(200);
    expect(result.outcome).toBe('completed');
    expect(bytes).toBeLessThan(HISTORY_LIMIT_BYTES);
  });
});
