// Version 2's change to the refund workflow behind the SDK's `patched`, for the deploy test's replay
// only: the way to ship a change that must reach runs already open. A run that started before it
// replays without the memo (no patch marker in its history); a run that reaches it afterwards writes it.
import { patched, upsertMemo } from '@temporalio/workflow';
import { refund as refundV1 } from '../../../workflows/refund';
import { V2_MEMO } from './workflows';

export { priceChange } from '../../../workflows/price-change';
export { creditLimit } from '../../../workflows/credit-limit';

export async function refund(...args: Parameters<typeof refundV1>): ReturnType<typeof refundV1> {
  if (patched('deploy-test-v2-memo')) upsertMemo(V2_MEMO);
  return refundV1(...args);
}
