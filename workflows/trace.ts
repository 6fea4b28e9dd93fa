// The run's decision trace: what was proposed, what policy decided and why, who approved,
// what ran and what was undone, and what it cost. The `explain` query returns it whole.
import { defineQuery, setHandler } from '@temporalio/workflow';
import type { StepLogEntry } from '../common/saga-schemas';
import type { ApprovalState } from '../policies/approvals';
import type { PolicyDecision } from '../policies/evaluate';

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

export interface ModelCallRecord {
  /** What the call was for: the run's proposal, or the customer reply. */
  purpose: 'proposal' | 'customer-reply';
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

  explain(): Explanation {
    return { ...this.data, steps: this.steps() };
  }
}

function now(): string {
  return new Date().toISOString();
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
