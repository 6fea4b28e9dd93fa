// A real Temporal dev server for a test file, started from the CLI binary on free ports, with
// Arbiter's search attributes registered, plus a shared workflow bundle.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { ARBITER_SEARCH_ATTRIBUTES } from '../../common/constants';
import { DEV_SERVER_DYNAMIC_CONFIG, dynamicConfigArgs } from '../../runtime/dev-server';
import { workerTelemetry } from '../../runtime/metrics';
import { findTemporalCli } from '../../runtime/temporal-cli';
import { testDataConverter } from './payload-keys';
import { bundleArbiterWorkflows } from '../../runtime/workflow-bundle';

let runtimeInstalled = false;

/**
 * Keeps test output to warnings; a failing test prints its own assertions. With an address, the
 * runtime serves Prometheus metrics there as the worker's does (runtime/metrics.ts). The Runtime
 * is one per process and installed once: a test file that scrapes metrics starts its server first.
 */
function installQuietRuntime(metricsAddress?: string): void {
  if (runtimeInstalled) {
    if (metricsAddress) throw new Error('the Temporal Runtime is installed already, without metrics; start the metrics test server first');
    return;
  }
  runtimeInstalled = true;
  const telemetryOptions = workerTelemetry(metricsAddress);
  Runtime.install({ logger: new DefaultLogger('ERROR'), ...(telemetryOptions && { telemetryOptions }) });
}

/** `dynamicConfig` adds to (or overrides) `npm start`'s, for a test of a server limit; `metricsAddress` serves the runtime's Prometheus metrics. */
export async function startTestServer(
  options: { metricsAddress?: string; dynamicConfig?: Readonly<Record<string, number | boolean | string>> } = {},
): Promise<TestWorkflowEnvironment> {
  installQuietRuntime(options.metricsAddress);
  const dynamicConfig = options.dynamicConfig ?? {};
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalCli() },
      searchAttributes: [...ARBITER_SEARCH_ATTRIBUTES],
      // The same dynamic config as `npm start`, so tests run on the platform users get.
      extraArgs: [...dynamicConfigArgs({ ...DEV_SERVER_DYNAMIC_CONFIG, ...dynamicConfig }), '--log-level', 'error'],
    },
    // The test's client encrypts payloads as the workers do (test/helpers/workers.ts).
    client: { dataConverter: testDataConverter() },
  });
}

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows/index.ts');

/** Names the file holding the bundle of WORKFLOWS_PATH that jest's global set-up built for the run (test/global/workflow-bundle.ts). */
export const WORKFLOW_BUNDLE_FILE_VARIABLE = 'ARBITER_TEST_WORKFLOW_BUNDLE';

/** Arbiter's bundle from the run's file under jest; other workflows, and scripts run outside jest, are bundled here. */
export async function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundle> {
  const builtForRun = process.env[WORKFLOW_BUNDLE_FILE_VARIABLE];
  if (builtForRun && workflowsPath === WORKFLOWS_PATH) return { code: readFileSync(builtForRun, 'utf8') };
  // Traced, as a worker that exports spans: test/tracing.test.ts follows a run's spans.
  return bundleArbiterWorkflows({ workflowsPath, logger: new DefaultLogger('ERROR'), traced: true });
}

/** A task queue of its own per test, so no test's worker ever picks up another test's work. */
export function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}
