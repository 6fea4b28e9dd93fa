// Decisions and proposals the endpoint refuses before they reach the workflow still belong in the
// audit trail: who tried, on which card, and why it was refused.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ApprovalView } from '../common/approval-schemas';
import { ENDPOINT_RUN_ID, GENESIS_HASH, sealAuditEvent } from '../common/audit-chain';
import type { AuditSink } from '../activities/audit';
import type { Caller } from './auth';
import type { HttpError } from './http';

export type RefusalRecorder = (
  workflowId: string,
  view: ApprovalView | null | undefined,
  caller: Caller,
  refusal: HttpError,
  attempted?: 'decision' | 'proposal',
) => Promise<void>;

export function refusalRecorder(sink: AuditSink | undefined, logger: Logger): RefusalRecorder {
  return async (workflowId, view, caller, refusal, attempted = 'decision') => {
    // Without a card there is no process or tenant to file the event under; the request log has it.
    if (!sink || !view) return;
    try {
      // No run sequence to chain into (the endpoint sees a card, and several endpoints may write
      // at once): each refusal is hashed on its own, linked to the genesis value. docs/audit-trail.md
      // says what that proves and what it does not.
      const event = sealAuditEvent(
        {
          eventId: `${ENDPOINT_RUN_ID}/${randomUUID()}`,
          workflowId,
          // The endpoint sees the card, not the run: the workflow id names the run well enough here.
          runId: ENDPOINT_RUN_ID,
          process: view.card.process,
          tenant: view.card.tenant,
          at: new Date().toISOString(),
          type: attempted === 'proposal' ? 'proposal.refused' : 'approval.refused',
          actor: { kind: 'human', id: caller.id },
          authority: `token roles ${caller.roles.join(', ') || '(none)'}`,
          summary: `${attempted} by ${caller.id} refused by the endpoint (${refusal.status} ${refusal.code}): ${refusal.message}`,
          shown: { cardHash: view.cardHash },
        },
        GENESIS_HASH,
      );
      await sink.append([event]);
    } catch (err) {
      // The caller still gets the refusal; a trail that could not be written is an operator's alarm.
      logger.error({ err: (err as Error).message, workflowId }, `could not write a refused ${attempted} to the audit trail`);
    }
  };
}
