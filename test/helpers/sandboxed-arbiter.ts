// Arbiter end to end against the sandbox systems: one sandbox server and Temporal dev server per
// test file (or per describe block it is called in), the run's workflow bundle, and real workers per test
// whose integration activities call the sandbox over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createIntegrationActivities } from '../../activities';
import { ArbiterClient } from '../../client';
import { readTemporalSettings } from '../../runtime/config';
import type { LedgerEntry, PriceLedgerEntry } from '../../sandbox/ledger';
import type { SandboxState } from '../../sandbox/schemas';
import type { SandboxServer } from '../../sandbox/server';
import { startSandboxServer } from './sandbox-fixture';
import { bundleWorkflows, startTestServer } from './temporal';
import { registeringOrders } from './payments-record';
import { withArbiterWorkers, type WorkerSetup } from './workers';

/** What the sandbox's `GET /state` answers: the records, and the ledgers summed over them. */
export type SandboxStateView = Omit<SandboxState, 'replies' | 'attempts'> & { ledger: LedgerEntry[]; priceLedger: PriceLedgerEntry[] };

export interface SandboxedArbiterOptions {
  /** Names the temp folder holding the sandbox state, so a leftover folder says which test file made it. */
  name: string;
}

export interface SandboxedArbiter {
  readonly env: TestWorkflowEnvironment;
  readonly bundle: WorkflowBundle;
  readonly sandboxUrl: string;
  sandboxState(): Promise<SandboxStateView>;
  /**
   * Runs `fn` with a typed client on a fresh task queue while real workers serve it. `setup`
   * replaces any of the workers' defaults, the sandbox-backed integrations included.
   */
  withArbiter<T>(fn: (client: ArbiterClient) => Promise<T>, setup?: Partial<WorkerSetup>): Promise<T>;
}

/** Registers beforeAll/afterAll where it is called; read the getters inside tests and hooks only. */
export function useSandboxedArbiter(options: SandboxedArbiterOptions): SandboxedArbiter {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;
  let sandbox: SandboxServer;
  let sandboxUrl: string;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), `arbiter-${options.name}-`));
    ({ server: sandbox, url: sandboxUrl } = await startSandboxServer(path.join(stateDir, 'sandbox.json'), 'sandbox'));
    [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  });

  afterAll(async () => {
    await env?.teardown();
    await sandbox?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function sandboxState(): Promise<SandboxStateView> {
    return (await (await fetch(`${sandboxUrl}/state`)).json()) as SandboxStateView;
  }

  async function withArbiter<T>(fn: (client: ArbiterClient) => Promise<T>, setup: Partial<WorkerSetup> = {}): Promise<T> {
    const systems = createIntegrationActivities({
      paymentsUrl: sandboxUrl,
      crmUrl: sandboxUrl,
      notificationsUrl: sandboxUrl,
      catalogUrl: sandboxUrl,
      channelsUrl: sandboxUrl,
    });
    const integrations = registeringOrders(systems, sandboxUrl);
    return withArbiterWorkers(env, bundle, { integrations, ...setup }, (taskQueue) =>
      fn(new ArbiterClient(env.client, { ...readTemporalSettings({}), workflowTaskQueue: taskQueue })),
    );
  }

  return {
    get env() {
      return env;
    },
    get bundle() {
      return bundle;
    },
    get sandboxUrl() {
      return sandboxUrl;
    },
    sandboxState,
    withArbiter,
  };
}
