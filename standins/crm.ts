// Stand-in CRM: one case per order, whose status an update replaces and a restore puts back.
// Orders whose id starts with FAIL-CRM- are rejected, to drive a saga into compensation.
import { randomUUID } from 'node:crypto';
import { effectRoute } from './routes';
import { restoreCaseBodySchema, updateCaseBodySchema, type CrmCase, type StandInState } from './schemas';

export const CRM_REJECT_PREFIX = 'FAIL-CRM-';

function findOrOpenCase(state: StandInState, orderId: string): CrmCase {
  const existing = state.cases.find((c) => c.orderId === orderId);
  if (existing) return existing;
  const opened: CrmCase = { caseId: `case_${randomUUID()}`, orderId, current: null, updateCount: 0, restoreCount: 0 };
  state.cases.push(opened);
  return opened;
}

export const updateCase = effectRoute({
  template: '/crm/cases/:orderId/updates',
  body: updateCaseBodySchema,
  orderId: ({ params }) => params.orderId,
  run({ params, body, state }) {
    const orderId = params.orderId ?? '';
    if (orderId.startsWith(CRM_REJECT_PREFIX)) {
      // A business refusal, not an outage: the caller must not retry it.
      return { status: 422, body: { error: 'CRM rejected the update for this order', type: 'CrmRejected' } };
    }
    const crmCase = findOrOpenCase(state, orderId);
    const previous = crmCase.current;
    crmCase.current = { status: body.status, note: body.note };
    crmCase.updateCount += 1;
    return { status: 200, body: { caseId: crmCase.caseId, orderId, previous, current: crmCase.current } };
  },
});

export const restoreCase = effectRoute({
  template: '/crm/cases/:orderId/restore',
  body: restoreCaseBodySchema,
  orderId: ({ params }) => params.orderId,
  run({ params, body, state }) {
    const orderId = params.orderId ?? '';
    const existing = state.cases.find((c) => c.orderId === orderId);
    // Restoring "no case" where there is none has nothing to undo; no case is opened for it.
    if (!existing && body.previous === null) {
      return { status: 200, body: { caseId: null, orderId, current: null } };
    }
    const crmCase = existing ?? findOrOpenCase(state, orderId);
    crmCase.current = body.previous;
    crmCase.restoreCount += 1;
    return { status: 200, body: { caseId: crmCase.caseId, orderId, current: crmCase.current } };
  },
});

export const crmRoutes = [updateCase, restoreCase];
