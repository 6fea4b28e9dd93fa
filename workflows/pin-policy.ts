// Pins a process's policy at the start of a run: loaded once through an activity, so the run's
// history records exactly the policy it used. A policy that cannot load ends the run, audited.
import { ApplicationFailure } from '@temporalio/workflow';
import type { PolicyActivities } from '../activities';
import { POLICY_INVALID } from '../common/error-types';
import type { PolicyBundle } from '../policies/schema';
import type { AuditTrail } from './audit';
import { toStepFailure } from './saga';
import type { DecisionTrace } from './trace';

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
