// What a caller may do with an approval card, judged from the workflow's own view before anything
// is sent to it; the workflow re-checks, and `refusalForWorkflowError` maps its refusal in a race.
import type { ApprovalView } from '../common/approval-schemas';
import { checkProposer } from '../policies/approvals';
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

/** Why this caller's decision must be refused, in the order the workflow itself checks. */
export function decisionRefusal(view: ApprovalView | undefined, caller: Caller, cardHash: string, nowMs: number): HttpError | undefined {
  if (!view || !tenantAllows(caller, view)) return notVisible();
  if (view.card.kind !== 'approval') return notPending('no approval is pending for this workflow');
  if (hasExpired(view, nowMs)) return new HttpError(410, 'expired', `the approval expired at ${view.card.expiresAt}`);
  if (view.decisions.some((d) => d.approverId === caller.id)) {
    return new HttpError(409, 'already-decided', `${caller.id} already decided; a person counts once`);
  }
  if (view.status !== 'pending') return notPending(`the approval is already ${view.status}`);
  if (view.card.excluded.includes(caller.id)) {
    return new HttpError(403, 'segregation-of-duties', `${caller.id} requested or proposed this action and may not decide it`);
  }
  if (!holdsDecidingRole(caller, view)) {
    return new HttpError(403, 'role', `deciding needs one of the roles: ${view.decidingRoles.join(', ')}`);
  }
  if (cardHash !== view.cardHash) return staleCard();
  return undefined;
}

/** Why this caller may not supply the proposal a `proposal` card asks for. */
export function proposalRefusal(view: ApprovalView | undefined, caller: Caller, cardHash: string, nowMs: number, agentIds: ReadonlySet<string>): HttpError | undefined {
  if (!view || !tenantAllows(caller, view)) return notVisible();
  if (view.card.kind !== 'proposal' || view.status !== 'pending') return notPending('no proposal is awaited for this workflow');
  if (hasExpired(view, nowMs)) return new HttpError(410, 'expired', `the wait for a proposal ended at ${view.card.expiresAt}`);
  // The workflow asks the same question of every proposal that reaches it.
  const check = checkProposer(caller, { proposerRoles: view.decidingRoles, excluded: view.card.excluded, agentIds: [...agentIds] });
  if (!check.ok) return new HttpError(403, check.code, check.reason);
  if (cardHash !== view.cardHash) return staleCard();
  return undefined;
}

function staleCard(): HttpError {
  return new HttpError(409, 'stale-card', 'the card changed since it was loaded; reload it and decide again', 'cardHash');
}

/**
 * The `decide` update's validator refuses with "<code>: <reason>"; between our check and the
 * update another decision or the expiry timer may have won, so the same codes map to the same statuses.
 */
export function refusalForWorkflowError(message: string): HttpError | undefined {
  const code = /^([a-z-]+(?: decision)?):/.exec(message)?.[1];
  const reason = message.slice((code?.length ?? 0) + 1).trim();
  switch (code) {
    case 'closed':
      return reason.includes('expired') ? new HttpError(410, 'expired', reason) : notPending(reason);
    case 'not-open':
      return notPending(reason);
    case 'role':
    case 'segregation-of-duties':
    case 'not-a-person':
      return new HttpError(403, code, reason);
    case 'already-decided':
      return new HttpError(409, code, reason);
    case 'stale-card':
      return staleCard();
    // The endpoint signed it, so none of these is the caller's fault: a setup fault the caller cannot fix.
    case 'untrusted-key':
      // Runs trust the keys listed when they started: a key listed later reaches new runs only.
      return new HttpError(503, 'signature-not-trusted', 'the run does not trust this endpoint\'s signing key (runs trust the keys listed in policies/trust.yaml when they started)');
    case 'unsigned':
    case 'bad-signature':
      return new HttpError(500, 'signature-refused', 'the run refused this endpoint\'s signature; the endpoint and the workers disagree on what is signed');
    case 'malformed decision':
      return new HttpError(400, 'invalid-body', reason, '(root)');
    default:
      return undefined;
  }
}
