// Which code a run started on, told by patch markers so runs started earlier replay as they ran.
// Each `patched` call that is true records a marker and, through the SDK, a TemporalChangeVersion
// search attribute upsert: two history events and a visibility write per change, in every run.
// So a run started on this code records one marker that stands for every change below; the older
// markers are asked for only when it is absent, which is only when an earlier run replays.
import { patched } from '@temporalio/workflow';

/**
 * Every change listed in `Change`; a run that recorded it has all of them. A process's first read
 * of its system of record goes alongside the policy's pinning (workflows/process-run.ts,
 * `firstRead`) only in runs started since.
 */
const SINCE_READS_WITH_POLICY = 'arbiter-since-reads-with-policy';
/** Every change but `readsWithPolicy`. A wait for approval may continue as new (workflows/approval.ts, waitLimit) only in runs started since. */
const SINCE_WAITS_CONTINUE = 'arbiter-since-waits-continue';
/** Every change but `continuesWhileWaiting`: what runs recorded before waits could continue as new. */
const SINCE_SIGNED_DECISIONS = 'arbiter-since-signed-decisions';

/** The changes that reach runs by marker, each with the marker runs of its time recorded alone. */
const EARLIER_MARKERS = {
  /** The refund reads its order from payments before policy decides. */
  readsOrder: 'refund-reads-order-from-payments',
  /** Manual proposals are checked against the policy's proposers, and agents' ids never approve. */
  checksProposers: 'proposers-checked',
  /** A person's decision or proposal counts only with the approvers' endpoint's signature. */
  checksSignatures: 'decisions-signed',
} as const;

/**
 * A continued run asks Temporal where its carried state came from (activities/carried-origin.ts)
 * before it takes it. Its own marker, asked for by continued runs only, so a run that starts
 * afresh records nothing more, and a continued run recorded before the check replays without it.
 */
const CHECKS_CARRIED_ORIGIN = 'carried-origin-checked';

export type Change = keyof typeof EARLIER_MARKERS | 'readsOrderLocally' | 'checksCarriedOrigin' | 'continuesWhileWaiting' | 'readsWithPolicy';

/**
 * Whether this run has `change`. Call it before the run's first await: markers must land in the
 * first workflow task, ahead of the policy's local activity. Asking twice answers the same.
 */
export function runHas(change: Change): boolean {
  if (change === 'checksCarriedOrigin') return patched(CHECKS_CARRIED_ORIGIN);
  if (patched(SINCE_READS_WITH_POLICY)) return true;
  if (change === 'readsWithPolicy') return false;
  if (patched(SINCE_WAITS_CONTINUE)) return true;
  if (change === 'continuesWhileWaiting') return false;
  if (patched(SINCE_SIGNED_DECISIONS)) return true;
  // Runs from before the single marker read their order through a scheduled activity.
  if (change === 'readsOrderLocally') return false;
  return patched(EARLIER_MARKERS[change]);
}
