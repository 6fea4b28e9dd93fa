// The two activities only the minimal floor uses (bench/workflows/floor-refund.ts), composed from
// the workflow worker's own: the policy pinned and the order read in one local activity, and the
// trail written by the first saga step itself before it reserves anything, so the decision is on
// record before money moves without an activation of its own. Idempotent as their parts are: the
// audit sink writes each event id once, and the reservation has its idempotency key.
import type { IntegrationActivities, PolicyActivities } from '../activities';
import type { AuditEvent } from '../common/audit-schemas';
import type { PolicyBundle } from '../policies/schema';

export type WorkflowWorkerActivities = PolicyActivities & IntegrationActivities;

export function composeMinimalFloorActivities(worker: WorkflowWorkerActivities) {
  return {
    async pinPolicyAndReadOrder(process: string, orderId: string): Promise<{ bundle: PolicyBundle; order: unknown }> {
      const [bundle, order] = await Promise.all([worker.loadPolicy(process), worker.getOrder({ orderId })]);
      return { bundle, order };
    },
    async reserveFundsAfterTrail(events: AuditEvent[], input: Parameters<IntegrationActivities['reserveFunds']>[0]) {
      await worker.appendAuditEvents(events);
      return worker.reserveFunds(input);
    },
  };
}

export type MinimalFloorActivities = ReturnType<typeof composeMinimalFloorActivities>;
