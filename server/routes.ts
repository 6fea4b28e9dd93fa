// The approvals API: list the cards waiting for the caller, show one, decide it, or supply the
// proposal a person was asked for. Identity always comes from the token, never from the body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { cardHashSchema, decisionRequestBodySchema, type ApprovalDecision } from '../common/approval-schemas';
import { decisionStatement, proposalStatement } from '../common/signed-statements';
import type { DecisionSigningKey } from '../runtime/decision-key';
import { processNamed } from '../processes';
import { awaitsCaller, decisionVerdict, proposalRefusal, tenantAllows, visibleView } from './approval-rules';
import type { ApprovalSource } from './approvals-source';
import { ALL_TENANTS, type Caller } from './auth';
import { HttpError, parseBody, readJsonBody, sendJson } from './http';
import type { RefusalRecorder } from './refusal-audit';
import { withoutTraceContext, type RequestTrace } from './request-trace';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  caller: Caller;
  workflowId: string;
  /**
   * The request's span: it joins the run's trace once the caller may see the run's card, and not
   * before, so a refused request (another tenant's run, a role it lacks) stays a trace of its own.
   */
  trace: RequestTrace;
}

export interface ApprovalRoutesDeps {
  source: ApprovalSource;
  bodyBytes: number;
  now?: () => number;
  /** Writes decisions refused here to the audit trail. */
  recordRefusal?: RefusalRecorder;
  /** Every agent id of every policy: such an id is never a person's. */
  agentIds?: ReadonlySet<string>;
  /** Vouches for the caller's identity, as this endpoint verified it, to the run. */
  decisionKey: DecisionSigningKey;
}


const proposalEnvelopeSchema = z.strictObject({
  cardHash: cardHashSchema,
  proposal: z.record(z.string(), z.unknown()),
});

export function approvalRoutes(deps: ApprovalRoutesDeps) {
  const { source, bodyBytes } = deps;
  const now = deps.now ?? Date.now;
  const agentIds = deps.agentIds ?? new Set<string>();

  return {
    async list({ res, caller }: RouteContext): Promise<void> {
      const at = now();
      const approvals = (await source.waiting(ownTenant(caller))).filter((view) => awaitsCaller(view, caller, at));
      sendJson(res, 200, { approvals: approvals.map(withoutTraceContext) });
    },

    async show({ res, caller, workflowId, trace }: RouteContext): Promise<void> {
      const view = visibleView(await source.view(workflowId, ownTenant(caller)), caller);
      trace.join(view);
      sendJson(res, 200, { ...withoutTraceContext(view), workflowId });
    },

    async decide({ req, res, caller, workflowId, trace }: RouteContext): Promise<void> {
      const body = parseBody(decisionRequestBodySchema, await readJsonBody(req, bodyBytes));
      const view = await source.view(workflowId, ownTenant(caller));
      const verdict = decisionVerdict(view, caller, body, now(), agentIds);
      if (verdict.kind !== 'refuse') trace.join(view);
      if (verdict.kind === 'refuse') {
        // Only on a card of the caller's own tenant: another tenant's trail is not theirs to write
        // in, and a write only for runs that exist would tell them which do.
        if (view && tenantAllows(caller, view)) await deps.recordRefusal?.(workflowId, view, caller, verdict.error);
        throw verdict.error;
      }
      if (verdict.kind === 'duplicate') {
        sendJson(res, 202, { workflowId, status: view!.status, stillNeeded: view!.stillNeeded, duplicate: true });
        return;
      }
      const unsigned: ApprovalDecision = {
        decision: body.decision,
        approver: { id: caller.id, roles: caller.roles },
        cardHash: body.cardHash,
        ...(body.comment === undefined ? {} : { comment: body.comment }),
        ...(body.decisionId === undefined ? {} : { decisionId: body.decisionId }),
      };
      // Signed for the run the card belongs to: the run rebuilds this statement and checks it.
      const at = new Date(now()).toISOString();
      const run = { workflowId, tenant: view!.card.tenant };
      const decision = { ...unsigned, signature: deps.decisionKey.sign(decisionStatement(run, unsigned, at)) };
      // The workflow's validator has the last word (someone may have decided meanwhile).
      const receipt = await trace.within(() => source.decide(workflowId, decision)).catch(async (err: unknown) => {
        if (err instanceof HttpError) await deps.recordRefusal?.(workflowId, view, caller, err);
        throw err;
      });
      sendJson(res, 202, { workflowId, ...receipt });
    },

    async propose({ req, res, caller, workflowId, trace }: RouteContext): Promise<void> {
      const raw = await readJsonBody(req, bodyBytes);
      const envelope = parseBody(proposalEnvelopeSchema, raw);
      const view = await source.view(workflowId, ownTenant(caller));
      const refusal = proposalRefusal(view, caller, envelope.cardHash, now(), agentIds);
      if (!refusal) trace.join(view);
      if (refusal) {
        // As for decisions: written only in the caller's own tenant's trail.
        if (view && tenantAllows(caller, view)) await deps.recordRefusal?.(workflowId, view, caller, refusal, 'proposal');
        throw refusal;
      }
      // A person's proposal passes the same schema as the agent's, per process.
      const schema = view && processNamed(view.card.process)?.proposalSchema;
      if (!schema) throw new HttpError(404, 'not-pending', 'proposals for this process are not taken here');
      // Parsed inside the envelope again, so a bad field is named by its full path (proposal.amount).
      const { proposal } = parseBody(z.strictObject({ cardHash: cardHashSchema, proposal: schema }), raw);
      // A signal has no answer: the workflow re-validates and may still refuse (someone was faster).
      const submission = { submittedBy: caller.id, roles: caller.roles, cardHash: envelope.cardHash, proposal };
      const at = new Date(now()).toISOString();
      const statement = proposalStatement({ workflowId, tenant: view.card.tenant }, submission, at);
      await trace.within(() => source.submitProposal(workflowId, { ...submission, signature: deps.decisionKey.sign(statement) }));
      sendJson(res, 202, { workflowId, submitted: true });
    },
  };
}

export type ApprovalRoutes = ReturnType<typeof approvalRoutes>;

/** The one tenant a caller's cards are read in; undefined for an explicit every-tenant token. */
function ownTenant(caller: Caller): string | undefined {
  return caller.tenant === ALL_TENANTS ? undefined : caller.tenant;
}
