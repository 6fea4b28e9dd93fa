// Pins a process's policy at the start of a run: loaded once through an activity, so the run's
// history records exactly the policy it used. A policy that cannot load ends the run, audited.
// A run that continues an earlier one as new takes that run's policy instead, carried whole.
import { ApplicationFailure } from '@temporalio/workflow';
import type { PolicyActivities } from '../activities';
import { POLICY_INVALID } from '../common/error-types';
import type { PolicyBundle } from '../policies/schema';
import type { AuditTrail } from './audit';
import type { CarriedOriginVerdict } from '../activities/carried-origin';
import type { CarriedRun } from './carried-run';
import { toStepFailure } from './saga';
import type { DecisionTrace } from './trace';

/** What a continued run's origin check let through: whether the carried policy is the one the worker loads. */
type AcceptedOrigin = Exclude<CarriedOriginVerdict, { refused: object }>;

export async function pinPolicy(
  process: string,
  platform: Pick<PolicyActivities, 'loadPolicy'>,
  hooks: { trace: DecisionTrace; audit: AuditTrail; setStage: (stage: string) => void },
): Promise<PolicyBundle> {
  const { trace, audit } = hooks;
  let bundle: PolicyBundle;
  try {
    bundle = await platform.loadPolicy(process);
  } catch (err) {
    const failure = toStepFailure('load-policy', err);
    trace.note(`policy could not be loaded: ${failure.error.message}`);
    audit.record({ type: 'policy.invalid', actor: { kind: 'system', id: 'arbiter' }, summary: failure.error.message.split('\n')[0] ?? '' });
    await audit.flush();
    hooks.setStage('policy-invalid');
    throw ApplicationFailure.nonRetryable(`${process} cannot run: ${failure.error.message}`, POLICY_INVALID);
  }
  trace.data.policy = { ref: bundle.ref, hash: bundle.hash };
  audit.record({ type: 'policy.pinned', actor: { kind: 'system', id: 'arbiter' }, summary: `policy ${bundle.ref} pinned (${bundle.hash.slice(0, 12)})` });
  return bundle;
}

/**
 * The policy a continued run goes on with: the one the first run pinned, carried whole and checked
 * against its hash (workflows/carried-run.ts), never loaded again, so a newer policy cannot reach
 * a run already under way. The trail says which run this one continues and where that run's ended.
 */
export function carriedPolicy(carried: CarriedRun, origin: AcceptedOrigin | undefined, hooks: { trace: DecisionTrace; audit: AuditTrail }): PolicyBundle {
  const bundle: PolicyBundle = carried.policy;
  hooks.trace.restore(carried.trace);
  hooks.trace.data.policy = { ref: bundle.ref, hash: bundle.hash };
  // Runs continued before the origin check (no `origin`) recorded the event without its line.
  const standing = !origin ? '' : origin.policy === 'current' ? '; run checked with Temporal, policy is the one the worker loads' : `; run checked with Temporal, policy kept though the worker now loads ${origin.loadable}`;
  hooks.audit.record({
    type: 'run.continued',
    actor: { kind: 'system', id: 'arbiter' },
    summary: `continues run ${carried.fromRunId} ${carried.agent ? `after agent turn ${carried.agent.turns}` : 'awaiting approval'}; policy ${bundle.ref} carried (${bundle.hash.slice(0, 12)}, hash checked)${standing}`,
    shown: { fromRunId: carried.fromRunId, previousAuditHead: carried.auditHead, policyHash: bundle.hash, ...(origin ? { policyStanding: origin.policy } : {}) },
  });
  return bundle;
}
