// How Arbiter's workflow bundle is built, the same way for the worker, the tests and the bench.
import { bundleWorkflowCode, type BundleOptions, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Stateless libraries loaded once per worker thread and shared by every run (see workflows/shared-modules.ts). */
export const WORKFLOW_BUNDLER_OPTIONS = {
  preloadModules: [require.resolve('../workflows/shared-modules')],
} satisfies NonNullable<WorkerOptions['bundlerOptions']>;

/**
 * The SDK's OpenTelemetry workflow interceptors, in every bundle whether or not the process exports
 * spans: the workflow code a run replays must not depend on the environment (runtime/tracing.ts).
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export function bundleArbiterWorkflows(options: Pick<BundleOptions, 'workflowsPath' | 'logger'>): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...options, ...WORKFLOW_BUNDLER_OPTIONS, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES });
}
