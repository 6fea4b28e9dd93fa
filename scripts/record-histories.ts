// `npm run record-histories`: runs each process's scenarios on a fresh dev server and writes
// their event histories to test/histories/, which the replay test runs on every change.
// Re-record after an intended change to a workflow, and say so in the commit.
// The test harness's client and workers encrypt payloads with the committed test key
// (test/fixtures/payload-test-key), so the recorded histories hold ciphertext as production's do,
// and the replay test decodes them with that key. Decisions and proposals are signed with the
// committed test signing key (test/fixtures/decision-test-key), which the workers trust.
import '../test/helpers/decision-key-env';
// Recorded from the workflows as they are now, never from a bundle a test run left behind.
delete process.env.ARBITER_TEST_WORKFLOW_BUNDLE;
import { registerOrderOf, registeringOrders } from '../test/helpers/payments-record';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { createIntegrationActivities } from '../activities';
import { ArbiterStage } from '../common/constants';
import type { CreditLimitRequest } from '../common/credit-limit-schemas';
import type { PriceChangeRequest } from '../common/price-change-schemas';
import type { RefundRequest } from '../common/refund-schemas';
import { createStandInServer } from '../standins/server';
import { createLogger } from '../runtime/logger';
import { findTemporalCli, REPO_ROOT } from '../runtime/temporal-cli';
import { signalSignedDecision, signalSignedProposal } from '../test/helpers/decision-key';
import { recordingSystems } from '../test/helpers/recording-systems';
import { creditCase, registeringCreditCustomers } from '../test/helpers/credit-fixtures';
import { priceChangeRequest } from '../test/helpers/price-fixtures';
import { refundRequest } from '../test/helpers/refund-fixtures';
import { bundleWorkflows, startTestServer } from '../test/helpers/temporal';
import { waitFor } from '../test/helpers/wait';
import { withArbiterWorkers } from '../test/helpers/workers';
import { approvalQuery, resolveCompensationSignal, setAiEnabledSignal, stepLogQuery } from '../workflows/refund';
import type { IntegrationActivities, ProposerActivities } from '../activities';
import { Context } from '@temporalio/activity';
import { creditLimitProcess, priceChangeProcess, refundProcess, type ProcessDescriptor } from '../processes';

const HISTORIES = path.join(REPO_ROOT, 'test', 'histories');

interface Scenario {
  file: string;
  /** Defaults to the refund; the workflow type comes from the process's descriptor. */
  process?: ProcessDescriptor;
  integrations: () => IntegrationActivities;
  request: () => RefundRequest | PriceChangeRequest | CreditLimitRequest;
  proposer?: Partial<ProposerActivities>;
  /** Drives the run after start (signals, cancel) and waits for it to close. */
  drive: (handle: WorkflowHandle) => Promise<unknown>;
}

const carol = { id: 'carol', roles: ['support-lead'] };

/** A model call that never answers, so the kill switch can be recorded mid-call. */
const hangingModel: Partial<ProposerActivities> = {
  async proposeRefund() {
    for (;;) {
      Context.current().heartbeat();
      await Context.current().sleep(50);
    }
  },
};

/** Decides on the card as it is now, as an approver would. */
async function decide(handle: WorkflowHandle, decision: 'approve' | 'reject', approver: { id: string; roles: string[] }, comment?: string) {
  const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
  await signalSignedDecision(handle, { decision, approver, comment, cardHash: view.cardHash });
}

async function waitForStage(handle: WorkflowHandle, stage: string): Promise<void> {
  await waitFor(async () => (await handle.describe()).typedSearchAttributes.get(ArbiterStage) === stage, `stage ${stage}`);
}

function withOrder(amount: number, orderId?: string, message?: string): () => RefundRequest {
  return () => {
    const request = refundRequest({ requestedBy: 'alice', ...(message ? { message } : {}) });
    request.order.amount = amount;
    if (orderId) request.order.id = orderId;
    // Payments knows the order as the request describes it.
    registerOrderOf(request);
    return request;
  };
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

  const scenarios: Scenario[] = [
    { file: 'refund-completed.json', integrations: viaStandIns, request: withOrder(40), drive: (h) => h.result() },
    { file: 'refund-compensated.json', integrations: viaStandIns, request: withOrder(30, 'FAIL-CRM-recorded'), drive: (h) => h.result() },
    { file: 'refund-denied.json', integrations: viaStandIns, request: withOrder(6000), drive: (h) => h.result() },
    {
      file: 'refund-approved.json',
      integrations: viaStandIns,
      request: withOrder(740),
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'alice', roles: ['support-lead'] });
        await decide(h, 'approve', carol);
        return h.result();
      },
    },
    {
      file: 'refund-kill-switch-rejected.json',
      integrations: viaStandIns,
      request: withOrder(300),
      proposer: hangingModel,
      drive: async (h) => {
        await waitForStage(h, 'proposing');
        await new Promise((resolve) => setTimeout(resolve, 500));
        await h.signal(setAiEnabledSignal, { enabled: false, operator: 'ops', reason: 'recorded kill switch' });
        await waitForStage(h, 'awaiting-proposal');
        await signalSignedProposal(h, {
          submittedBy: 'dan', roles: ['support-agent'],
          proposal: { action: 'refund', amount: 300, currency: 'EUR', category: 'damaged', confidence: 1, rationale: 'seen the photo' },
        });
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'reject', carol, 'recorded rejection');
        return h.result();
      },
    },
    {
      file: 'refund-cancelled.json',
      integrations: () => recordingSystems({ hangingActivity: 'updateCrmCase' }).activities,
      request: withOrder(40),
      drive: async (h) => {
        await waitFor(async () => (await h.query(stepLogQuery)).length >= 2, 'two finished steps');
        await new Promise((resolve) => setTimeout(resolve, 500));
        await h.cancel();
        return h.result().catch(() => undefined);
      },
    },
    {
      file: 'refund-compensation-resolved.json',
      integrations: () =>
        recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { releaseFunds: 1, reverseRefund: 99 } }).activities,
      request: withOrder(40),
      drive: async (h) => {
        await waitFor(async () => (await h.query(stepLogQuery)).some((e) => e.step === 'issue-refund' && e.status === 'stuck'), 'stuck');
        await h.signal(resolveCompensationSignal, { step: 'issue-refund', action: 'mark-resolved', operator: 'ops', reason: 'done by hand' });
        await waitFor(async () => (await h.query(stepLogQuery)).some((e) => e.step === 'reserve-funds' && e.status === 'stuck'), 'stuck');
        await h.signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'retry', operator: 'ops' });
        return h.result();
      },
    },
    {
      file: 'price-change-completed.json',
      process: priceChangeProcess,
      integrations: viaStandIns,
      request: () => priceChangeRequest('Spring promo on these lines', ['SKU-REC-A', 'SKU-REC-B']),
      drive: (h) => h.result(),
    },
    {
      file: 'price-change-approved.json',
      process: priceChangeProcess,
      integrations: viaStandIns,
      request: () => priceChangeRequest('Clearance of winter stock', ['SKU-REC-C']),
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'pm-1', roles: ['pricing-manager'] });
        return h.result();
      },
    },
    {
      file: 'price-change-compensated.json',
      process: priceChangeProcess,
      integrations: viaStandIns,
      request: () => priceChangeRequest('Spring promo on these lines', ['SKU-REC-D', 'FAIL-CHANNEL-REC-E']),
      drive: (h) => h.result(),
    },
    {
      file: 'credit-limit-approved.json',
      process: creditLimitProcess,
      integrations: () => registeringCreditCustomers(viaStandIns(), standInsUrl),
      request: () => creditCase(30_000).request,
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'cm-ines', roles: ['credit-manager'] });
        return h.result();
      },
    },
    {
      file: 'credit-limit-compensated.json',
      process: creditLimitProcess,
      integrations: () => recordingSystems({ failingActivity: 'notifyAccountManager' }).activities,
      request: () => creditCase(21_000).request,
      drive: (h) => h.result(),
    },
  ];
  // `npm run record-histories -- <file>...` records only those, leaving the other histories as committed.
  const only = process.argv.slice(2);
  const recording = only.length ? scenarios.filter((s) => only.includes(s.file)) : scenarios;

  try {
    mkdirSync(HISTORIES, { recursive: true });
    for (const scenario of recording) {
      // The file is named after the workflow id: replay must run with the id the run had, since
      // workflow code may use it (idempotency keys, card hashes).
      const workflowId = scenario.file.replace(/\.json$/, '');
      await withArbiterWorkers(env, bundle, { integrations: scenario.integrations(), proposer: scenario.proposer }, async (taskQueue) => {
        const handle = await env.client.workflow.start((scenario.process ?? refundProcess).workflowType, { taskQueue, workflowId, args: [scenario.request()] });
        await scenario.drive(handle);
      });
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
    await standIns.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
