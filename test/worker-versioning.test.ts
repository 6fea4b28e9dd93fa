// Worker Versioning is opt in by environment: both variables version the worker, neither leaves it
// unversioned (npm start, the dev server tests), one alone is a mistake said at start.
import { workerDeploymentFromEnv } from '../runtime/worker-versioning';

test('with a deployment name and a build id the workers join that version, runs pinned', () => {
  expect(workerDeploymentFromEnv({ ARBITER_DEPLOYMENT_NAME: 'arbiter', ARBITER_BUILD_ID: '2026-12-02.1' })).toEqual({
    version: { deploymentName: 'arbiter', buildId: '2026-12-02.1' },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  });
});

test('without either the workers are unversioned', () => {
  expect(workerDeploymentFromEnv({})).toBeUndefined();
});

test('refuses one without the other, and a dot in the deployment name', () => {
  expect(() => workerDeploymentFromEnv({ ARBITER_BUILD_ID: 'v2' })).toThrow(/go together/);
  expect(() => workerDeploymentFromEnv({ ARBITER_DEPLOYMENT_NAME: 'arbiter' })).toThrow(/go together/);
  expect(() => workerDeploymentFromEnv({ ARBITER_DEPLOYMENT_NAME: 'arbiter.eu', ARBITER_BUILD_ID: 'v2' })).toThrow(/dot/);
});
