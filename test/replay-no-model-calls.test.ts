// Replaying a run never calls a model again: the proposal comes from the recorded activity result
// in history. Guards that against a stand-in model server the replay could reach, so a change
// that made workflow code talk to the model (or replay run activities) would show up as a call.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createChatProposerActivities } from '../activities/llm/chat-proposer';
import { DEFAULT_POLICY_DIR, pinBundle, readPolicyFiles } from '../policies/load';
import { routeModels } from '../policies/routing';
import { readCommittedHistories } from './helpers/histories';
import { startStandin, type Standin } from './helpers/model-faults';
import { refundRequest } from './helpers/refund-fixtures';
import { tracingSinks } from '../runtime/tracing';
import { testDataConverter } from './helpers/payload-keys';
import { bundleWorkflows } from './helpers/temporal';

const PROPOSE_REFUND = 'proposeRefund';

/** The parts of a history event in the JSON export this test reads. */
interface HistoryEventJson {
  eventId: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  activityTaskCompletedEventAttributes?: { scheduledEventId?: string };
}

/** True when the history holds a proposeRefund activity that completed, i.e. a recorded model answer. */
function hasCompletedProposal(events: HistoryEventJson[]): boolean {
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === PROPOSE_REFUND).map((e) => String(e.eventId)),
  );
  return events.some((e) => {
    const completedFor = e.activityTaskCompletedEventAttributes?.scheduledEventId;
    return completedFor !== undefined && scheduled.has(String(completedFor));
  });
}

/** Loaded as test/replay.test.ts does, keeping only runs whose model call completed. */
function historiesWithModelAnswers() {
  return readCommittedHistories()
    .map(({ workflowId, json }) => ({ workflowId, json: json as { events: HistoryEventJson[] } }))
    .filter(({ json }) => hasCompletedProposal(json.events))
    .map(({ workflowId, json }) => ({ workflowId, history: historyFromJSON(json) }));
}

let bundle: WorkflowBundle;
let standin: Standin;
const originalModelUrl = process.env.ARBITER_MODEL_URL;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  [bundle, standin] = await Promise.all([bundleWorkflows(), startStandin()]);
  // Where the shipped models.yaml sends stand-in calls: were replay to call the model, it would land here.
  process.env.ARBITER_MODEL_URL = standin.modelUrl;
});

afterAll(async () => {
  if (originalModelUrl === undefined) delete process.env.ARBITER_MODEL_URL;
  else process.env.ARBITER_MODEL_URL = originalModelUrl;
  await standin?.close();
});

async function modelCallCount(): Promise<number> {
  return (await standin.calls()).length;
}

describe('replay and the model', () => {
  const histories = historiesWithModelAnswers();

  it('has committed histories with a completed proposeRefund to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it('counts a call of the proposer wired as the worker wires it, so the guard below can see one', async () => {
    const before = await modelCallCount();
    // The shipped providers with process.env, as workers/main.ts builds the LLM worker.
    const policy = pinBundle(readPolicyFiles(DEFAULT_POLICY_DIR, 'refund'));
    const { candidates } = routeModels(policy, { region: 'eu', estimatedInputTokens: 500, remainingRunBudgetUsd: policy.policy.budgets.perRunUsd });
    const proposer = createChatProposerActivities({ providers: policy.models.providers });
    const result = await proposer.proposeRefund({ request: refundRequest(), candidates, personalFields: policy.policy.ai.personalFields });
    expect(result.attempts).toEqual([{ modelId: 'standin-eu', outcome: 'ok' }]);
    expect(await modelCallCount()).toBe(before + 1);
  });

  it('replays every history with a model answer without a single call to the model', async () => {
    const before = await modelCallCount();
    const replayed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: testDataConverter(), sinks: tracingSinks() }, histories)) {
      expect(result.error).toBeUndefined();
      replayed.push(result.workflowId);
    }
    expect(replayed.sort()).toEqual(histories.map((h) => h.workflowId).sort());
    expect(await modelCallCount()).toBe(before);
  });
});
