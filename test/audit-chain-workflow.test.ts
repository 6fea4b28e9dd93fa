// The audit chain as a real refund run computes it: a workflow on a real Temporal dev server
// writes its trail to a JSONL file through the audit activity, and `arbiter audit verify` checks
// that file against the head the run's result carries.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { GENESIS_HASH } from '../common/audit-chain';
import type { AuditEvent } from '../common/audit-schemas';
import type { RefundResult } from '../common/refund-schemas';
import { approvalQuery, decideUpdate } from '../workflows/refund';
import { arbiter } from './helpers/audit-trails';
import { order, withRefundRun } from './helpers/http-approvals';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { readJsonlTrail } from '../activities/audit/read-trail';
import { verifyTrail } from '../common/audit-verify';
import { refund } from '../workflows/refund';
import { signalSignedDecision } from './helpers/decision-key';
import { recordingSystems } from './helpers/recording-systems';
import { uniqueQueue } from './helpers/temporal';
import { withArbiterWorkers } from './helpers/workers';
import { signedFor } from './helpers/decision-key';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'arbiter-audit-chain-'));
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** A 740 EUR refund requested by alice and approved by carol (support-lead) with a signed decision, its trail in `auditPath`. */
async function approvedRefund(auditPath: string): Promise<{ workflowId: string; result: RefundResult }> {
  return withRefundRun(
    env,
    bundle,
    order(740),
    async (handle) => {
      const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
      await handle.executeUpdate(decideUpdate, { args: [await signedFor(handle, { decision: 'approve', approver: { id: 'carol', roles: ['support-lead'] }, cardHash: view.cardHash })] });
      return { workflowId: handle.workflowId, result: await handle.result() };
    },
    { auditPath },
  );
}

const readEvents = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as AuditEvent);

test('a completed refund writes a chain that verify accepts against the head in its result', async () => {
  const auditPath = path.join(dir, 'approved.jsonl');
  const { workflowId, result } = await approvedRefund(auditPath);
  expect(result.outcome).toBe('completed');

  const events = readEvents(auditPath);
  expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['run.started', 'approval.requested', 'approval.approved', 'run.finished']));
  // Written in batches by a local activity, yet linked one to the next in sequence order.
  events.forEach((event, index) => {
    expect(event.eventId).toBe(`${event.workflowId}/${event.runId}/${index + 1}`);
    expect(event.prevHash).toBe(index === 0 ? GENESIS_HASH : events[index - 1]!.hash);
  });
  expect(result.auditHead).toBe(events.at(-1)!.hash);

  const { code, out, err } = await arbiter(['audit', 'verify', '--file', auditPath, '--run', workflowId, '--head', result.auditHead!]);
  expect(err).toEqual([]);
  expect(code).toBe(0);
  expect(out).toEqual([
    `ok    ${workflowId}/${events[0]!.runId}: ${events.length} event(s) chained, finished, 1 receipt(s) valid, head ${result.auditHead}`,
    'audit trail: 1 chain(s), 1 intact, 0 tampered',
  ]);
});

test("verify names the approval when a real run's trail is edited to show another approver", async () => {
  const auditPath = path.join(dir, 'edited.jsonl');
  const { workflowId } = await approvedRefund(auditPath);
  const events = readEvents(auditPath);
  const approval = events.find((event) => event.type === 'approval.approved')!;
  writeFileSync(
    auditPath,
    events.map((event) => JSON.stringify(event === approval ? { ...event, actor: { kind: 'human', id: 'mallory' } } : event)).join('\n') + '\n',
  );

  const { code, err } = await arbiter(['audit', 'verify', '--file', auditPath, '--run', workflowId]);
  expect(code).toBe(1);
  expect(err[0]).toBe(`FAIL  ${workflowId}/${approval.runId}: edited ${approval.eventId}: its content no longer matches its hash (line ${events.indexOf(approval) + 1})`);
});

it('stays whole across a worker restart while runs wait, however their time ran before the restart', async () => {
  // A new worker replays each run, and its copies of the events written before the restart can
  // come out otherwise than the originals (an event's time after a local activity in a busy first
  // workflow task): events after the restart must link to the ones written. Five runs at once
  // keep the first workflow tasks busy enough that some do, on this machine most times.
  const auditPath = path.join(dir, 'restart.jsonl');
  const systems = recordingSystems();
  const taskQueue = uniqueQueue('audit-restart');
  const requests = Array.from({ length: 5 }, () => order(3000));
  const handles = requests.map((r) => env.client.workflow.getHandle<typeof refund>(`refund-${r.requestId}`));
  const fin = (id: string) => ({ id, roles: ['finance'] });
  await withArbiterWorkers(env, bundle, { integrations: systems.activities, taskQueue, auditPath }, async () => {
    await Promise.all(requests.map((r, i) => env.client.workflow.start(refund, { taskQueue, workflowId: handles[i]!.workflowId, args: [r] })));
    for (const handle of handles) {
      const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
      await signalSignedDecision(handle, { decision: 'approve', approver: fin('fin-1'), cardHash: view.cardHash });
      await waitFor(async () => (await handle.query(approvalQuery))?.decisions.length === 1, 'the first decision');
    }
  });
  const results = await withArbiterWorkers(env, bundle, { integrations: systems.activities, taskQueue, auditPath }, async () =>
    Promise.all(
      handles.map(async (handle) => {
        const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'the card, on the new worker');
        await signalSignedDecision(handle, { decision: 'approve', approver: fin('fin-2'), cardHash: view.cardHash });
        return handle.result();
      }),
    ),
  );
  expect(results.map((r) => r.outcome)).toEqual(requests.map(() => 'completed'));
  const trail = await readJsonlTrail(auditPath);
  const report = verifyTrail(trail.events, trail.unreadable, { checkReceipt: () => 'valid' });
  expect(report.runs.map((r) => r.finding)).toEqual(requests.map(() => undefined));
  expect(report.runs.every((r) => r.finished)).toBe(true);
});
