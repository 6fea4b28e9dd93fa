// How Arbiter's workflow bundle is built, the same way for the worker, the tests and the bench.
import { bundleWorkflowCode, type BundleOptions, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Stateless libraries loaded once per worker thread and shared by every run (see workflows/shared-modules.ts). */
export const WORKFLOW_BUNDLER_OPTIONS = {
  preloadModules: [require.resolve('../workflows/shared-modules')],
} satisfies NonNullable<WorkerOptions['bundlerOptions']>;

export function bundleArbiterWorkflows(options: Pick<BundleOptions, 'workflowsPath' | 'logger'>): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...options, ...WORKFLOW_BUNDLER_OPTIONS });
}
