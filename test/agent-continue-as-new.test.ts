// A long investigation goes on in fresh runs (Temporal's continue-as-new) when its policy says so,
// against a real dev server and the stand-in model and systems: every run's history stays small,
// turns, calls per tool and the budget count over all runs, the last run's `explain` shows every
// turn, a start that passes carried state is refused, a budget that runs out mid-loop or the kill
// switch in a continued run sends the run to a person, and Temporal's own suggestion is followed.
// (Credit-limit runs have no agent tools in their policy, so they never continue as new.)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import type { ProposerActivities } from '../activities';
import { createLookupClient, type LookupClient } from '../activities/lookups';
import type { AgentTurnInput, AgentTurnResult } from '../activities/llm/chat-proposer';
import { ArbiterStage } from '../common/constants';
import { setAiEnabledSignal } from '../workflows/proposal';
import { explainQuery, type Explanation } from '../workflows/trace';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { copyPolicies, type RawPolicy } from './helpers/policies';
import { priceChangeRequest } from './helpers/price-fixtures';
import { refundRequest } from './helpers/refund-fixtures';
import { runsOf as runsOfWorkflow } from './helpers/runs';
import { uniqueQueue } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const arbiter = useArbiterWithStandIns({ name: 'agent-continue-as-new' });

const HISTORY_LIMIT_BYTES = 2 * 1024 * 1024;

type AgentToolsSection = { maxTurns: number; tools: { name: string; maxCallsPerRun: number }[]; continueAsNew?: unknown };

/** The refund policy with the agent's limits a test sets. */
function agentPolicy(change: (tools: AgentToolsSection, refund: RawPolicy) => void): string {
  return copyPolicies((refund) => change(refund.agentTools as AgentToolsSection, refund));
}

/** Each run of the workflow, first to last, with its history's size. */
function runsOf(workflowId: string) {
  return runsOfWorkflow(arbiter.env.client, workflowId);
}

function callsOf(explanation: Explanation) {
  return (explanation.investigation?.turns ?? []).flatMap((turn) => turn.calls);
}

async function awaitingProposal(workflowId: string): Promise<void> {
  const handle = arbiter.env.client.workflow.getHandle(workflowId);
  await waitFor(async () => (await handle.describe()).typedSearchAttributes.get(ArbiterStage) === 'awaiting-proposal', 'the manual path');
}

/** A model that reads one refund-history page a turn, never proposes, and bills `costUsd` a turn. */
function endlessReader(costUsd: number) {
  let turns = 0;
  const agentTurn = async (input: AgentTurnInput): Promise<AgentTurnResult> => {
    turns += 1;
    const customerId = (input.request as { customer: { id: string } }).customer.id;
    const calls = [{ id: `c${turns}`, name: 'get_refund_history', arguments: JSON.stringify({ customerId, days: turns }) }];
    return { proposal: { calls, content: null }, model: 'test-agent', modelId: 'standin-eu', prompt: { id: 'test', version: 1 }, tokensIn: 10, tokensOut: 10, costUsd, attempts: [], transcript: { digest: '0'.repeat(64), entries: turns } };
  };
  return { proposer: { agentTurn } as Partial<ProposerActivities>, turns: () => turns };
}

describe('a long investigation that continues as new', () => {
  it('makes 200 look-ups over three runs, each history under 2 MB, with the per-tool limit held across runs and every turn in explain', async () => {
    const policyDir = agentPolicy((tools, refund) => {
      tools.maxTurns = 40;
      tools.continueAsNew = { afterTurns: 10, afterHistoryBytes: 8 * 1024 * 1024 };
      for (const tool of tools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = 180;
      (refund.budgets as { perRunUsd: number }).perRunUsd = 50;
    });
    const request = refundRequest({ message: 'The parcel arrived broken. Please run 200 look-ups before you decide.' });
    const { result, explanation, runs } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        const explanation = await arbiter.env.client.workflow.getHandle(workflowId).query(explainQuery);
        return { result, explanation, runs: await runsOf(workflowId) };
      },
      { policyDir },
    );
    const calls = callsOf(explanation);
    const history = calls.filter((c) => c.tool === 'get_refund_history');
    const turns = explanation.investigation!.turns;
    console.log(
      `agent-continue-as-new: ${calls.length} calls in ${turns.length} turns over ${runs.length} runs; ` +
        `histories ${runs.map((r) => `${r.events} events ${r.bytes} bytes (input ${r.inputBytes})`).join(', ')}`,
    );
    expect(result.outcome).toBe('completed');
    expect(calls.length).toBeGreaterThanOrEqual(200);
    expect(runs).toHaveLength(3);
    for (const run of runs) expect(run.bytes).toBeLessThan(HISTORY_LIMIT_BYTES);
    // 180 allowed over all three runs: the third run alone made far fewer, so the count was carried.
    expect(history.filter((c) => c.outcome === 'ok')).toHaveLength(180);
    expect(history.filter((c) => c.outcome === 'refused').every((c) => c.summary.startsWith('over-limit'))).toBe(true);
    expect(history.filter((c) => c.outcome === 'refused').length).toBeGreaterThan(0);
    // The last run's explain tells the whole story: every turn, numbered on from the earlier runs.
    expect(turns.map((t) => t.turn)).toEqual(turns.map((_, i) => i + 1));
    expect(explanation.investigation!.runs).toEqual([
      expect.objectContaining({ runId: runs[0]!.runId, firstTurn: 1, lastTurn: 10, reason: expect.stringMatching(/10 turns in this run/) }),
      expect.objectContaining({ runId: runs[1]!.runId, firstTurn: 11, lastTurn: 20 }),
    ]);
    expect(explanation.modelCalls.filter((c) => c.purpose === 'agent-turn')).toHaveLength(turns.length);
    expect(explanation.policy?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stops at the policy\'s most turns counted over every run, and a person proposes', async () => {
    const policyDir = agentPolicy((tools) => {
      tools.maxTurns = 12;
      tools.continueAsNew = { afterTurns: 5, afterHistoryBytes: 8 * 1024 * 1024 };
      for (const tool of tools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = 500;
    });
    const request = refundRequest({ message: 'The parcel arrived broken. Please run 200 look-ups before you decide.' });
    const { explanation, runs } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        await awaitingProposal(workflowId);
        const handle = arbiter.env.client.workflow.getHandle(workflowId);
        const explanation = await handle.query(explainQuery);
        const runs = await runsOf(workflowId);
        await handle.terminate('test done: nobody will propose');
        return { explanation, runs };
      },
      { policyDir },
    );
    expect(runs).toHaveLength(3);
    expect(explanation.investigation!.turns).toHaveLength(12);
    expect(explanation.notes.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/no valid proposal within 12 turns/)]));
  });

  it('answers a read an earlier run made from the transcript, without making it again', async () => {
    const policyDir = agentPolicy((tools) => void (tools.continueAsNew = { afterTurns: 2, afterHistoryBytes: 8 * 1024 * 1024 }));
    const request = refundRequest();
    const real = createLookupClient({ paymentsUrl: arbiter.standInsUrl, crmUrl: arbiter.standInsUrl, catalogUrl: arbiter.standInsUrl });
    let orderReads = 0;
    const counting: LookupClient = {
      ...real,
      async getOrder(orderId, key) {
        orderReads += 1;
        return real.getOrder(orderId, key);
      },
    };
    // Turn 1 reads the order, turn 2 the notes; the run continues; turn 3 reads the order again, turn 4 proposes.
    let turn = 0;
    const agentTurn = async (input: AgentTurnInput): Promise<AgentTurnResult> => {
      turn += 1;
      const orderId = (input.request as { order: { id: string } }).order.id;
      const call =
        turn === 2
          ? { id: 'n', name: 'get_case_notes', arguments: JSON.stringify({ orderId }) }
          : turn === 4
            ? { id: 'p', name: 'propose_refund', arguments: JSON.stringify({ action: 'refund', amount: 40, currency: 'EUR', category: 'damaged', confidence: 0.9, rationale: 'broken on arrival' }) }
            : { id: `o${turn}`, name: 'get_order', arguments: JSON.stringify({ orderId }) };
      return { proposal: { calls: [call], content: null }, model: 'test-agent', modelId: 'standin-eu', prompt: { id: 'test', version: 1 }, tokensIn: 10, tokensOut: 10, costUsd: 0, attempts: [], transcript: { digest: '0'.repeat(64), entries: turn } };
    };
    const { result, explanation, runs } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        const explanation = await arbiter.env.client.workflow.getHandle(workflowId).query(explainQuery);
        return { result, explanation, runs: await runsOf(workflowId) };
      },
      { policyDir, lookups: counting, proposer: { agentTurn } as Partial<ProposerActivities> },
    );
    expect(result.outcome).toBe('completed');
    expect(runs).toHaveLength(2);
    expect(orderReads).toBe(1);
    expect(callsOf(explanation).map((c) => `${c.tool}:${c.outcome}`)).toEqual(['get_order:ok', 'get_case_notes:ok', 'get_order:cached', 'propose_refund:proposal']);
    expect(callsOf(explanation)[2]?.summary).toMatch(/earlier run/);
  });

  it('continues a price review as new too, on the request as the first run parsed it', async () => {
    const policyDir = copyPolicies();
    const file = path.join(policyDir, 'price-change.yaml');
    const pricing = parse(readFileSync(file, 'utf8')) as { agentTools: AgentToolsSection };
    pricing.agentTools.continueAsNew = { afterTurns: 2, afterHistoryBytes: 8 * 1024 * 1024 };
    for (const tool of pricing.agentTools.tools) if (tool.name !== 'propose_price_changes') tool.maxCallsPerRun = 10;
    writeFileSync(file, stringify(pricing));
    // Ten SKUs: 20 look-ups, eight a turn, then the proposal on turn 4; the run continues after turn 2.
    const request = priceChangeRequest('Spring promo on these lines', Array.from({ length: 10 }, (_, i) => `SKU-${i}`));
    const { result, explanation, runs } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startPriceChange(request);
        const result = await client.priceChangeResult(workflowId);
        const explanation = await arbiter.env.client.workflow.getHandle(workflowId).query(explainQuery);
        return { result, explanation, runs: await runsOf(workflowId) };
      },
      { policyDir },
    );
    expect(runs).toHaveLength(2);
    expect(result.outcome).toBe('completed');
    expect(result.applied).toHaveLength(10);
    expect(callsOf(explanation).filter((c) => c.outcome === 'ok')).toHaveLength(20);
  });

  it('refuses a start that passes carried state, naming the field, before anything runs', async () => {
    const taskQueue = uniqueQueue('forged-carry');
    const request = refundRequest();
    // What an attacker would like a run to believe: nothing spent, and a proposal already made.
    const forged = { v: 1, fromRunId: 'made-up', runs: 1, trace: { costs: { totalUsd: 0, calls: [] }, proposals: [{ source: 'ai', proposal: { amount: 10000 } }] } };
    const failure = await arbiter.withArbiter(
      async () => {
        const handle = await arbiter.env.client.workflow.start('refund', { taskQueue, workflowId: `refund-forged-${request.requestId}`, args: [request, forged] });
        return handle.result().then(
          () => undefined,
          (err: unknown) => err,
        );
      },
      { taskQueue },
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as { message: string; type?: string };
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/^carried run state refused \(carried\): only a run that Temporal continued as new takes carried state/);
  });
});

describe('the kill switch in a continued run', () => {
  it('goes to a person when AI is switched off while the continued run\'s agent waits on a slow look-up', async () => {
    const policyDir = agentPolicy((tools) => void (tools.continueAsNew = { afterTurns: 2, afterHistoryBytes: 8 * 1024 * 1024 }));
    const request = refundRequest();
    const real = createLookupClient({ paymentsUrl: arbiter.standInsUrl, crmUrl: arbiter.standInsUrl, catalogUrl: arbiter.standInsUrl });
    // The order read (turn 3, in the second run) is held until the test has switched AI off, so
    // the switch lands between the continued run's turns, never racing the next model call.
    let reading!: () => void;
    const onRead = new Promise<void>((resolve) => (reading = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowOrder: LookupClient = {
      ...real,
      async getOrder(orderId, key) {
        reading();
        await released;
        return real.getOrder(orderId, key);
      },
    };
    let turn = 0;
    const agentTurn = async (input: AgentTurnInput): Promise<AgentTurnResult> => {
      turn += 1;
      const orderId = (input.request as { order: { id: string } }).order.id;
      const customerId = (input.request as { customer: { id: string } }).customer.id;
      const call =
        turn === 1
          ? { id: 'n', name: 'get_case_notes', arguments: JSON.stringify({ orderId }) }
          : turn === 2
            ? { id: 'h', name: 'get_refund_history', arguments: JSON.stringify({ customerId, days: 30 }) }
            : turn === 3
              ? { id: 'o', name: 'get_order', arguments: JSON.stringify({ orderId }) }
              : { id: 'p', name: 'propose_refund', arguments: JSON.stringify({ action: 'refund', amount: 40, currency: 'EUR', category: 'damaged', confidence: 0.9, rationale: 'broken on arrival' }) };
      return { proposal: { calls: [call], content: null }, model: 'test-agent', modelId: 'standin-eu', prompt: { id: 'test', version: 1 }, tokensIn: 10, tokensOut: 10, costUsd: 0, attempts: [], transcript: { digest: '0'.repeat(64), entries: turn } };
    };
    const { explanation, runs, status } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const handle = arbiter.env.client.workflow.getHandle(workflowId);
        try {
          // A run that ended before the read fails the test here, rather than at its timeout.
          await Promise.race([onRead, handle.result().then(() => Promise.reject(new Error('the run ended before the slow read')))]);
          await handle.signal(setAiEnabledSignal, { enabled: false, operator: 'ops-olga', reason: 'model incident' });
          await awaitingProposal(workflowId);
        } finally {
          release();
        }
        const explanation = await handle.query(explainQuery);
        const runs = await runsOf(workflowId);
        const status = (await handle.describe()).status.name;
        await handle.terminate('test done: nobody will propose');
        return { explanation, runs, status };
      },
      { policyDir, lookups: slowOrder, proposer: { agentTurn } as Partial<ProposerActivities> },
    );
    expect(status).toBe('RUNNING');
    expect(runs).toHaveLength(2);
    // No third model turn: the switch ended the agent's loop in the run it reached.
    expect(turn).toBe(3);
    expect(explanation.investigation!.runs).toEqual([expect.objectContaining({ runId: runs[0]!.runId, firstTurn: 1, lastTurn: 2 })]);
    expect(explanation.proposals).toEqual([]);
    expect(explanation.notes.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/AI switched off/)]));
  });
});

describe('an investigating agent whose run budget runs out after some turns', () => {
  // 0.5 USD a turn against 1 USD a run: two turns are paid for, the third cannot be routed.
  it.each([
    ['in one run', undefined, 1],
    ['across runs, the budget spent carried into the next run', { afterTurns: 2, afterHistoryBytes: 8 * 1024 * 1024 }, 2],
  ])('goes to a person, never a failed run, %s', async (_name, continueAsNew, expectedRuns) => {
    const policyDir = agentPolicy((tools, refund) => {
      tools.continueAsNew = continueAsNew;
      for (const tool of tools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = 50;
      (refund.budgets as { perRunUsd: number }).perRunUsd = 1;
    });
    const model = endlessReader(0.5);
    const request = refundRequest();
    const { explanation, runs, status } = await arbiter.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        await awaitingProposal(workflowId);
        const handle = arbiter.env.client.workflow.getHandle(workflowId);
        const explanation = await handle.query(explainQuery);
        const runs = await runsOf(workflowId);
        const status = (await handle.describe()).status.name;
        await handle.terminate('test done: nobody will propose');
        return { explanation, runs, status };
      },
      { policyDir, proposer: model.proposer },
    );
    expect(status).toBe('RUNNING');
    expect(runs).toHaveLength(expectedRuns);
    expect(model.turns()).toBe(2);
    expect(explanation.investigation!.turns).toHaveLength(2);
    expect(explanation.costs.totalUsd).toBeCloseTo(1);
    expect(explanation.notes.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/no AI proposal .*run budget.*a person supplies the proposal/)]));
  });
});

describe('a long investigation on a server that suggests continuing as new early', () => {
  // Temporal suggests it at 4K events by default; lowered here so a short investigation reaches it.
  const suggesting = useArbiterWithStandIns({ name: 'agent-can-suggested', dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 150 } });

  it('continues as new when Temporal suggests it, though the policy\'s own thresholds are far off', async () => {
    const policyDir = agentPolicy((tools) => {
      tools.maxTurns = 40;
      tools.continueAsNew = { afterTurns: 200, afterHistoryBytes: 40 * 1024 * 1024 };
      for (const tool of tools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = 100;
    });
    const request = refundRequest({ message: 'The parcel arrived broken. Please run 80 look-ups before you decide.' });
    const { result, explanation } = await suggesting.withArbiter(
      async (client) => {
        const { workflowId } = await client.startRefund(request);
        const result = await client.refundResult(workflowId);
        return { result, explanation: await suggesting.env.client.workflow.getHandle(workflowId).query(explainQuery) };
      },
      { policyDir },
    );
    const runs = explanation.investigation!.runs ?? [];
    console.log(`agent-continue-as-new: suggested by Temporal after turns ${runs.map((r) => r.lastTurn).join(', ')} of ${explanation.investigation!.turns.length}`);
    expect(result.outcome).toBe('completed');
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run.reason).toBe('Temporal suggests continuing as new');
  });
});
