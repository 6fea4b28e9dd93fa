// Pure rules for counting approval decisions: the approver's role, segregation of duties, one
// vote per person, and a closed approval that takes no more decisions. Workflows and the
// approvers' endpoint use the same function, so both give the same answer.
import type { ApprovalDecision, ApprovalRefusalCode, ApprovalStatus } from '../common/approval-schemas';
import type { ApprovalRequirement, ProcessPolicy } from './schema';

export interface AcceptedDecision {
  decision: 'approve' | 'reject';
  approverId: string;
  roles: string[];
  comment?: string;
  decisionId?: string;
  at: string;
}

export interface ApprovalState {
  requirement: ApprovalRequirement;
  /** People who may not decide: whoever requested the action, and a person who proposed it. */
  excluded: string[];
  /** The policy's agents: an id among them is an agent's, never a person's, and never decides. */
  agentIds: string[];
  escalated: boolean;
  decisions: AcceptedDecision[];
  status: ApprovalStatus;
}

export type DecisionCheck =
  | { ok: true; duplicate: false }
  /** The same decision again (same id, or same person and same vote): counts once, changes nothing. */
  | { ok: true; duplicate: true }
  | { ok: false; code: Extract<ApprovalRefusalCode, 'closed' | 'expired' | 'role' | 'segregation-of-duties' | 'already-decided' | 'not-a-person'>; reason: string };

export function newApprovalState(requirement: ApprovalRequirement, excluded: string[], agentIds: string[] = []): ApprovalState {
  return { requirement, excluded: [...new Set(excluded)], agentIds, escalated: false, decisions: [], status: 'pending' };
}

/** Every id the policy gives an agent: its AI agent and every agent it lists. */
export function policyAgentIds(policy: Pick<ProcessPolicy, 'agents' | 'ai'>): string[] {
  return [...new Set([policy.ai.agent, ...Object.keys(policy.agents)])];
}

export type ProposerCheck = { ok: true } | { ok: false; code: Extract<ApprovalRefusalCode, 'role' | 'segregation-of-duties' | 'not-a-person'>; reason: string };

/**
 * Whether this person may supply the proposal a run waits for: they hold a proposer role of the
 * policy, did not request the action, and are not an agent. The endpoint and the workflow both ask.
 */
export function checkProposer(
  proposer: { id: string; roles: string[] },
  rules: { proposerRoles: string[]; excluded: string[]; agentIds: string[] },
): ProposerCheck {
  if (rules.agentIds.includes(proposer.id)) {
    return { ok: false, code: 'not-a-person', reason: `${proposer.id} is an agent's id; a person proposes under their own` };
  }
  if (rules.excluded.includes(proposer.id)) {
    return { ok: false, code: 'segregation-of-duties', reason: `${proposer.id} requested this action and may not propose it` };
  }
  if (!proposer.roles.some((role) => rules.proposerRoles.includes(role))) {
    return { ok: false, code: 'role', reason: `proposing needs one of the roles: ${rules.proposerRoles.join(', ')}` };
  }
  return { ok: true };
}

/** Roles that may decide now: the required ones, plus the escalation role once escalated. */
export function decidingRoles(state: ApprovalState): string[] {
  const { roles, escalateTo } = state.requirement;
  return state.escalated && escalateTo ? [...roles, escalateTo] : roles;
}

/**
 * What a decision is checked against: the run's own state in the workflow, or the card's view
 * (`ApprovalView`) at the endpoint, which checks before sending so both answer alike.
 */
export interface DecisionFacts {
  status: ApprovalStatus;
  decisions: readonly { approverId: string; decision: 'approve' | 'reject'; decisionId?: string }[];
  excluded: readonly string[];
  agentIds: readonly string[];
  decidingRoles: readonly string[];
}

/** The facts of the workflow's own approval state. */
export function decisionFactsOf(state: ApprovalState): DecisionFacts {
  return { ...state, decidingRoles: decidingRoles(state) };
}

export function checkDecision(state: DecisionFacts, decision: Pick<ApprovalDecision, 'decision' | 'approver' | 'decisionId'>): DecisionCheck {
  const approverId = decision.approver.id;
  const sameId = decision.decisionId === undefined ? undefined : state.decisions.find((d) => d.decisionId === decision.decisionId);
  if (sameId) {
    return sameId.approverId === approverId
      ? { ok: true, duplicate: true }
      : { ok: false, code: 'already-decided', reason: `decision id ${decision.decisionId} was already used by another approver` };
  }
  const previous = state.decisions.find((d) => d.approverId === approverId);
  if (previous && previous.decision === decision.decision) return { ok: true, duplicate: true };
  if (state.status !== 'pending') {
    return { ok: false, code: state.status.startsWith('expired-') ? 'expired' : 'closed', reason: `the approval is already ${state.status}` };
  }
  if (previous) {
    return { ok: false, code: 'already-decided', reason: `${approverId} already decided (${previous.decision}); a person counts once` };
  }
  if (state.excluded.includes(approverId)) {
    return { ok: false, code: 'segregation-of-duties', reason: `${approverId} requested or proposed this action and may not decide it` };
  }
  if (state.agentIds.includes(approverId)) {
    return { ok: false, code: 'not-a-person', reason: `${approverId} is an agent's id; an agent never approves` };
  }
  const allowed = state.decidingRoles;
  if (!decision.approver.roles.some((role) => allowed.includes(role))) {
    return { ok: false, code: 'role', reason: `${approverId} holds none of the roles that may decide: ${allowed.join(', ')}` };
  }
  return { ok: true, duplicate: false };
}

/** Records a decision that passed `checkDecision`, and closes the approval when it is settled. */
export function applyDecision(state: ApprovalState, decision: ApprovalDecision, at: string): void {
  state.decisions.push({
    decision: decision.decision,
    approverId: decision.approver.id,
    roles: decision.approver.roles,
    comment: decision.comment,
    decisionId: decision.decisionId,
    at,
  });
  if (decision.decision === 'reject') {
    // One qualified "no" is enough: the four-eyes principle guards against acting, not against stopping.
    state.status = 'rejected';
  } else if (approvalsCounted(state) >= state.requirement.approvals) {
    state.status = 'approved';
  }
}

export function approvalsCounted(state: ApprovalState): number {
  return new Set(state.decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId)).size;
}

export function approvalsStillNeeded(state: ApprovalState): number {
  return Math.max(0, state.requirement.approvals - approvalsCounted(state));
}

/** Where a waiting run's history stands, as Temporal measures it (`workflowInfo()`). */
export interface WaitingRunSize {
  historyEvents: number;
  historyBytes: number;
  /** Temporal's own `continueAsNewSuggested`: the history nears the server's limits. */
  suggested: boolean;
}

/**
 * Why a run waiting for approval should continue as new now, or undefined to go on waiting: past
 * the policy's `approvalWait` limits, or when Temporal suggests it.
 */
export function waitingContinueReason(section: ProcessPolicy['approvalWait'], run: WaitingRunSize): string | undefined {
  const limits = section?.continueAsNew;
  if (limits && run.historyEvents >= limits.afterHistoryEvents) return `history of ${run.historyEvents} events while waiting (policy: after ${limits.afterHistoryEvents})`;
  if (limits && run.historyBytes >= limits.afterHistoryBytes) return `history of ${run.historyBytes} bytes while waiting (policy: after ${limits.afterHistoryBytes})`;
  if (run.suggested) return 'Temporal suggests continuing as new';
  return undefined;
}
