// Arbiter end to end against the stand-in systems: one stand-in server and Temporal dev server per
// test file (or per describe block it is called in), the run's workflow bundle, and real workers per test
// whose integration activities call the stand-ins over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createIntegrationActivities } from '../../activities';
import { createLookupClient } from '../../activities/lookups';
import { ArbiterClient } from '../../client';
import { readTemporalSettings } from '../../runtime/config';
import type { LedgerEntry, PriceLedgerEntry } from '../../standins/ledger';
import type { StandInState } from '../../standins/schemas';
import type { StandInServer } from '../../standins/server';
import { startStandInServer } from './standins-fixture';
import { bundleWorkflows, startTestServer } from './temporal';
import { registeringOrders } from './payments-record';
import { withArbiterWorkers, type WorkerSetup } from './workers';

/** What the stand-ins' `GET /state` answers: the records, and the ledgers summed over them. */
export type StandInStateView = Omit<StandInState, 'replies' | 'attempts'> & { ledger: LedgerEntry[]; priceLedger: PriceLedgerEntry[] };

export interface ArbiterWithStandInsOptions {
  /** Names the temp folder holding the stand-ins' state, so a leftover folder says which test file made it. */
  name: string;
  /** Where the test's Temporal runtime serves Prometheus metrics (test/metrics.test.ts). */
  metricsAddress?: string;
  /** Dynamic config for this dev server on top of `npm start`'s (a lowered server limit, say). */
  dynamicConfig?: Readonly<Record<string, number | boolean | string>>;
}

export interface ArbiterWithStandIns {
  readonly env: TestWorkflowEnvironment;
  readonly bundle: WorkflowBundle;
  readonly standInsUrl: string;
  standInsState(): Promise<StandInStateView>;
  /**
   * Runs `fn` with a typed client on a fresh task queue while real workers serve it. `setup`
   * replaces any of the workers' defaults, the stand-in-backed integrations included.
   */
  withArbiter<T>(fn: (client: ArbiterClient) => Promise<T>, setup?: Partial<WorkerSetup>): Promise<T>;
}

/** Registers beforeAll/afterAll where it is called; read the getters inside tests and hooks only. */
export function useArbiterWithStandIns(options: ArbiterWithStandInsOptions): ArbiterWithStandIns {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;
  let standIns: StandInServer;
  let standInsUrl: string;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), `arbiter-${options.name}-`));
    ({ server: standIns, url: standInsUrl } = await startStandInServer(path.join(stateDir, 'standins.json'), 'standins'));
    [env, bundle] = await Promise.all([startTestServer({ metricsAddress: options.metricsAddress, dynamicConfig: options.dynamicConfig }), bundleWorkflows()]);
  });

  afterAll(async () => {
    await env?.teardown();
    await standIns?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function standInsState(): Promise<StandInStateView> {
    return (await (await fetch(`${standInsUrl}/state`)).json()) as StandInStateView;
  }

  async function withArbiter<T>(fn: (client: ArbiterClient) => Promise<T>, setup: Partial<WorkerSetup> = {}): Promise<T> {
    const systems = createIntegrationActivities({
      paymentsUrl: standInsUrl,
      crmUrl: standInsUrl,
      notificationsUrl: standInsUrl,
      catalogUrl: standInsUrl,
      channelsUrl: standInsUrl,
      erpUrl: standInsUrl,
    });
    const integrations = registeringOrders(systems, standInsUrl);
    // An investigating agent looks things up in the same stand-ins.
    const lookups = createLookupClient({ paymentsUrl: standInsUrl, crmUrl: standInsUrl, catalogUrl: standInsUrl });
    return withArbiterWorkers(env, bundle, { integrations, lookups, ...setup }, (taskQueue) =>
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
    get standInsUrl() {
      return standInsUrl;
    },
    standInsState,
    withArbiter,
  };
}
