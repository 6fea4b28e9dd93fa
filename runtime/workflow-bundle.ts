// How Arbiter's workflow bundle is built, the same way for the worker, the tests and the bench.
import { bundleWorkflowCode, type BundleOptions, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Stateless libraries loaded once per worker thread and shared by every run (see workflows/shared-modules.ts). */
export const WORKFLOW_BUNDLER_OPTIONS = {
  preloadModules: [require.resolve('../workflows/shared-modules')],
} satisfies NonNullable<WorkerOptions['bundlerOptions']>;

/**
 * The SDK's OpenTelemetry workflow interceptors, in the bundle of a worker that exports spans only.
 * Each run loads its own copy of them and of the OpenTelemetry SDK under them, which cost a fifth
 * more workflow CPU per refund (bench measurement 6); with nothing exported that buys nothing.
 * A run may replay on a worker with or without them: they add headers, never commands, and the
 * workflow code draws no random numbers that they could shift (runtime/tracing.ts).
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export function workflowInterceptorModules(traced: boolean): string[] {
  return traced ? WORKFLOW_INTERCEPTOR_MODULES : [];
}

export function bundleArbiterWorkflows(options: Pick<BundleOptions, 'workflowsPath' | 'logger'> & { traced: boolean }): Promise<WorkflowBundleWithSourceMap> {
  const { traced, ...bundle } = options;
  return bundleWorkflowCode({ ...bundle, ...WORKFLOW_BUNDLER_OPTIONS, workflowInterceptorModules: workflowInterceptorModules(traced) });
}
