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
import type { CarriedApproval } from './carried-run';
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
  /** Where a long wait may go on in a fresh run; undefined where the run must wait as it is. */
  waitLimit?: WaitLimit;
}

/** How a run waiting for approval continues as new: when, and with what. */
export interface WaitLimit {
  /** Why the run should continue as new now (its history has grown), or undefined. */
  reason(): string | undefined;
  /**
   * Writes what the trail holds before the run ends; false when too much keeps arriving to carry
   * the rest. Decisions may land meanwhile: the gate looks at the approval again after it.
   */
  drain(): Promise<boolean>;
  /** Ends this run, with no await before it does; the next one resumes the approval from what is carried. */
  continueAsNew(approval: CarriedApproval, reason: string): Promise<never>;
}

/** An approval carried from the run this one continues, and whether it is the last one carried (the one still open). */
export interface ApprovalResume {
  approval: CarriedApproval;
  last: boolean;
}

/** The first rejection among a carried approval's decisions, if any. */
function rejectingDecision(carried: CarriedApproval): CarriedApproval['decisions'][number] | undefined {
  return carried.decisions.find((d) => d.message.decision === 'reject');
}

/** Why a carried approval ended rejected, or undefined: a rejection stands whatever else changed. */
export function carriedRejection(carried: CarriedApproval, requirement?: Pick<ApprovalRequirement, 'expireAfter'>): string | undefined {
  const rejecter = rejectingDecision(carried)?.message.approver.id;
  if (rejecter) return `rejected by ${rejecter}`;
  if (carried.status === 'rejected' || carried.status === 'expired-rejected') return `no decision within ${requirement?.expireAfter ?? 'its time'}: auto-rejected`;
  return undefined;
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
  /** Whether the last carried approval given to `request` opened afresh (its card or a decision did not hold). */
  resumeRefused = false;
  /** The decisions the open approval counted, as they came: carried when the run continues as new. */
  private accepted: { message: ApprovalDecision; at: string }[] = [];
  /**
   * True in a run that continues a wait until it has resumed the approval still open: decisions
   * that arrive meanwhile (for the card approvers still hold) wait in `inbox`, or, sent as the
   * update, in their handler, instead of being refused as if no approval were open.
   */
  private resuming: boolean;
  /** Held decisions, signals and updates alike, in the order they came; taken in that order. */
  private readonly inbox: HeldDecision[] = [];
  /** Made on the run's main path, so it is the run's span, not a query's or an update's. */
  private readonly traceparent = currentTraceparent();

  constructor(private readonly hooks: ApprovalGateHooks & { resumes?: boolean }) {
    this.resuming = hooks.resumes ?? false;
    // Registered at once: a decision that arrives before an approval opens is refused and
    // audited, never silently dropped.
    setHandler(approvalDecisionSignal, (raw) => {
      // Held only once well-formed: a malformed one is refused (and audited) at once, as ever.
      if (this.resuming && this.inbox.length < MAX_INBOX && approvalDecisionSchema.safeParse(raw).success) this.inbox.push({ kind: 'signal', raw });
      else this.receiveSignal(raw);
    });
    setHandler(
      decideUpdate,
      (decision) => {
        if (!this.resuming) return this.accept(decision);
        return new Promise<DecisionReceipt>((resolve, reject) => this.inbox.push({ kind: 'update', decision, resolve, reject }));
      },
      {
        validator: (decision) => {
          const parsed = approvalDecisionSchema.safeParse(decision);
          if (!parsed.success) throw this.refusedUpdate({ ok: false, code: 'malformed', reason: `malformed decision: ${describeIssues(parsed.error)}` });
          if (this.resuming) {
            // The rest is checked once the carried approval is resumed; who sent it, now.
            const signed = this.verify(parsed.data);
            if (!signed.ok) throw this.refusedUpdate(signed);
            if (this.inbox.length >= MAX_INBOX) throw this.refusedUpdate({ ok: false, code: 'not-open', reason: 'the run is resuming its approval; send the decision again shortly' });
            return;
          }
          const check = this.check(parsed.data);
          // A refused update writes nothing to history; the caller gets the code and the reason.
          if (!check.ok) throw this.refusedUpdate(check);
        },
      },
    );
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

  /**
   * Opens an approval, shows its card, and waits, durably, until it is decided or expires. With
   * `resume`, the approval an earlier run of this workflow asked for and carried over: it goes on
   * only when this run, having read its facts and decided again, shows the very card that run did;
   * otherwise it opens afresh (see `resume`).
   */
  async request(requirement: ApprovalRequirement, excluded: string[], draft: CardDraft, authority: string, resume?: ApprovalResume): Promise<ApprovalState> {
    this.authority = authority;
    this.accepted = [];
    const carried = resume?.approval;
    let state = this.open(requirement, excluded, draft, Date.now(), carried);
    const refusal = carried && this.resume(state, requirement, carried);
    // A rejection stands whatever else changed: people stopped it, and stopping needs no second look.
    const rejection = refusal && carriedRejection(carried, requirement);
    if (carried && refusal) {
      this.accepted = [];
      // Opened afresh on the new card, with the deadlines the old one showed: a continue-as-new never extends them.
      state = this.open(requirement, excluded, draft, Date.now(), carried);
      if (rejection) {
        const rejecting = rejectingDecision(carried);
        if (rejecting) applyDecision(state, rejecting.message, rejecting.at);
        else state.status = 'expired-rejected';
      }
      this.hooks.trace.note(rejection ? `the approval carried from the earlier run stays ${rejection}` : `the approval carried from the earlier run opens afresh: ${refusal}`);
    }
    this.resumeRefused = refusal !== undefined && rejection === undefined;
    this.hooks.onPendingChange(state.status === 'pending', 'awaiting-approval');
    const resumed = carried !== undefined && (refusal === undefined || rejection !== undefined);
    this.hooks.audit.record({
      type: resumed ? 'approval.resumed' : 'approval.requested',
      actor: { kind: 'policy', id: authority },
      authority,
      summary: rejection
        ? `carried from the earlier run ${rejection}; the rejection stands (${refusal})`
        : resumed
          ? `carried from the earlier run with ${state.decisions.length} decision(s), each checked again; ${approvalsStillNeeded(state)} approval(s) still needed; expires at ${this.card!.expiresAt}`
          : `${describeOutcome('approve', requirement)}; expires ${carried ? `at ${this.card!.expiresAt}, as the earlier run's card did` : `after ${requirement.expireAfter}`}${refusal ? ` (opened afresh: ${refusal})` : ''}`,
      // The hash covers the card as shown; the trail keeps it without the customer's personal data.
      shown: { card: withoutPersonalValues(this.card, this.hooks.personal), cardHash: this.cardHash },
    });
    // Held decisions are taken once the approval they were meant for is open (the last one
    // carried), or whenever this run is about to wait: nothing held waits on a wait.
    if (resume?.last || state.status === 'pending') this.endResume();

    // Deadlines are the card's, so a run that resumes the approval keeps the times it showed.
    const settled = () => state.status !== 'pending';
    const card = this.card!;
    if (!settled() && card.escalateAt && !state.escalated && !(await this.waitUntil(settled, Date.parse(card.escalateAt)))) await this.escalate(requirement);
    if (!settled() && !(await this.waitUntil(settled, Date.parse(card.expiresAt)))) this.expire(requirement);
    this.hooks.onPendingChange(false, '');
    return state;
  }

  /**
   * Ends the resume: decisions that waited are taken now, in the order they came, against
   * whatever is open (or, when nothing is, refused as not open and audited). Also called by the
   * run when policy asks for no more approvals, and when the run ends.
   */
  endResume(): void {
    if (!this.resuming) return;
    this.resuming = false;
    for (const held of this.inbox.splice(0)) {
      if (held.kind === 'signal') {
        this.receiveSignal(held.raw);
        continue;
      }
      try {
        held.resolve(this.accept(held.decision));
      } catch (err) {
        held.reject(err);
      }
    }
  }

  /** What a run that continues as new carries of the approval shown now: its card's times and the decisions as they came. */
  carried(): CarriedApproval {
    const { card, state } = this;
    if (!card || card.kind !== 'approval' || !state) throw new Error('no approval to carry');
    return {
      authority: this.authority,
      cardHash: this.cardHash,
      createdAt: card.createdAt,
      ...(card.escalateAt && { escalateAt: card.escalateAt }),
      expiresAt: card.expiresAt,
      escalated: state.escalated,
      status: state.status,
      decisions: [...this.accepted],
    };
  }

  /** A new approval state and its card, timed from `now`, or from the card an earlier run showed. */
  private open(requirement: ApprovalRequirement, excluded: string[], draft: CardDraft, now: number, times?: CarriedApproval): ApprovalState {
    const state = newApprovalState(requirement, excluded, this.hooks.agentIds);
    const expireMs = durationMs(requirement.expireAfter);
    const escalateMs =
      requirement.escalateAfter && requirement.escalateTo && durationMs(requirement.escalateAfter) < expireMs
        ? durationMs(requirement.escalateAfter)
        : undefined;
    this.state = state;
    this.hooks.trace.data.approval = state;
    this.publish({
      ...draft,
      kind: 'approval',
      workflowId: workflowInfo().workflowId,
      requiredApprovals: requirement.approvals,
      roles: requirement.roles,
      excluded: state.excluded,
      createdAt: times?.createdAt ?? new Date(now).toISOString(),
      escalateAt: times ? times.escalateAt : escalateMs === undefined ? undefined : new Date(now + escalateMs).toISOString(),
      escalateTo: escalateMs === undefined ? undefined : requirement.escalateTo,
      escalated: false,
      expiresAt: times?.expiresAt ?? new Date(now + expireMs).toISOString(),
    });
    return state;
  }

  /**
   * Takes over an approval an earlier run carried: the card shown now must hash to the card it
   * showed (after its escalation, if it escalated), and each decision it counted is checked again
   * as if it came now: signature against the pinned keys, the card it names, role, segregation
   * of duties. Returns why not, and then nothing carried counts.
   */
  private resume(state: ApprovalState, requirement: ApprovalRequirement, carried: CarriedApproval): string | undefined {
    const shown = [this.cardHash];
    if (carried.escalated) {
      if (!requirement.escalateTo) return 'it was escalated, and this requirement escalates to nobody';
      state.escalated = true;
      this.publish({ ...this.card!, escalated: true, roles: decidingRoles(state) });
      shown.push(this.cardHash);
    }
    if (this.cardHash !== carried.cardHash) return 'the card this run shows differs from the one the earlier run showed (its facts or its decision changed)';
    for (const { message, at } of carried.decisions) {
      const signed = this.verify(message);
      if (!signed.ok) return `the decision by ${message.approver.id} does not verify: ${signed.reason}`;
      if (!shown.includes(message.cardHash)) return `the decision by ${message.approver.id} names a card this approval never showed`;
      const check = checkDecision(decisionFactsOf(state), message);
      if (!check.ok) return `the decision by ${message.approver.id} does not count: ${check.reason}`;
      if (check.duplicate) continue;
      applyDecision(state, message, at);
      this.accepted.push({ message, at });
    }
    const expired = carried.status === 'expired-approved' || carried.status === 'expired-rejected';
    if (expired && state.status === 'pending' && Date.now() >= Date.parse(carried.expiresAt)) state.status = carried.status;
    if (state.status !== carried.status) return `its decisions make it ${state.status}, not ${carried.status}`;
    return undefined;
  }

  /**
   * Waits until the approval is settled (true) or the deadline passes (false). Where the run may
   * continue as new (`waitLimit`), it does so once its history grows past the policy's limits.
   */
  private async waitUntil(settled: () => boolean, deadline: number): Promise<boolean> {
    const limit = this.hooks.waitLimit;
    for (;;) {
      let why: string | undefined;
      const done = await condition(
        () => settled() || (why = limit?.reason()) !== undefined,
        Math.max(1, deadline - Date.now()),
      );
      if (!done || settled()) return done;
      const drained = await limit!.drain();
      // Decided, or past the deadline, while the trail was written: this run goes on.
      if (settled()) return true;
      if (Date.now() >= deadline) return false;
      // Nothing is awaited from here to the end of the run, so no decision can come in between.
      if (drained) return limit!.continueAsNew(this.carried(), why!);
    }
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
    const at = new Date().toISOString();
    applyDecision(state, decision, at);
    this.accepted.push({ message: decision, at });
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

/** Decisions kept while a continued run resumes its approval; more are refused as if none were open. */
const MAX_INBOX = 100;

/** A decision that reached a continued run before it resumed its approval. */
type HeldDecision =
  | { kind: 'signal'; raw: unknown }
  | { kind: 'update'; decision: ApprovalDecision; resolve: (receipt: DecisionReceipt) => void; reject: (err: unknown) => void };

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
