// Worker Versioning, opt in by environment: with ARBITER_DEPLOYMENT_NAME and ARBITER_BUILD_ID set,
// a worker process joins that Worker Deployment Version and every run it starts stays pinned to it
// (docs/operations.md, "Deploying workflow code"). Unset, workers run unversioned, as the dev server
// tests and `npm start` do.
import type { WorkerDeploymentOptions } from '@temporalio/worker';

export const DEPLOYMENT_NAME_VARIABLE = 'ARBITER_DEPLOYMENT_NAME';
export const BUILD_ID_VARIABLE = 'ARBITER_BUILD_ID';

/**
 * The worker's deployment options, or undefined when versioning is off. Pinned by default: a
 * refund or price change that waits days for a person finishes on the code that started it, so a
 * deploy never replays its history against changed workflow code.
 */
export function workerDeploymentFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerDeploymentOptions | undefined {
  const deploymentName = env[DEPLOYMENT_NAME_VARIABLE]?.trim();
  const buildId = env[BUILD_ID_VARIABLE]?.trim();
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName || !buildId) {
    throw new Error(`${DEPLOYMENT_NAME_VARIABLE} and ${BUILD_ID_VARIABLE} go together: set both to version this worker, or neither`);
  }
  // The server keys versions as `<deployment>.<build id>`; a dot in the name would make that ambiguous.
  if (deploymentName.includes('.')) throw new Error(`${DEPLOYMENT_NAME_VARIABLE} may not contain a dot: '${deploymentName}'`);
  return { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}
