// Waiting for people. When policy requires approval, the run publishes an approval card (what
// the approver is shown, with a content hash) and waits, durably, for decisions: the
// `approvalDecision` signal (CLI, Web UI, operators) or the `decide` update (the approvers'
// endpoint, which needs an exact answer under races). Either way the workflow re-checks every
// decision: the endpoint's signature, role, segregation of duties, one vote per person, a stale
// card, a closed approval.
// Escalation and expiry come from the pinned policy.
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities';
import {
  approvalCardSchema,
  approvalDecisionSchema,
  type ApprovalCard,
  type ApprovalDecision,
  type ApprovalRefusalCode,
  type ApprovalView,
  type DecisionReceipt,
} from '../common/approval-schemas';
import { integrationsTaskQueue } from '../common/constants';
import { canonicalJson } from '../common/canonical-json';
import { contentHash } from '../common/content-hash';
import { withoutPersonalValues, type PersonalValue } from '../common/personal-data';
import type { DecisionReceipt as SignedReceipt } from '../common/decision-receipt';
import { decisionStatement, verifyStatement, type SignaturePolicy, type SignatureVerdict, type StatementRun } from '../common/signed-statements';
import { describeIssues } from '../common/validation';
import {
  applyDecision,
  approvalsStillNeeded,
  checkDecision,
  decidingRoles,
  decisionFactsOf,
  newApprovalState,
  type ApprovalState,
  type DecisionCheck,
} from '../policies/approvals';
import { describeOutcome, durationMs } from '../policies/evaluate';
import type { ApprovalRequirement } from '../policies/schema';
import { integrationActivity } from './activity-options';
import type { AuditTrail } from './audit';
import type { RunMetrics } from './metrics';
import { currentTraceparent } from './spans';
import type { DecisionTrace } from './trace';

/** Typed for senders; the handler still validates, since anyone who reaches Temporal can send anything. */
export const approvalDecisionSignal = defineSignal<[ApprovalDecision]>('approvalDecision');
export const decideUpdate = defineUpdate<DecisionReceipt, [ApprovalDecision]>('decide');
export const approvalQuery = defineQuery<ApprovalView | null>('approval');

/** The card's content before the gate adds timing, escalation and the exclusion list. */
export type CardDraft = Omit<
  ApprovalCard,
  'kind' | 'workflowId' | 'createdAt' | 'escalateAt' | 'escalateTo' | 'escalated' | 'expiresAt' | 'excluded' | 'requiredApprovals' | 'roles'
>;

export interface ApprovalGateHooks {
  audit: AuditTrail;
  trace: DecisionTrace;
  /** Keeps `ArbiterApprovalPending` and `ArbiterStage` current for operators. */
  onPendingChange: (pending: boolean, stage: string) => void;
  /** The pinned policy's agent ids: a decision under one of them is refused, an agent never approves. */
  agentIds: string[];
  /** The request's personal values (the policy's `ai.personalFields`): masked in the audit trail's copy of a card. */
  personal: PersonalValue[];
  /**
   * Whose signature makes a decision count, and this run's id and tenant it must name. Undefined
   * only for runs from before decisions were signed, which replay as they ran.
   */
  signatures: (SignaturePolicy & StatementRun) | undefined;
  /** Counts decisions that counted, expiries and refusals (workflows/metrics.ts). */
  metrics?: Pick<RunMetrics, 'approvalDecided' | 'decisionRefused'>;
}

type Refusal = { ok: false; code: ApprovalRefusalCode; reason: string };
/** A decision that may count: with its signed receipt, or unsigned under the policy's break glass. */
type Accepted = Extract<DecisionCheck, { ok: true }> & { receipt?: SignedReceipt; unsigned?: boolean };

export class ApprovalGate {
  private state: ApprovalState | undefined;
  private card: ApprovalCard | undefined;
  private cardHash = '';
  private authority = '';
  private readonly verdicts = new Map<string, SignatureVerdict>();
  /** Made on the run's main path, so it is the run's span, not a query's or an update's. */
  private readonly traceparent = currentTraceparent();

  constructor(private readonly hooks: ApprovalGateHooks) {
    // Registered at once: a decision that arrives before an approval opens is refused and
    // audited, never silently dropped.
    setHandler(approvalDecisionSignal, (raw) => this.receiveSignal(raw));
    setHandler(decideUpdate, (decision) => this.accept(decision), {
      validator: (decision) => {
        const parsed = approvalDecisionSchema.safeParse(decision);
        if (!parsed.success) throw this.refusedUpdate({ ok: false, code: 'malformed', reason: `malformed decision: ${describeIssues(parsed.error)}` });
        const check = this.check(parsed.data);
        // A refused update writes nothing to history; the caller gets the code and the reason.
        if (!check.ok) throw this.refusedUpdate(check);
      },
    });
    setHandler(approvalQuery, () => this.view());
  }

  /**
   * Shows a card asking a person to supply the proposal (AI off, or no model could propose).
   * Its `roles` are the policy's proposer roles: who may read it and propose.
   */
  showProposalCard(draft: CardDraft, excluded: string[], timeout: string, proposerRoles: string[]): void {
    const now = Date.now();
    this.state = undefined;
    this.publish({
      ...draft,
      kind: 'proposal',
      workflowId: workflowInfo().workflowId,
      requiredApprovals: 0,
      roles: proposerRoles,
      excluded,
      createdAt: new Date(now).toISOString(),
      escalated: false,
      expiresAt: new Date(now + durationMs(timeout)).toISOString(),
    });
    this.hooks.onPendingChange(true, 'awaiting-proposal');
  }

  clearCard(): void {
    this.card = undefined;
    this.hooks.onPendingChange(false, '');
  }

  /** Opens an approval, shows its card, and waits, durably, until it is decided or expires. */
  async request(requirement: ApprovalRequirement, excluded: string[], draft: CardDraft, authority: string): Promise<ApprovalState> {
    const state = newApprovalState(requirement, excluded, this.hooks.agentIds);
    const now = Date.now();
    const expireMs = durationMs(requirement.expireAfter);
    const escalateMs =
      requirement.escalateAfter && requirement.escalateTo && durationMs(requirement.escalateAfter) < expireMs
        ? durationMs(requirement.escalateAfter)
        : undefined;
    this.state = state;
    this.authority = authority;
    this.hooks.trace.data.approval = state;
    this.publish({
      ...draft,
      kind: 'approval',
      workflowId: workflowInfo().workflowId,
      requiredApprovals: requirement.approvals,
      roles: requirement.roles,
      excluded: state.excluded,
      createdAt: new Date(now).toISOString(),
      escalateAt: escalateMs === undefined ? undefined : new Date(now + escalateMs).toISOString(),
      escalateTo: escalateMs === undefined ? undefined : requirement.escalateTo,
      escalated: false,
      expiresAt: new Date(now + expireMs).toISOString(),
    });
    this.hooks.onPendingChange(true, 'awaiting-approval');
    this.hooks.audit.record({
      type: 'approval.requested',
      actor: { kind: 'policy', id: authority },
      authority,
      summary: `${describeOutcome('approve', requirement)}; expires after ${requirement.expireAfter}`,
      // The hash covers the card as shown; the trail keeps it without the customer's personal data.
      shown: { card: withoutPersonalValues(this.card, this.hooks.personal), cardHash: this.cardHash },
    });

    const settled = () => state.status !== 'pending';
    if (escalateMs !== undefined && !(await condition(settled, escalateMs))) await this.escalate(requirement);
    if (!settled()) {
      const remaining = Math.max(1, expireMs - (Date.now() - now));
      if (!(await condition(settled, remaining))) this.expire(requirement);
    }
    this.hooks.onPendingChange(false, '');
    return state;
  }

  private view(): ApprovalView | null {
    if (!this.card) return null;
    const state = this.state;
    return {
      card: this.card,
      cardHash: this.cardHash,
      status: state?.status ?? 'pending',
      decisions: (state?.decisions ?? []).map(({ decision, approverId, comment, at }) => ({ decision, approverId, comment, at })),
      stillNeeded: state ? approvalsStillNeeded(state) : 1,
      // On a proposal card, the roles that may supply the proposal.
      decidingRoles: state ? decidingRoles(state) : this.card.roles,
      ...(this.traceparent && { traceparent: this.traceparent }),
    };
  }

  private publish(card: ApprovalCard): void {
    // The card is validated like any other message: what approvers see has one shape everywhere.
    this.card = approvalCardSchema.parse(card);
    this.cardHash = contentHash(this.card);
  }

  /** The hash of the card shown now, if any: a signed proposal must name it. */
  get shownCardHash(): string | undefined {
    return this.card ? this.cardHash : undefined;
  }

  private check(decision: ApprovalDecision): Accepted | Refusal {
    if (!this.state || this.card?.kind !== 'approval') return { ok: false, code: 'not-open', reason: 'no approval is open for this run' };
    // Before any rule: the roles and the id below are only claims until the endpoint vouches for them.
    const signed = this.verify(decision);
    if (!signed.ok) return signed;
    const base = checkDecision(decisionFactsOf(this.state), decision);
    if (!base.ok || base.duplicate) return base;
    if (decision.cardHash !== this.cardHash) {
      return { ok: false, code: 'stale-card', reason: 'the decision was made on an outdated card; reload it and decide again' };
    }
    return { ...base, receipt: 'receipt' in signed ? signed.receipt : undefined, unsigned: 'unsigned' in signed };
  }

  private verify(decision: ApprovalDecision): SignatureVerdict | { ok: true } {
    const signatures = this.hooks.signatures;
    if (!signatures) return { ok: true };
    const statement = decisionStatement(signatures, decision, decision.signature?.at ?? '');
    // An update is checked by its validator and again by its handler: one Ed25519 check (about
    // 2 ms here) is enough for the same signed statement. Bounded: forged messages cost no memory.
    const key = canonicalJson([decision.signature?.keyId ?? null, decision.signature?.value ?? null, statement]);
    const known = this.verdicts.get(key);
    if (known) return known;
    const verdict = verifyStatement(signatures, statement, decision.signature);
    if (this.verdicts.size >= 16) this.verdicts.clear();
    this.verdicts.set(key, verdict);
    return verdict;
  }

  private accept(decision: ApprovalDecision): DecisionReceipt {
    const state = this.state!;
    const check = this.check(decision);
    if (!check.ok) throw this.refusedUpdate(check);
    if (!check.duplicate) this.apply(decision, check);
    return { status: state.status, stillNeeded: approvalsStillNeeded(state), duplicate: check.duplicate };
  }

  private receiveSignal(raw: unknown): void {
    const parsed = approvalDecisionSchema.safeParse(raw);
    if (!parsed.success) return this.refuse(readApproverId(raw), { ok: false, code: 'malformed', reason: `malformed decision: ${describeIssues(parsed.error)}` }, false);
    const check = this.check(parsed.data);
    if (!check.ok) return this.refuse(parsed.data.approver.id, check, !SIGNATURE_REFUSALS.has(check.code));
    if (!check.duplicate) this.apply(parsed.data, check);
  }

  private apply(decision: ApprovalDecision, check: Accepted): void {
    const state = this.state!;
    applyDecision(state, decision, new Date().toISOString());
    this.hooks.metrics?.approvalDecided(decision.decision);
    const verb = decision.decision === 'approve' ? 'approved' : 'rejected';
    this.hooks.audit.record({
      type: `approval.${verb}`,
      actor: { kind: 'human', id: decision.approver.id },
      authority: `roles ${decision.approver.roles.join(', ')} under ${this.authority}${check.unsigned ? ' (unsigned: the policy takes unsigned decisions)' : ''}`,
      summary: `${decision.approver.id} ${verb}${check.unsigned ? ' without a signature' : ''}; ${approvalsStillNeeded(state)} approval(s) still needed; now ${state.status}`,
      shown: { cardHash: decision.cardHash },
      changed: { status: state.status, comment: decision.comment, ...(check.unsigned ? { signed: false } : {}) },
      // The endpoint's signed statement: `arbiter audit verify` checks it against trust.yaml.
      ...(check.receipt ? { receipt: check.receipt } : {}),
    });
  }

  /** `verified`: the endpoint's signature vouched for the approver, so the refusal is theirs. */
  private refuse(approverId: string, refusal: Refusal, verified: boolean): void {
    const { reason } = refusal;
    this.hooks.metrics?.decisionRefused(refusal.code);
    // Before signatures, every decision was taken at its word; those runs replay as they ran.
    const unverified = !verified && this.hooks.signatures !== undefined;
    const refused = this.hooks.trace.data.refusedDecisions;
    if (refused.length < MAX_LISTED_REFUSALS) refused.push({ at: new Date().toISOString(), approverId, reason, ...(unverified && { unverified: true as const }) });
    this.hooks.audit.record({
      type: 'approval.refused',
      // Nobody proved who sent an unverified one: the trail does not pin it on the person it names.
      actor: unverified ? { kind: 'system', id: 'arbiter' } : { kind: 'human', id: approverId },
      summary: unverified ? `a decision claiming to be ${approverId}'s refused: ${reason}` : `decision by ${approverId} refused: ${reason}`,
    });
  }

  /** An update refused by its validator (or its handler): counted, and answered with the code. */
  private refusedUpdate(refusal: Refusal): ApplicationFailure {
    this.hooks.metrics?.decisionRefused(refusal.code);
    return refusalFailure(refusal);
  }

  private async escalate(requirement: ApprovalRequirement): Promise<void> {
    if (!this.state || !this.card || !requirement.escalateTo) return;
    this.state.escalated = true;
    // The card shows the escalation, so its hash changes: a decision on the old card is stale.
    this.publish({ ...this.card, escalated: true, roles: decidingRoles(this.state) });
    this.hooks.trace.note(`approval escalated to ${requirement.escalateTo} after ${requirement.escalateAfter}`);
    this.hooks.audit.record({
      type: 'approval.escalated',
      actor: { kind: 'system', id: 'arbiter' },
      authority: this.authority,
      summary: `no decision after ${requirement.escalateAfter}: escalated to ${requirement.escalateTo}`,
    });
    const notify = proxyActivities<IntegrationActivities>({
      ...integrationActivity,
      taskQueue: integrationsTaskQueue(workflowInfo().taskQueue),
    });
    await notify.notifyApprovers.executeWithOptions({ summary: `tell ${requirement.escalateTo} an approval waits` }, [
      {
        idempotencyKey: `${workflowInfo().workflowId}/escalation`,
        role: requirement.escalateTo,
        workflowId: workflowInfo().workflowId,
        text: `Escalated to you: ${this.card.title}. ${this.card.reason}`,
      },
    ]);
  }

  private expire(requirement: ApprovalRequirement): void {
    if (!this.state) return;
    this.state.status = requirement.onExpiry === 'approve' ? 'expired-approved' : 'expired-rejected';
    this.hooks.metrics?.approvalDecided('expired');
    this.hooks.trace.note(`approval expired after ${requirement.expireAfter}: ${requirement.onExpiry}`);
    this.hooks.audit.record({
      type: 'approval.expired',
      actor: { kind: 'system', id: 'arbiter' },
      authority: this.authority,
      summary: `no settled decision after ${requirement.expireAfter}: auto-${requirement.onExpiry}`,
    });
  }
}

/** Refusals that say the decision's sender is not proved: its approver id is a claim. */
const SIGNATURE_REFUSALS = new Set<ApprovalRefusalCode>(['unsigned', 'untrusted-key', 'bad-signature']);

/** The update's refusal: its type is the refusal code, which the endpoint maps to an HTTP status. */
function refusalFailure(refusal: Refusal): ApplicationFailure {
  return ApplicationFailure.create({ type: refusal.code, message: refusal.reason, nonRetryable: true });
}
/** The trace lists this many refused decisions; the audit trail records every one. */
const MAX_LISTED_REFUSALS = 100;

/** The approver's id from a payload that may be malformed, for the refusal record. */
function readApproverId(raw: unknown): string {
  const id = (raw as { approver?: { id?: unknown } } | null)?.approver?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : 'unknown';
}
