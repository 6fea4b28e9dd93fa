// The run's decision trace: what was proposed, what policy decided and why, who approved,
// what ran and what was undone, and what it cost. The `explain` query returns it whole.
import { defineQuery, setHandler } from '@temporalio/workflow';
import type { StepLogEntry } from '../common/saga-schemas';
import type { ApprovalState } from '../policies/approvals';
import type { PolicyDecision } from '../policies/evaluate';
import type { CarriedTrace } from './carried-run';

export interface ProposalRecord {
  source: 'ai' | 'human';
  by: string;
  /** The process's proposal: a refund, or a batch of price changes. */
  proposal: Record<string, unknown>;
  /** One line for people, written by the process, e.g. `refund 80 EUR (damaged, confidence 0.92)`. */
  summary: string;
  model?: string;
  prompt?: { id: string; version: number };
  at: string;
}

export interface ModelCall {
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  at: string;
}

/** One tool call an investigating agent made, and what became of it. */
export interface ToolCallRecord {
  tool: string;
  /** The first 16 hex digits of the arguments' digest: which calls were the same, never what they said. */
  argsDigest: string;
  /** ok: run; cached: answered from an identical earlier call; refused: policy or the tool said no; failed: every retry failed; proposal: the write call that ended the loop. */
  outcome: 'ok' | 'cached' | 'refused' | 'failed' | 'proposal';
  /** One line: the result's first line, or why it was refused. */
  summary: string;
  /** Size of the whole result. */
  bytes?: number;
  at: string;
}

export interface AgentTurnRecord {
  turn: number;
  model: string;
  costUsd: number;
  calls: ToolCallRecord[];
  at: string;
}

/** What an investigating agent looked at, turn by turn, and the tools it was offered (pinned by hash). */
export interface InvestigationRecord {
  toolsHash: string;
  tools: string[];
  /** Every turn of the investigation, the earlier runs' too when it continued as new. */
  turns: AgentTurnRecord[];
  /** The earlier runs of a long investigation, each ended by continuing as new, and why. */
  runs?: { runId: string; firstTurn: number; lastTurn: number; reason: string }[];
}

export interface ModelCallRecord {
  /** What the call was for: the run's proposal (one call, or an agent's turn), or the customer reply. */
  purpose: 'proposal' | 'agent-turn' | 'customer-reply';
  /** Routing's one line: order and candidates, e.g. `cheapest-adequate: standin-eu > gpt-4o-mini (redacted)`. */
  route: string;
  excluded: { modelId: string; reason: string }[];
  /** The failover trace: each model tried and how it ended. */
  attempts: { modelId: string; outcome: string }[];
  /** The provider and model that answered; absent when none did. */
  servedBy?: { provider: string; modelId: string };
  /** The tenant's daily budget at the call, and what the call reserved from it. */
  budget?: string;
}

export interface Explanation {
  process: string;
  policy?: { ref: string; hash: string };
  aiEnabled: boolean;
  notes: { at: string; text: string }[];
  proposals: ProposalRecord[];
  decisions: PolicyDecision[];
  approval?: ApprovalState;
  /**
   * Decisions the run refused, the first 100 (anyone who reaches Temporal can send more). An
   * `unverified` one came without a valid signature: its approver id is only what it claimed.
   */
  refusedDecisions: { at: string; approverId: string; reason: string; unverified?: true }[];
  steps: StepLogEntry[];
  modelCalls: ModelCallRecord[];
  costs: { totalUsd: number; calls: ModelCall[] };
  /** Set when the proposal came from an agent that investigated with tools. */
  investigation?: InvestigationRecord;
  outcome?: { outcome: string; reason: string };
}

export const explainQuery = defineQuery<Explanation>('explain');

export class DecisionTrace {
  readonly data: Omit<Explanation, 'steps'>;

  constructor(
    process: string,
    private readonly steps: () => StepLogEntry[],
  ) {
    this.data = {
      process,
      aiEnabled: true,
      notes: [],
      proposals: [],
      decisions: [],
      refusedDecisions: [],
      modelCalls: [],
      costs: { totalUsd: 0, calls: [] },
    };
    setHandler(explainQuery, () => this.explain());
  }

  note(text: string): void {
    this.data.notes.push({ at: now(), text });
  }

  addCall(call: Omit<ModelCall, 'at'>): void {
    this.data.costs.calls.push({ ...call, at: now() });
    this.data.costs.totalUsd = round6(this.data.costs.totalUsd + call.costUsd);
  }

  /**
   * Starts the record of an agent's investigation, or goes on with the one an earlier run carried
   * over (restored with the trace); `turn` adds a turn whose calls the loop fills in.
   */
  startInvestigation(toolsHash: string, tools: string[]) {
    const record: InvestigationRecord = this.data.investigation ?? { toolsHash, tools, turns: [] };
    this.data.investigation = record;
    return {
      turn(turn: number, model: string, costUsd: number): AgentTurnRecord {
        const entry: AgentTurnRecord = { turn, model, costUsd, calls: [], at: now() };
        record.turns.push(entry);
        return entry;
      },
    };
  }

  /**
   * What a run that continues as new hands on: the budget spent, notes, refused decisions and the
   * turns so far. Notes are anyone's to add (a refused signal adds one), so only the latest are
   * carried, each cut short: the carried state stays within what the next run accepts.
   */
  carried(): CarriedTrace {
    const { notes, modelCalls, costs, investigation, refusedDecisions } = this.data;
    const dropped = notes.length - MAX_CARRIED_NOTES;
    const kept = dropped > 0 ? [{ at: now(), text: `${dropped} earlier note(s) are in the earlier runs' explain` }, ...notes.slice(-MAX_CARRIED_NOTES)] : notes;
    return {
      notes: kept.map((n) => ({ at: n.at, text: n.text.slice(0, MAX_CARRIED_TEXT) })),
      refusedDecisions: refusedDecisions.map((r) => ({ ...r, approverId: r.approverId.slice(0, MAX_CARRIED_TEXT), reason: r.reason.slice(0, MAX_CARRIED_TEXT) })),
      // Before the saga: every model call is an agent turn or the one-call proposal, never a reply.
      modelCalls: modelCalls as CarriedTrace['modelCalls'],
      costs,
      ...(investigation && { investigation: { ...investigation, runs: investigation.runs ?? [] } as CarriedTrace['investigation'] }),
    };
  }

  /** Takes over what the run this one continues had traced (validated by workflows/carried-run.ts). */
  restore(carried: CarriedTrace): void {
    const { notes, refusedDecisions, modelCalls, costs, investigation } = carried;
    Object.assign(this.data, { notes, refusedDecisions, modelCalls, costs, investigation });
  }

  explain(): Explanation {
    return { ...this.data, steps: this.steps() };
  }
}

/** How much of the notes a continued run carries (workflows/carried-run.ts accepts a little more). */
const MAX_CARRIED_NOTES = 300;
const MAX_CARRIED_TEXT = 2000;

function now(): string {
  return new Date().toISOString();
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
