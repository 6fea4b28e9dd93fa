// The loadPolicy activity every run starts with: a bundle is reused while its files are
// unchanged, and any change to any of them is read by the next run.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createPolicyActivities } from '../activities/policy';
import { POLICY_INVALID } from '../common/error-types';
import { copyPolicies, rewriteRefundPolicy } from './helpers/policies';

describe('loadPolicy', () => {
  it('returns the same pinned bundle while the files are unchanged', async () => {
    const { loadPolicy } = createPolicyActivities({ policyDir: copyPolicies() });
    const first = await loadPolicy('refund');
    expect(await loadPolicy('refund')).toBe(first);
  });

  it('reads the process policy afresh once it changes on disk', async () => {
    const dir = copyPolicies();
    const { loadPolicy } = createPolicyActivities({ policyDir: dir });
    const before = await loadPolicy('refund');
    rewriteRefundPolicy(dir, (policy) => void (policy.version = 'cache-test-2'));
    const after = await loadPolicy('refund');
    expect(after.ref).toBe('refund@cache-test-2');
    expect(after.hash).not.toBe(before.hash);
  });

  it('reads a changed shared file (models.yaml) afresh too', async () => {
    const dir = copyPolicies();
    const { loadPolicy } = createPolicyActivities({ policyDir: dir });
    const before = await loadPolicy('refund');
    writeFileSync(path.join(dir, 'models.yaml'), `# a comment changes the file, not the content\n${JSON.stringify(before.models)}\n`);
    const after = await loadPolicy('refund');
    expect(after).not.toBe(before);
    // The hash covers the parsed content, so a file rewritten with the same content pins the same hash.
    expect(after.hash).toBe(before.hash);
  });

  it('fails without retry, naming the file, once a file it had cached is removed', async () => {
    const dir = copyPolicies();
    const { loadPolicy } = createPolicyActivities({ policyDir: dir });
    await loadPolicy('refund');
    rmSync(path.join(dir, 'roles.yaml'));
    const failure = await loadPolicy('refund').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: POLICY_INVALID, nonRetryable: true, message: expect.stringContaining('roles.yaml: (file): file not found') });
  });
});
