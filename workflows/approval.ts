// Waiting for people: an approval that policy requires, decided through the `approvalDecision`
// signal. The workflow re-checks every decision itself (role, segregation of duties, one vote
// per person, closed approvals), because operators can signal it from the CLI or the Web UI.
// Escalation and expiry come from the pinned policy.
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import { approvalDecisionSchema } from '../common/approval-schemas';
import { describeIssues } from '../common/validation';
import {
  applyDecision,
  approvalsStillNeeded,
  checkDecision,
  decidingRoles,
  newApprovalState,
  type ApprovalState,
} from '../policies/approvals';
import { describeOutcome, durationMs } from '../policies/evaluate';
import type { ApprovalRequirement } from '../policies/schema';
import type { AuditTrail } from './audit';
import type { DecisionTrace } from './trace';

export const approvalDecisionSignal = defineSignal<[unknown]>('approvalDecision');

export interface ApprovalView {
  state: ApprovalState;
  stillNeeded: number;
  decidingRoles: string[];
}
export const approvalQuery = defineQuery<ApprovalView | null>('approval');

export interface ApprovalGateHooks {
  audit: AuditTrail;
  trace: DecisionTrace;
  /** Keeps `ArbiterApprovalPending` and `ArbiterStage` current for operators. */
  onPendingChange: (pending: boolean) => void;
  /** Authority line for audit events, e.g. "policy refund@1 rule refund-mid". */
  authority: string;
}

export class ApprovalGate {
  private state: ApprovalState | undefined;

  constructor(private readonly hooks: ApprovalGateHooks) {
    // Registered at once: a decision that arrives before the approval opens is refused and
    // audited, never silently dropped.
    setHandler(approvalDecisionSignal, (raw) => this.receive(raw));
    setHandler(approvalQuery, () =>
      this.state ? { state: this.state, stillNeeded: approvalsStillNeeded(this.state), decidingRoles: decidingRoles(this.state) } : null,
    );
  }

  /** Opens an approval and waits, durably, until it is decided or expires. */
  async request(requirement: ApprovalRequirement, excluded: string[]): Promise<ApprovalState> {
    const state = newApprovalState(requirement, excluded);
    this.state = state;
    this.hooks.trace.data.approval = state;
    this.hooks.onPendingChange(true);
    this.hooks.audit.record({
      type: 'approval.requested',
      actor: { kind: 'policy', id: this.hooks.authority },
      authority: this.hooks.authority,
      summary: `${describeOutcome('approve', requirement)}; expires after ${requirement.expireAfter}`,
      shown: { requirement },
    });

    const startedAt = Date.now();
    const settled = () => state.status !== 'pending';
    const expireMs = durationMs(requirement.expireAfter);
    if (requirement.escalateAfter && requirement.escalateTo && durationMs(requirement.escalateAfter) < expireMs) {
      if (!(await condition(settled, durationMs(requirement.escalateAfter)))) this.escalate(requirement);
    }
    if (!settled()) {
      const remaining = Math.max(1, expireMs - (Date.now() - startedAt));
      if (!(await condition(settled, remaining))) this.expire(requirement);
    }
    this.hooks.onPendingChange(false);
    return state;
  }

  private receive(raw: unknown): void {
    const parsed = approvalDecisionSchema.safeParse(raw);
    const approverId = readApproverId(raw);
    if (!parsed.success) return this.refuse(approverId, `malformed decision: ${describeIssues(parsed.error)}`);
    if (!this.state) return this.refuse(approverId, 'no approval is open for this run');
    const check = checkDecision(this.state, parsed.data);
    if (!check.ok) return this.refuse(approverId, check.reason);
    if (check.duplicate) return;
    applyDecision(this.state, parsed.data, new Date().toISOString());
    this.hooks.audit.record({
      type: `approval.${parsed.data.decision === 'approve' ? 'approved' : 'rejected'}`,
      actor: { kind: 'human', id: parsed.data.approver.id },
      authority: `roles ${parsed.data.approver.roles.join(', ')} under ${this.hooks.authority}`,
      summary: `${parsed.data.approver.id} ${parsed.data.decision === 'approve' ? 'approved' : 'rejected'}; ${approvalsStillNeeded(this.state)} approval(s) still needed; now ${this.state.status}`,
      changed: { status: this.state.status, comment: parsed.data.comment },
    });
  }

  private refuse(approverId: string, reason: string): void {
    this.hooks.trace.data.refusedDecisions.push({ at: new Date().toISOString(), approverId, reason });
    this.hooks.audit.record({
      type: 'approval.refused',
      actor: { kind: 'human', id: approverId },
      summary: `decision by ${approverId} refused: ${reason}`,
    });
  }

  private escalate(requirement: ApprovalRequirement): void {
    if (!this.state) return;
    this.state.escalated = true;
    this.hooks.trace.note(`approval escalated to ${requirement.escalateTo} after ${requirement.escalateAfter}`);
    this.hooks.audit.record({
      type: 'approval.escalated',
      actor: { kind: 'system', id: 'arbiter' },
      authority: this.hooks.authority,
      summary: `no decision after ${requirement.escalateAfter}: escalated to ${requirement.escalateTo}`,
    });
  }

  private expire(requirement: ApprovalRequirement): void {
    if (!this.state) return;
    this.state.status = requirement.onExpiry === 'approve' ? 'expired-approved' : 'expired-rejected';
    this.hooks.trace.note(`approval expired after ${requirement.expireAfter}: ${requirement.onExpiry}`);
    this.hooks.audit.record({
      type: 'approval.expired',
      actor: { kind: 'system', id: 'arbiter' },
      authority: this.hooks.authority,
      summary: `no settled decision after ${requirement.expireAfter}: auto-${requirement.onExpiry}`,
    });
  }
}

/** The approver's id from a payload that may be malformed, for the refusal record. */
function readApproverId(raw: unknown): string {
  const id = (raw as { approver?: { id?: unknown } } | null)?.approver?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : 'unknown';
}
