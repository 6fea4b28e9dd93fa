// The checks a run makes on state handed to it by the run it continues as new: only from a run
// Temporal continued, only from that very run, and only state that holds together. Whoever can
// start a workflow can pass anything as its second argument; none of it may skip policy or people.
import { ApplicationFailure } from '@temporalio/workflow';
import { sealAuditEvent } from '../common/audit-chain';
import { contentHash } from '../common/content-hash';
import { rightsOf } from '../policies/evaluate';
import { DEFAULT_POLICY_DIR, pinBundle, readPolicyFiles } from '../policies/load';
import { waitingContinueReason } from '../policies/approvals';
import { carriedRejection } from '../workflows/approval';
import { continueAsNewReason, modelToolDefinitions } from '../policies/tools';
import { acceptCarriedRun, type AgentState, type CarriedRun, type CarriedWaiting, type RunOrigin } from '../workflows/carried-run';

const origin = { process: 'refund', continuedFromExecutionRunId: 'run-1' };

/** State as a refund run that made two turns would carry it. */
function carried(): CarriedRun {
  const bundle = pinBundle(readPolicyFiles(DEFAULT_POLICY_DIR, 'refund'));
  const { policy } = bundle;
  const definitions = modelToolDefinitions(policy.agentTools!, rightsOf(policy, { kind: 'agent', id: policy.ai.agent }), []);
  const at = '2026-12-07T11:00:00.000Z';
  const turn = (n: number) => ({ turn: n, model: 'standin', costUsd: 0.001, calls: [{ tool: 'get_order', argsDigest: 'ab'.repeat(8), outcome: 'ok' as const, summary: '{', bytes: 40, at }], at });
  return {
    v: 1,
    fromRunId: 'run-1',
    runs: 1,
    policy: { ...bundle, trust: bundle.trust! },
    trace: {
      notes: [],
      refusedDecisions: [],
      modelCalls: [],
      costs: { totalUsd: 0.002, calls: [1, 2].map(() => ({ model: 'standin', tokensIn: 10, tokensOut: 5, costUsd: 0.001, at })) },
      investigation: { toolsHash: contentHash({ definitions, listings: [] }), tools: definitions.map((d) => d.function.name), turns: [turn(1), turn(2)], runs: [] },
    },
    agent: { turns: 2, calls: { get_order: 1 }, results: [], readBefore: [], shownChars: 40, spent: { tokensIn: 20, tokensOut: 10, costUsd: 0.002 }, listings: [] },
    auditHead: '0'.repeat(64),
  };
}

/** An investigation's carried state, which `carried()` always has. */
function agentOf(state: CarriedRun): AgentState {
  return state.agent!;
}

/** State as a refund run waiting for its second approval would carry it. */
function waitingState(): CarriedRun & { waiting: CarriedWaiting } {
  const state: CarriedRun = carried();
  delete state.agent;
  const at = '2026-12-07T11:00:00.000Z';
  return {
    ...state,
    trace: { ...state.trace, investigation: undefined, costs: { totalUsd: 0, calls: [] } },
    waiting: {
      proposal: { source: 'ai', by: state.policy.policy.ai.agent, proposal: { action: 'refund', amount: 400 }, model: 'standin', prompt: { id: 'refund-triage', version: 1 } },
      aiEnabled: true,
      approvals: [
        {
          authority: 'policy refund@2 rule refund-large',
          cardHash: 'a'.repeat(64),
          createdAt: at,
          expiresAt: '2026-12-08T11:00:00.000Z',
          escalated: false,
          status: 'pending',
          decisions: [{ message: { decision: 'approve', approver: { id: 'fin-1', roles: ['finance'] }, cardHash: 'a'.repeat(64) }, at }],
        },
      ],
    },
  };
}

/** The refusal's message, or a failure of the test when the state was taken. */
function refusal(raw: unknown, from: RunOrigin = origin): string {
  try {
    acceptCarriedRun(raw, from);
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('InvalidInput');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return (err as ApplicationFailure).message;
  }
  throw new Error('the carried state was accepted');
}

describe('carried run state', () => {
  it('is taken from the run Temporal says this run continues', () => {
    expect(acceptCarriedRun(carried(), origin)?.agent?.turns).toBe(2);
  });

  it('takes a wait for approval, with its proposal and the decisions so far (the next run checks them again)', () => {
    expect(acceptCarriedRun(waitingState(), origin)?.waiting?.approvals[0]?.decisions).toHaveLength(1);
  });

  it('is refused when it carries both an agent\'s state and a wait, or neither', () => {
    expect(refusal({ ...waitingState(), agent: agentOf(carried()) })).toMatch(/\(carried\): carries either/);
    const neither: CarriedRun = waitingState();
    delete neither.waiting;
    expect(refusal(neither)).toMatch(/\(carried\): carries either/);
  });

  it('is refused when a waiting run\'s proposal claims an agent the policy does not name, or an earlier approval is still open', () => {
    const other = waitingState();
    other.waiting.proposal.by = 'some-other-bot';
    expect(refusal(other)).toMatch(/\(carried\.waiting\.proposal\.by\)/);
    const open = waitingState();
    open.waiting.approvals = [open.waiting.approvals[0]!, { ...open.waiting.approvals[0]!, decisions: [] }];
    expect(refusal(open)).toMatch(/\(carried\.waiting\.approvals\)/);
  });

  it('takes the waiting run\'s unwritten trail events only as that run sealed them, ending at its head', () => {
    const state = waitingState();
    const base = { workflowId: 'refund-1', runId: 'run-1', process: 'refund', at: '2026-12-07T11:00:00.000Z', actor: { kind: 'system' as const, id: 'arbiter' } };
    const first = sealAuditEvent({ ...base, eventId: 'refund-1/run-1/7', type: 'approval.refused', summary: 'refused' }, 'c'.repeat(64));
    const last = sealAuditEvent({ ...base, eventId: 'refund-1/run-1/8', type: 'run.continued-as-new', summary: 'continues' }, first.hash);
    const withTail = (tail: unknown[], head = last.hash) => ({ ...state, auditTail: tail, auditHead: head });
    const tailOrigin = { ...origin, workflowId: 'refund-1' };
    expect(acceptCarriedRun(withTail([first, last]), tailOrigin)?.auditTail).toHaveLength(2);
    expect(refusal(withTail([first, last], 'd'.repeat(64)), tailOrigin)).toMatch(/\(carried\.auditHead\)/);
    expect(refusal(withTail([{ ...first, summary: 'edited' }, last]), tailOrigin)).toMatch(/\(carried\.auditTail\.0\.hash\)/);
    expect(refusal(withTail([last]), { ...tailOrigin, workflowId: 'refund-2' })).toMatch(/\(carried\.auditTail\.0\): is not an event of the run/);
    expect(refusal(withTail([last, first], first.hash), tailOrigin)).toMatch(/\(carried\.auditTail\.1\): is not an event of the run this one continues, in order/);
    const linkedElsewhere = sealAuditEvent({ ...base, eventId: 'refund-1/run-1/8', type: 'run.continued-as-new', summary: 'continues' }, 'e'.repeat(64));
    expect(refusal(withTail([first, linkedElsewhere], linkedElsewhere.hash), tailOrigin)).toMatch(/\(carried\.auditTail\.1\.prevHash\)/);
    // A key the schema drops would be written otherwise than it was hashed.
    const extra = sealAuditEvent({ ...base, eventId: 'refund-1/run-1/8', type: 'run.continued-as-new', summary: 'continues', note: 'x' } as never, first.hash);
    expect(refusal(withTail([first, extra], extra.hash), tailOrigin)).toMatch(/\(carried\.auditTail\.1\.hash\)/);
    expect(refusal({ ...carried(), auditTail: [] })).toMatch(/\(carried\.auditTail\)/);
  });

  it('is refused when a carried decision is not a decision message', () => {
    const bad = waitingState() as unknown as { waiting: { approvals: { decisions: { message: unknown }[] }[] } };
    bad.waiting.approvals[0]!.decisions[0]!.message = { decision: 'approve', approver: { id: 'fin-1', roles: ['finance'] } };
    expect(refusal(bad)).toMatch(/carried\.waiting\.approvals\.0\.decisions\.0\.message\.cardHash/);
  });

  it('is nothing when a run starts afresh', () => {
    expect(acceptCarriedRun(undefined, { process: 'refund' })).toBeUndefined();
  });

  it('is refused, naming the field, when a start passes it', () => {
    expect(refusal(carried(), { process: 'refund' })).toMatch(/^carried run state refused \(carried\): only a run that Temporal continued as new/);
  });

  it('is refused when it names another run than the one continued (a retried or cron run has the starter\'s input)', () => {
    expect(refusal({ ...carried(), fromRunId: 'run-0' })).toMatch(/\(carried\.fromRunId\)/);
  });

  it('is refused when its trace carries a proposal or a decision, or it carries an approval outside a wait', () => {
    const state = carried();
    expect(refusal({ ...state, trace: { ...state.trace, proposals: [{ source: 'ai', by: 'support-bot', proposal: { amount: 10000 } }] } })).toMatch(/carried\.trace.*proposals/);
    expect(refusal({ ...state, trace: { ...state.trace, decisions: [{ outcome: 'auto' }] } })).toMatch(/carried\.trace.*decisions/);
    expect(refusal({ ...state, approval: { status: 'approved' } })).toMatch(/carried.*approval/);
  });

  it('is refused when its policy is not the one pinned under its hash', () => {
    const state = carried();
    state.policy.policy.budgets.perRunUsd = 1000;
    expect(refusal(state)).toMatch(/\(carried\.policy\.hash\)/);
  });

  it('is refused when its budget spent does not add up to the model calls it lists', () => {
    const state = carried();
    state.trace.costs.totalUsd = 0;
    expect(refusal(state)).toMatch(/\(carried\.trace\.costs\.totalUsd\)/);
  });

  it('is refused when its tool list is not the one the policy offers', () => {
    const state = carried();
    state.trace.investigation!.toolsHash = 'f'.repeat(64);
    expect(refusal(state)).toMatch(/\(carried\.trace\.investigation\.toolsHash\)/);
  });

  it('is refused when its turns or calls are already past the policy\'s limits, or disagree with the trace', () => {
    const past = carried();
    agentOf(past).calls.get_order = 99;
    expect(refusal(past)).toMatch(/\(carried\.agent\.calls\.get_order\)/);
    const fewer = carried();
    agentOf(fewer).turns = 1;
    expect(refusal(fewer)).toMatch(/\(carried\.agent\.turns\)/);
  });
});

describe('when a run waiting for approval continues as new', () => {
  const section = { continueAsNew: { afterHistoryEvents: 500, afterHistoryBytes: 1_000_000 } };

  it('goes on past the events or bytes the policy sets, or when Temporal suggests it; without the section only on the suggestion', () => {
    expect(waitingContinueReason(section, { historyEvents: 499, historyBytes: 10, suggested: false })).toBeUndefined();
    expect(waitingContinueReason(section, { historyEvents: 500, historyBytes: 10, suggested: false })).toMatch(/history of 500 events/);
    expect(waitingContinueReason(section, { historyEvents: 10, historyBytes: 1_000_000, suggested: false })).toMatch(/history of 1000000 bytes/);
    expect(waitingContinueReason(undefined, { historyEvents: 40_000, historyBytes: 40_000_000, suggested: false })).toBeUndefined();
    expect(waitingContinueReason(undefined, { historyEvents: 10, historyBytes: 10, suggested: true })).toMatch(/Temporal suggests/);
  });
});

describe('a carried approval\'s rejection', () => {
  it('stands whatever else changed: a reject among its decisions, or a status that says rejected', () => {
    const approval = waitingState().waiting.approvals[0]!;
    expect(carriedRejection(approval)).toBeUndefined();
    const rejected = { ...approval, decisions: [...approval.decisions, { message: { ...approval.decisions[0]!.message, decision: 'reject' as const, approver: { id: 'fin-2', roles: ['finance'] } }, at: approval.createdAt }] };
    expect(carriedRejection(rejected)).toBe('rejected by fin-2');
    expect(carriedRejection({ ...approval, status: 'expired-rejected' }, { expireAfter: '72h' })).toBe('no decision within 72h: auto-rejected');
  });
});

describe('when a run continues as new', () => {
  const section = { afterTurns: 10, afterHistoryBytes: 1_000_000 };

  it('goes on after the turns or the history size the policy sets, or when Temporal suggests it', () => {
    expect(continueAsNewReason(section, { turnsThisRun: 9, historyBytes: 10, suggested: false })).toBeUndefined();
    expect(continueAsNewReason(section, { turnsThisRun: 10, historyBytes: 10, suggested: false })).toMatch(/10 turns in this run/);
    expect(continueAsNewReason(section, { turnsThisRun: 1, historyBytes: 1_000_000, suggested: false })).toMatch(/history of 1000000 bytes/);
    expect(continueAsNewReason(section, { turnsThisRun: 1, historyBytes: 10, suggested: true })).toMatch(/Temporal suggests/);
  });

  it('never does under a policy without the section, as runs pinned before it never did', () => {
    expect(continueAsNewReason(undefined, { turnsThisRun: 200, historyBytes: 40_000_000, suggested: true })).toBeUndefined();
  });
});
