// What a caller may do with an approval card, judged from the workflow's own view before anything
// is sent to it; the workflow re-checks, and `refusalForWorkflowFailure` maps its refusal in a race.
import { ApplicationFailure } from '@temporalio/common';
import { approvalRefusalCodeSchema, type ApprovalRefusalCode, type ApprovalView } from '../common/approval-schemas';
import { checkDecision, checkProposer } from '../policies/approvals';
import { ALL_TENANTS, type Caller } from './auth';
import { HttpError } from './http';

const notPending = (what: string) => new HttpError(404, 'not-pending', what);
/**
 * What a caller hears about a run they may not see: the same status and body as for a run that
 * does not exist, so guessing workflow ids tells nobody which exist in another tenant.
 */
const notVisible = () => notPending('no approval is pending for this workflow');

export function tenantAllows(caller: Caller, view: ApprovalView): boolean {
  // Only an explicit `*` claim spans tenants; a token without a tenant never reaches here (app.ts refuses it).
  return caller.tenant === ALL_TENANTS || (caller.tenant !== undefined && caller.tenant === view.card.tenant);
}

function hasExpired(view: ApprovalView, nowMs: number): boolean {
  return view.status.startsWith('expired-') || (view.status === 'pending' && Date.parse(view.card.expiresAt) <= nowMs);
}

function holdsDecidingRole(caller: Caller, view: ApprovalView): boolean {
  return caller.roles.some((role) => view.decidingRoles.includes(role));
}

/** True when the card waits for exactly this caller: what `GET /approvals` lists. */
export function awaitsCaller(view: ApprovalView, caller: Caller, nowMs: number): boolean {
  if (view.status !== 'pending' || hasExpired(view, nowMs) || !tenantAllows(caller, view)) return false;
  if (view.card.excluded.includes(caller.id)) return false;
  if (view.decisions.some((d) => d.approverId === caller.id)) return false;
  // A proposal card's deciding roles are the policy's proposer roles.
  return holdsDecidingRole(caller, view);
}

/** The card as `GET /approvals/:id` shows it, or why not: only to someone who may act on it. */
export function visibleView(view: ApprovalView | undefined, caller: Caller): ApprovalView {
  if (!view || !tenantAllows(caller, view)) throw notVisible();
  if (!holdsDecidingRole(caller, view)) {
    const what = view.card.kind === 'proposal' ? 'proposing' : 'deciding';
    throw new HttpError(403, 'role', `reading this card needs a role that may act on it (${what}: ${view.decidingRoles.join(', ')})`);
  }
  if (view.status !== 'pending') throw notPending(`the approval is already ${view.status}`);
  return view;
}

/**
 * What the endpoint does with a decision, by the rule the workflow applies itself
 * (`checkDecision`) on the card as the endpoint just read it: refuse it, answer a repeat of the
 * caller's own vote as a duplicate here (sending it would cost the run history and one of its
 * limited updates, for nothing), or send it. The card shows no decision ids, so a repeat is told
 * by person and vote; the run, which knows the ids, has the last word on what it is sent.
 */
export type DecisionVerdict = { kind: 'refuse'; error: HttpError } | { kind: 'duplicate' } | { kind: 'send' };

export function decisionVerdict(
  view: ApprovalView | undefined,
  caller: Caller,
  body: { decision: 'approve' | 'reject'; cardHash: string; decisionId?: string },
  nowMs: number,
  agentIds: ReadonlySet<string>,
): DecisionVerdict {
  const refuse = (error: HttpError): DecisionVerdict => ({ kind: 'refuse', error });
  if (!view || !tenantAllows(caller, view)) return refuse(notVisible());
  if (view.card.kind !== 'approval') return refuse(notPending('no approval is pending for this workflow'));
  const facts = { status: view.status, decisions: view.decisions, excluded: view.card.excluded, agentIds: [...agentIds], decidingRoles: view.decidingRoles };
  const check = checkDecision(facts, { decision: body.decision, approver: { id: caller.id, roles: caller.roles }, decisionId: body.decisionId });
  if (check.ok && check.duplicate) return { kind: 'duplicate' };
  // The run closes an expired approval when its timer fires; the endpoint's clock may see it first.
  if (hasExpired(view, nowMs)) return refuse(refusal('expired', `the approval expired at ${view.card.expiresAt}`));
  if (!check.ok) return refuse(refusal(check.code, check.reason));
  if (body.cardHash !== view.cardHash) return refuse(refusal('stale-card', ''));
  return { kind: 'send' };
}

/** Why this caller may not supply the proposal a `proposal` card asks for. */
export function proposalRefusal(view: ApprovalView | undefined, caller: Caller, cardHash: string, nowMs: number, agentIds: ReadonlySet<string>): HttpError | undefined {
  if (!view || !tenantAllows(caller, view)) return notVisible();
  if (view.card.kind !== 'proposal' || view.status !== 'pending') return notPending('no proposal is awaited for this workflow');
  if (hasExpired(view, nowMs)) return refusal('expired', `the wait for a proposal ended at ${view.card.expiresAt}`);
  // The workflow asks the same question of every proposal that reaches it.
  const check = checkProposer(caller, { proposerRoles: view.decidingRoles, excluded: view.card.excluded, agentIds: [...agentIds] });
  if (!check.ok) return refusal(check.code, check.reason);
  if (cardHash !== view.cardHash) return refusal('stale-card', '');
  return undefined;
}

/** Every refusal's HTTP answer, whether the endpoint refuses first or the run does in a race. */
const REFUSAL_ANSWERS: Record<ApprovalRefusalCode, (reason: string) => HttpError> = {
  malformed: (reason) => new HttpError(400, 'invalid-body', reason, '(root)'),
  'not-open': notPending,
  closed: notPending,
  expired: (reason) => new HttpError(410, 'expired', reason),
  'already-decided': (reason) => new HttpError(409, 'already-decided', reason),
  'stale-card': () => new HttpError(409, 'stale-card', 'the card changed since it was loaded; reload it and decide again', 'cardHash'),
  role: (reason) => new HttpError(403, 'role', reason),
  'segregation-of-duties': (reason) => new HttpError(403, 'segregation-of-duties', reason),
  'not-a-person': (reason) => new HttpError(403, 'not-a-person', reason),
  // The endpoint signed it, so none of these is the caller's fault: a setup fault they cannot fix.
  // Runs trust the keys listed when they started: a key listed later reaches new runs only.
  'untrusted-key': () => new HttpError(503, 'signature-not-trusted', "the run does not trust this endpoint's signing key (runs trust the keys listed in policies/trust.yaml when they started)"),
  unsigned: () => new HttpError(500, 'signature-refused', "the run refused this endpoint's signature; the endpoint and the workers disagree on what is signed"),
  'bad-signature': () => new HttpError(500, 'signature-refused', "the run refused this endpoint's signature; the endpoint and the workers disagree on what is signed"),
};

export function refusal(code: ApprovalRefusalCode, reason: string): HttpError {
  return REFUSAL_ANSWERS[code](reason);
}

/**
 * The `decide` update's validator refuses with an ApplicationFailure typed by its refusal code:
 * between the endpoint's check and the update another decision or the expiry timer may have won.
 */
export function refusalForWorkflowFailure(failure: unknown): HttpError | undefined {
  if (!(failure instanceof ApplicationFailure)) return undefined;
  const code = approvalRefusalCodeSchema.safeParse(failure.type);
  return code.success ? refusal(code.data, failure.message) : undefined;
}
