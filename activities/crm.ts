// CRM activities: record the refund on the customer's case, and put the case back as it was.
import { createSystemClient, type SystemClientOptions } from './system-client';

export interface CaseState {
  status: string;
  note: string;
}
export interface CaseUpdate {
  caseId: string;
  orderId: string;
  previous: CaseState | null;
  current: CaseState;
}

export interface CrmDeps {
  baseUrl: string;
  fetch?: SystemClientOptions['fetch'];
}

export function createCrmActivities(deps: CrmDeps) {
  const post = createSystemClient({ system: 'Crm', ...deps });
  return {
    async updateCrmCase(input: { idempotencyKey: string; orderId: string; status: string; note: string }): Promise<CaseUpdate> {
      const { idempotencyKey, orderId, ...body } = input;
      return post<CaseUpdate>(`/crm/cases/${encodeURIComponent(orderId)}/updates`, body, idempotencyKey);
    },
    /** The inverse of updateCrmCase: the case goes back to what the update saw before it. */
    async restoreCrmCase(input: { idempotencyKey: string; orderId: string; previous: CaseState | null }): Promise<void> {
      await post(`/crm/cases/${encodeURIComponent(input.orderId)}/restore`, { previous: input.previous }, input.idempotencyKey);
    },
  };
}
