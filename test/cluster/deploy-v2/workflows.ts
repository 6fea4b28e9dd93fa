// Version 2 of Arbiter's workflow code, for the deploy test only (test/cluster/versioning.test.ts):
// every workflow as it is, except that a refund first writes a memo saying it ran this code. A
// change of that kind adds a command, so a run started on version 1 could not replay on it: it
// must finish on version 1's workers, which is what pinning guarantees.
import { upsertMemo } from '@temporalio/workflow';
import { refund as refundV1 } from '../../../workflows/refund';

export { priceChange } from '../../../workflows/price-change';
export { creditLimit } from '../../../workflows/credit-limit';

/** The memo a refund run on this code carries; runs of version 1 have none. */
export const V2_MEMO = { arbiterWorkflowCode: 'deploy-test-v2' } as const;

export async function refund(...args: Parameters<typeof refundV1>): ReturnType<typeof refundV1> {
  upsertMemo(V2_MEMO);
  return refundV1(...args);
}
