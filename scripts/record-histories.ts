// `npm run record-histories`: runs each process's scenarios on a fresh dev server and writes
// their event histories to test/histories/, which the replay test runs on every change.
// Re-record after an intended change to a workflow, and say so in the commit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createIntegrationActivities } from '../activities';
import { integrationsTaskQueue } from '../common/constants';
import { refundWorkflowId } from '../common/refund-schemas';
import { createSandboxServer } from '../sandbox/server';
import { createLogger } from '../runtime/logger';
import { findTemporalCli, REPO_ROOT } from '../runtime/temporal-cli';
import { recordingSystems } from '../test/helpers/recording-systems';
import { refundRequest } from '../test/helpers/refund-fixtures';
import { bundleWorkflows, startTestServer } from '../test/helpers/temporal';
import { waitFor } from '../test/helpers/wait';
import { resolveCompensationSignal, stepLogQuery } from '../workflows/refund';
import type { IntegrationActivities } from '../activities';

const HISTORIES = path.join(REPO_ROOT, 'test', 'histories');

interface Scenario {
  file: string;
  activities: () => IntegrationActivities;
  /** Drives the run after start (signals, cancel) and waits for it to close. */
  drive: (handle: WorkflowHandle) => Promise<unknown>;
  orderId?: string;
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'arbiter-record-'));
  const sandbox = createSandboxServer({ statePath: path.join(stateDir, 'sandbox.json'), logger: createLogger('sandbox', { level: 'silent' }) });
  const sandboxUrl = `http://127.0.0.1:${await sandbox.listen(0)}`;
  const viaSandbox = () => createIntegrationActivities({ paymentsUrl: sandboxUrl, crmUrl: sandboxUrl, notificationsUrl: sandboxUrl });
  const [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
  const cli = findTemporalCli();

  const scenarios: Scenario[] = [
    { file: 'refund-completed.json', activities: viaSandbox, drive: (h) => h.result() },
    { file: 'refund-compensated.json', activities: viaSandbox, drive: (h) => h.result(), orderId: 'FAIL-CRM-recorded' },
    {
      file: 'refund-cancelled.json',
      activities: () => recordingSystems({ hangingActivity: 'updateCrmCase' }).activities,
      drive: async (h) => {
        await waitFor(async () => (await h.query(stepLogQuery)).length >= 2, 'two finished steps');
        await new Promise((resolve) => setTimeout(resolve, 500));
        await h.cancel();
        return h.result().catch(() => undefined);
      },
    },
    {
      file: 'refund-compensation-resolved.json',
      activities: () => recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { releaseFunds: 1, reverseRefund: 99 } }).activities,
      drive: async (h) => {
        await waitFor(async () => (await h.query(stepLogQuery)).some((e) => e.step === 'issue-refund' && e.status === 'stuck'), 'stuck');
        await h.signal(resolveCompensationSignal, { step: 'issue-refund', action: 'mark-resolved', operator: 'ops', reason: 'done by hand' });
        await waitFor(async () => (await h.query(stepLogQuery)).some((e) => e.step === 'reserve-funds' && e.status === 'stuck'), 'stuck');
        await h.signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'retry', operator: 'ops' });
        return h.result();
      },
    },
  ];

  try {
    mkdirSync(HISTORIES, { recursive: true });
    for (const [i, scenario] of scenarios.entries()) {
      const taskQueue = `record-${i}`;
      const workflowWorker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
      const activityWorker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: integrationsTaskQueue(taskQueue),
        activities: scenario.activities(),
      });
      const request = refundRequest();
      if (scenario.orderId) request.order.id = scenario.orderId;
      const workflowId = refundWorkflowId(`recorded-${scenario.file.replace('.json', '')}`);
      await workflowWorker.runUntil(
        activityWorker.runUntil(async () => {
          const handle = await env.client.workflow.start('refund', { taskQueue, workflowId, args: [request] });
          await scenario.drive(handle);
        }),
      );
      // The CLI's JSON is the standard export format, the one the Web UI downloads too.
      const json = execFileSync(cli, ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, '--output', 'json'], {
        encoding: 'utf8',
      });
      writeFileSync(path.join(HISTORIES, scenario.file), json.endsWith('\n') ? json : `${json}\n`);
      const events = (JSON.parse(json) as { events: unknown[] }).events.length;
      console.log(`recorded ${scenario.file} (${events} events)`);
    }
  } finally {
    await env.teardown();
    await sandbox.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
