// A deploy that keeps waiting runs safe, on the cluster: workers of version v1 (Worker Versioning,
// runs pinned to the version that started them) start refunds that wait for a support lead; then
// version v2, whose refund workflow writes a memo first (test/cluster/deploy-v2/), is started,
// ramped and made current. Once approved, the old runs finish on v1's code and new runs run on
// v2's; each history replays on its own version's code, a v1 history cannot replay on v2's, and
// can on the same change behind `patched`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { BUILD_ID_VARIABLE, DEPLOYMENT_NAME_VARIABLE } from '../../runtime/worker-versioning';
import { DATA_DIR } from '../../scripts/platform';
import { CAROL, signalApproval } from '../faults/helpers/approvals';
import { standInsState } from '../faults/helpers/standins-ledger';
import { tracingSinks } from '../../runtime/tracing';
import { testDataConverter } from '../helpers/payload-keys';
import { bundleWorkflows } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { V2_MEMO } from './deploy-v2/workflows';
import { countRuns, ordersExactlyOnce, registeredRefund, secondsSince, startTestCluster, stopTestCluster, WAITING_QUERY, type TestCluster } from './helpers/cluster';

const DEPLOYMENT = 'arbiter';
const RUNS_PER_VERSION = 5;
const { VersioningBehavior, VersionDrainageStatus } = temporal.api.enums.v1;

let cluster: TestCluster;

beforeAll(async () => {
  // No unversioned workers: the test starts each version's own.
  cluster = await startTestCluster('deploy', { workers: 0, ui: false });
}, 30 * 60_000);

afterAll(() => stopTestCluster(cluster));

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Starts a worker process of `buildId`, running workers/main.ts or another entry, and waits until it polls. */
async function startVersion(buildId: string, script?: string): Promise<void> {
  const name = `worker-${buildId}`;
  cluster.platform.startWorker(say, name, { env: { [DEPLOYMENT_NAME_VARIABLE]: DEPLOYMENT, [BUILD_ID_VARIABLE]: buildId }, script });
  await waitFor(async () => readFileSync(path.join(DATA_DIR, 'logs', `${name}.log`), 'utf8').includes('arbiter workers polling'), `${name} polling`, 180_000);
}

/** The rollout's steps, as `temporal worker deployment set-current-version` / `set-ramping-version` take them; the server knows a version once its pollers have reached every task queue. */
async function setCurrent(buildId: string): Promise<void> {
  const { namespace } = cluster.settings;
  await waitFor(
    () => cluster.client.temporal.workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName: DEPLOYMENT, buildId, identity: 'deploy-test' }).then(() => true),
    `${DEPLOYMENT}.${buildId} current`,
    60_000,
  );
}

async function setRamping(buildId: string, percentage: number): Promise<void> {
  const { namespace } = cluster.settings;
  await waitFor(
    () => cluster.client.temporal.workflowService.setWorkerDeploymentRampingVersion({ namespace, deploymentName: DEPLOYMENT, buildId, percentage, identity: 'deploy-test' }).then(() => true),
    `${DEPLOYMENT}.${buildId} ramping at ${percentage}%`,
    60_000,
  );
}

/** The version a run is pinned to, how, whether it carries v2's memo, and the build ids that completed its workflow tasks. */
async function versionOf(handle: WorkflowHandle) {
  const description = await handle.describe();
  const info = description.raw.workflowExecutionInfo?.versioningInfo;
  const history = await handle.fetchHistory();
  const completedBy = new Set((history.events ?? []).flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.deploymentVersion?.buildId ?? 'none'] : [])));
  return {
    buildId: info?.deploymentVersion?.buildId,
    pinned: info?.behavior === VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
    v2Memo: description.memo?.arbiterWorkflowCode === V2_MEMO.arbiterWorkflowCode,
    completedBy: [...completedBy].sort().join(','),
    history,
  };
}

async function replays(bundle: WorkflowBundle, history: temporal.api.history.v1.IHistory, workflowId: string): Promise<'replays' | 'determinism-violation'> {
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: testDataConverter(), sinks: tracingSinks() }, history, workflowId);
    return 'replays';
  } catch (err) {
    if (err instanceof DeterminismViolationError) return 'determinism-violation';
    throw err;
  }
}

test('runs waiting for approval across a deploy finish on the version that started them, and new runs use the new version', async () => {
  const started = Date.now();
  await startVersion('v1');
  await setCurrent('v1');
  const oldRequests = await Promise.all(Array.from({ length: RUNS_PER_VERSION }, () => registeredRefund(cluster, 740)));
  const oldRuns = await Promise.all(oldRequests.map((request) => cluster.client.startRefund(request)));
  await waitFor(async () => (await countRuns(cluster, WAITING_QUERY)) === RUNS_PER_VERSION, 'the v1 runs waiting for approval', 120_000);

  // The rollout: start the new version beside the old, ramp it, make it current; the old keeps serving its pinned runs.
  await startVersion('v2', require.resolve('./deploy-v2/worker'));
  await setRamping('v2', 25);
  await setCurrent('v2');
  const newRequests = await Promise.all(Array.from({ length: RUNS_PER_VERSION }, () => registeredRefund(cluster, 740)));
  const newRuns = await Promise.all(newRequests.map((request) => cluster.client.startRefund(request)));
  await waitFor(async () => (await countRuns(cluster, WAITING_QUERY)) === 2 * RUNS_PER_VERSION, 'the v2 runs waiting for approval', 120_000);

  const handles = [...oldRuns, ...newRuns].map((run) => cluster.client.temporal.workflow.getHandle(run.workflowId));
  await Promise.all(handles.map((handle) => signalApproval(handle, CAROL)));
  const results = await Promise.all([...oldRuns, ...newRuns].map((run) => cluster.client.refundResult(run.workflowId)));
  const versions = await Promise.all(handles.map(versionOf));
  const [oldVersions, newVersions] = [versions.slice(0, RUNS_PER_VERSION), versions.slice(RUNS_PER_VERSION)];
  const state = await standInsState(cluster.standInsUrl);
  const once = ordersExactlyOnce(state, [...oldRequests, ...newRequests].map((request) => ({ request })));

  // Draining: v1 is neither current nor ramping, and its last pinned run has closed.
  const { namespace } = cluster.settings;
  const v1 = await cluster.client.temporal.workflowService.describeWorkerDeploymentVersion({ namespace, deploymentVersion: { deploymentName: DEPLOYMENT, buildId: 'v1' } });
  const drainage = VersionDrainageStatus[v1.workerDeploymentVersionInfo?.drainageInfo?.status ?? 0];

  const [v1Bundle, v2Bundle, patchedBundle] = await Promise.all([
    bundleWorkflows(),
    bundleWorkflows(require.resolve('./deploy-v2/workflows')),
    bundleWorkflows(require.resolve('./deploy-v2/workflows-patched')),
  ]);
  const oldId = oldRuns[0]!.workflowId;
  const newId = newRuns[0]!.workflowId;
  const replay = {
    v1OnV1: await replays(v1Bundle, oldVersions[0]!.history, oldId),
    v2OnV2: await replays(v2Bundle, newVersions[0]!.history, newId),
    v1OnV2: await replays(v2Bundle, oldVersions[0]!.history, oldId),
    // The same change behind `patched`: what a fix that must reach open runs looks like.
    v1OnV2Patched: await replays(patchedBundle, oldVersions[0]!.history, oldId),
  };
  const summary = (vs: typeof versions) => JSON.stringify(vs.reduce<Record<string, number>>((c, v) => {
    const key = `${v.buildId}${v.pinned ? ' pinned' : ''}${v.v2Memo ? ' v2-memo' : ''} tasks by ${v.completedBy}`;
    return { ...c, [key]: (c[key] ?? 0) + 1 };
  }, {}));
  console.log(
    `versioning: ${RUNS_PER_VERSION} runs started on v1 and left waiting; v2 (changed refund) started, ramped 25%, made current; ${RUNS_PER_VERSION} new runs; all approved. ` +
      `old runs: ${summary(oldVersions)}; new runs: ${summary(newVersions)}; outcomes ${results.filter((r) => r.outcome === 'completed').length}/${results.length} completed; ` +
      `${once}/${results.length} orders each effect once; v1 drainage ${drainage}; replay ${JSON.stringify(replay)}; in ${secondsSince(started)} s`,
  );
  expect(results.map((r) => r.outcome)).toEqual(results.map(() => 'completed'));
  expect(once).toBe(2 * RUNS_PER_VERSION);
  for (const v of oldVersions) expect({ buildId: v.buildId, pinned: v.pinned, v2Memo: v.v2Memo, completedBy: v.completedBy }).toEqual({ buildId: 'v1', pinned: true, v2Memo: false, completedBy: 'v1' });
  for (const v of newVersions) expect({ buildId: v.buildId, pinned: v.pinned, v2Memo: v.v2Memo, completedBy: v.completedBy }).toEqual({ buildId: 'v2', pinned: true, v2Memo: true, completedBy: 'v2' });
  expect(['VERSION_DRAINAGE_STATUS_DRAINING', 'VERSION_DRAINAGE_STATUS_DRAINED']).toContain(drainage);
  expect(replay).toEqual({ v1OnV1: 'replays', v2OnV2: 'replays', v1OnV2: 'determinism-violation', v1OnV2Patched: 'replays' });
}, 600_000);
