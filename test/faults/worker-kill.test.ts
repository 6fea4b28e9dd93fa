// The worker process SIGKILLed several times at seeded random points while 50 refund sagas run
// (orders that complete, orders the CRM refuses so the saga compensates, orders whose systems
// fail twice first), and restarted each time: every run ends as its order says, and the stand-ins'
// ledger shows each effect exactly once. Real parts throughout: dev server; stand-in systems, stand-in
// model server and workers/main.ts as processes. FAULTS_SEED=<seed> replays a run's choices.
import { readJsonlTrail } from '../../activities/audit/read-trail';
import { verifyTrail } from '../../common/audit-verify';
import { registerRequestOrder } from '../helpers/payments-record';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ArbiterStage } from '../../common/constants';
import { ArbiterClient, type RefundRequest, type RefundResult } from '../../client';
import { readTemporalSettings } from '../../runtime/config';
import { CRM_REJECT_PREFIX } from '../../standins/crm';
import { FLAKY_ORDER_PREFIX } from '../../standins/idempotency';
import { refundRequest } from '../helpers/refund-fixtures';
import { TEST_PAYLOAD_KEYS } from '../helpers/payload-keys';
import { startTestServer, uniqueQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { compensatedEntry, completedEntry, effectCount, standInsState } from './helpers/standins-ledger';
import { seededRandom } from './helpers/seeded-random';
import { awaitLog, boundUrl, Services, workersPolling, type Service } from './helpers/services';

const RUNS = { plain: 30, compensate: 10, flaky: 10 } as const;
type Kind = keyof typeof RUNS;
/** Each run changes the systems four times: reserve, refund, case update and message, or reserve, refund, reverse and release. */
const EFFECTS_PER_RUN = 4;

let env: TestWorkflowEnvironment;
let dataDir: string;
let standInsUrl: string;
let modelUrl: string;
const services = new Services();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'arbiter-faults-worker-kill-'));
  const standIns = services.start('standins', 'standins/main.ts', { ARBITER_SANDBOX_PORT: '0', ARBITER_SANDBOX_STATE: path.join(dataDir, 'standins.json') });
  const models = services.start('models', 'model-server/main.ts', { ARBITER_MODEL_PORT: '0' });
  [env, standInsUrl, modelUrl] = await Promise.all([
    startTestServer(),
    awaitLog(standIns, 'its URL', boundUrl('url')),
    awaitLog(models, 'its URL', boundUrl('baseUrl')),
  ]);
}, 120_000);

afterAll(async () => {
  services.stopAll();
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

function startWorker(taskQueue: string): Service {
  return services.start('worker', 'workers/main.ts', {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    ARBITER_TASK_QUEUE: taskQueue,
    ARBITER_SANDBOX_URL: standInsUrl,
    ARBITER_MODEL_URL: modelUrl,
    ARBITER_DATA_DIR: dataDir,
    ARBITER_AUDIT_FILE: path.join(dataDir, 'audit.jsonl'),
    ARBITER_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
  });
}

/** An order of the kind, at a seeded amount within the 50 EUR auto limit, so no approval is asked for. */
function orderOf(kind: Kind, amount: number): RefundRequest {
  const request = refundRequest();
  const prefix = kind === 'compensate' ? CRM_REJECT_PREFIX : kind === 'flaky' ? FLAKY_ORDER_PREFIX : '';
  return { ...request, order: { ...request.order, id: `${prefix}${request.order.id}`, amount } };
}

/** The promise's value, or after `ms` an error saying what `explain` finds. */
async function withDeadline<T>(promise: Promise<T>, ms: number, explain: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), ms)));
  try {
    const value = await Promise.race([promise, expired]);
    if (value === 'expired') throw new Error(await explain());
    return value;
  } finally {
    clearTimeout(timer);
  }
}

/** A stuck run's status, stage and pending activities with their last failure, from the server alone (no worker needed). */
async function whereItStands(workflowId: string): Promise<string> {
  const description = await env.client.workflow.getHandle(workflowId).describe();
  if (description.status.name !== 'RUNNING') return `${workflowId}: ${description.status.name}`;
  const pending = (description.raw.pendingActivities ?? []).map(
    (a) => `${a.activityType?.name} attempt ${a.attempt} ${a.state ?? ''} ${a.lastFailure?.message ?? ''}`,
  );
  const task = description.raw.pendingWorkflowTask;
  const taskNote = task ? `; workflow task attempt ${task.attempt}` : '';
  return `${workflowId}: stage ${description.typedSearchAttributes.get(ArbiterStage)}${taskNote}; pending: ${pending.join(' | ') || 'none'}`;
}

test('50 refund sagas through 3-5 worker SIGKILLs at random points each reach their outcome, with each effect once on the ledger', async () => {
  const random = seededRandom();
  const taskQueue = uniqueQueue('faults-worker-kill');
  const client = new ArbiterClient(env.client, readTemporalSettings({ TEMPORAL_ADDRESS: env.address, ARBITER_TASK_QUEUE: taskQueue }));
  const kinds = (Object.keys(RUNS) as Kind[]).flatMap((kind) => Array.from({ length: RUNS[kind] }, () => kind));
  const runs = kinds.map((kind) => ({ kind, request: orderOf(kind, random.int(100, 5000) / 100) }));
  // Kill points on the ledger's progress, from before the first effect to near the last, so kills
  // land in the policy and model steps, in the middle of sagas and during compensations.
  const totalEffects = runs.length * EFFECTS_PER_RUN;
  const killAt = Array.from({ length: random.int(3, 5) }, () => ({ effects: random.int(0, totalEffects - 10), delayMs: random.int(0, 1_500) })).sort(
    (a, b) => a.effects - b.effects,
  );
  console.log(`worker-kill: seed ${random.seed} (FAULTS_SEED=${random.seed} replays it); ${runs.length} runs ${JSON.stringify(RUNS)}; kills planned at ledger effects ${killAt.map((k) => k.effects).join(', ')} of ${totalEffects}`);

  await Promise.all(runs.map((run) => registerRequestOrder(standInsUrl, run.request)));
  const started = await Promise.all(runs.map((run) => client.startRefund(run.request)));
  let worker = startWorker(taskQueue);
  const kills: { plannedAt: number; effectsAtKill: number; closedAtKill: number }[] = [];
  for (const point of killAt) {
    await awaitLog(worker, 'that it polls', workersPolling);
    await new Promise((resolve) => setTimeout(resolve, point.delayMs));
    const progressed = await waitFor(
      async () => {
        const effects = effectCount(await standInsState(standInsUrl));
        return effects >= point.effects && effects;
      },
      `the ledger to reach ${point.effects} effects`,
      150_000,
    );
    const { count: closedAtKill } = await env.client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`);
    await services.kill(worker);
    kills.push({ plannedAt: point.effects, effectsAtKill: progressed, closedAtKill });
    worker = startWorker(taskQueue);
  }

  const results: RefundResult[] = await withDeadline(
    Promise.all(started.map((run) => client.refundResult(run.workflowId))),
    150_000,
    async () => `the runs did not all finish after the last restart:\n${(await Promise.all(started.map((run) => whereItStands(run.workflowId)))).join('\n')}\nthe last worker's output ends:\n${worker.output().slice(-3000)}`,
  );
  const final = await standInsState(standInsUrl);
  const auditLines = readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  const auditVersions = auditLines.flatMap((line) => {
    try {
      const { eventId, hash } = JSON.parse(line) as { eventId: string; hash: string };
      return [{ eventId, hash }];
    } catch {
      return []; // a line torn by a kill; the sink rewrites its events
    }
  });
  const auditIds = auditVersions.map((v) => v.eventId);
  const trail = await readJsonlTrail(path.join(dataDir, 'audit.jsonl'));
  const verified = verifyTrail(trail.events, trail.unreadable, { checkReceipt: () => 'invalid' });

  const outcomes = results.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.outcome]: (counts[r.outcome] ?? 0) + 1 }), {});
  console.log(
    `worker-kill: ${kills.length} SIGKILLs, each followed by a new worker: ` +
      kills.map((k) => `at ${k.effectsAtKill} effects (planned ${k.plannedAt}), ${k.closedAtKill}/${runs.length} runs closed`).join('; ') +
      `; outcomes ${JSON.stringify(outcomes)}; ledger: ${final.ledger.length} orders, ${effectCount(final)} effects (expected ${totalEffects}); ` +
      `audit trail: ${auditIds.length} events, ${new Set(auditIds).size} distinct ids, ${auditLines.length - auditIds.length} torn line(s), ` +
      `${verified.runs.filter((r) => !r.finding).length}/${verified.runs.length} chains verified`,
  );

  expect(results.map((r) => r.outcome)).toEqual(runs.map((run) => (run.kind === 'compensate' ? 'compensated' : 'completed')));
  for (const [index, { kind, request }] of runs.entries()) {
    const orderId = request.order.id;
    const entry = final.ledger.find((e) => e.orderId === orderId);
    if (kind === 'compensate') {
      expect(entry).toEqual(compensatedEntry(orderId));
      expect(results[index]?.failure?.step).toBe('update-crm-case');
    } else {
      expect(entry).toEqual(completedEntry(orderId, request.order.amount));
      // The run and the systems agree on which refund and which message are the one.
      expect(results[index]).toMatchObject({
        refundId: final.refunds.find((r) => r.orderId === orderId)?.refundId,
        messageId: final.messages.find((m) => m.orderId === orderId)?.messageId,
      });
    }
  }
  expect(effectCount(final)).toBe(totalEffects);
  // A restarted worker reads the file before it appends: a version of an event the dead worker
  // wrote is not written again. A workflow task retried after a kill records its events again at
  // a later time, so a second version of an id, with its own hash, is expected; the chain follows
  // the version the run's history holds.
  expect(new Set(auditVersions.map((v) => `${v.eventId} ${v.hash}`)).size).toBe(auditVersions.length);
  expect(verified.findings).toEqual([]);
  expect(verified.runs.filter((r) => r.finding || !r.finished).map((r) => `${r.runKey}: ${r.finding?.kind ?? 'open'} ${r.finding?.detail ?? ''}`)).toEqual([]);
  expect(verified.runs.filter((r) => r.source === 'workflow')).toHaveLength(runs.length);
}, 600_000);
