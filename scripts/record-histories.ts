// `npm run record-histories`: runs each process's scenarios (scripts/histories/<process name>.ts) on a
// fresh dev server and writes their event histories to test/histories/, which the replay test runs
// on every change.
// Re-record after an intended change to a workflow, and say so in the commit.
// The test harness's client and workers encrypt payloads with the committed test key
// (test/fixtures/payload-test-key), so the recorded histories hold ciphertext as production's do,
// and the replay test decodes them with that key. Decisions and proposals are signed with the
// committed test signing key (test/fixtures/decision-test-key), which the workers trust.
import '../test/helpers/decision-key-env';
// Recorded from the workflows as they are now, never from a bundle a test run left behind.
delete process.env.ARBITER_TEST_WORKFLOW_BUNDLE;
import { registeringOrders } from '../test/helpers/payments-record';
import { execFileSync } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createIntegrationActivities } from '../activities';
import { createStandInServer } from '../standins/server';
import { createLogger } from '../runtime/logger';
import { findTemporalCli, REPO_ROOT } from '../runtime/temporal-cli';
import { runsOf } from '../test/helpers/runs';
import { bundleWorkflows, startTestServer } from '../test/helpers/temporal';
import { withArbiterWorkers } from '../test/helpers/workers';
import { PROCESSES, type ProcessDescriptor } from '../processes';
import type { HistoryScenario, HistoryScenarios, RecordingContext } from './histories/scenario';

const HISTORIES = path.join(REPO_ROOT, 'test', 'histories');

/** Each process's scenarios, from `scripts/histories/<process name>.ts`: a process without them is an error, as in the replay test. */
async function scenariosOf(process: ProcessDescriptor, context: RecordingContext): Promise<HistoryScenario[]> {
  const file = path.join(__dirname, 'histories', `${process.name}.ts`);
  if (!existsSync(file)) throw new Error(`no history scenarios for process ${process.name}: add scripts/histories/${process.name}.ts`);
  return ((await import(file)) as HistoryScenarios).historyScenarios(context);
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'arbiter-record-'));
  const standIns = createStandInServer({ statePath: path.join(stateDir, 'standins.json'), logger: createLogger('standins', { level: 'silent' }) });
  const standInsUrl = `http://127.0.0.1:${await standIns.listen(0)}`;
  const viaStandIns = () =>
    registeringOrders(
      createIntegrationActivities({ paymentsUrl: standInsUrl, crmUrl: standInsUrl, notificationsUrl: standInsUrl, catalogUrl: standInsUrl, channelsUrl: standInsUrl, erpUrl: standInsUrl }),
      standInsUrl,
    );
  const [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  const cli = findTemporalCli();

  const scenarios = (
    await Promise.all(PROCESSES.map(async (process) => (await scenariosOf(process, { standInsUrl, viaStandIns })).map((scenario) => ({ process, ...scenario }))))
  ).flat();
  // `npm run record-histories -- <file>...` records only those, leaving the other histories as committed.
  const only = process.argv.slice(2);
  const recording = only.length ? scenarios.filter((s) => only.includes(s.file)) : scenarios;

  try {
    mkdirSync(HISTORIES, { recursive: true });
    for (const scenario of recording) {
      // The file is named after the workflow id: replay must run with the id the run had, since
      // workflow code may use it (idempotency keys, card hashes).
      const workflowId = scenario.file.replace(/\.json$/, '');
      await withArbiterWorkers(env, bundle, { integrations: scenario.integrations(), proposer: scenario.proposer, policyDir: scenario.policyDir?.() }, async (taskQueue) => {
        const handle = await env.client.workflow.start(scenario.process.workflowType, { taskQueue, workflowId, args: [scenario.request()] });
        await scenario.drive(handle);
      });
      const runs = scenario.everyRun ? await runIdsOf(env.client, workflowId) : [undefined];
      for (const [i, runId] of runs.entries()) {
        // The CLI's JSON is the standard export format, the one the Web UI downloads too.
        const json = execFileSync(cli, ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json'], {
          encoding: 'utf8',
        });
        const file = runId ? scenario.file.replace(/\.json$/, `.run${i + 1}.json`) : scenario.file;
        writeFileSync(path.join(HISTORIES, file), json.endsWith('\n') ? json : `${json}\n`);
        const events = (JSON.parse(json) as { events: unknown[] }).events.length;
        console.log(`recorded ${file} (${events} events)`);
      }
    }
  } finally {
    await env.teardown();
    await standIns.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Every run of a workflow that continued as new, first to last. */
async function runIdsOf(client: Client, workflowId: string): Promise<string[]> {
  return (await runsOf(client, workflowId)).map((run) => run.runId);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
