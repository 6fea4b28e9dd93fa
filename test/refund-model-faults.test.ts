// Model faults through the whole refund run: a real dev server and worker, the real chat proposer
// and openai client, real HTTP to the stand-in model server with a fault queued. Each test checks
// how the run ends (an AI proposal, or a person on the manual path) and the failover order the
// decision trace records.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { ArbiterStage } from '../common/constants';
import type { RefundProposal } from '../common/refund-schemas';
import type { FaultName } from '../model-server/faults';
import type { ModelCallRecord } from '../workflows/trace';
import { approvalQuery, explainQuery, refund } from '../workflows/refund';
import { BACKUP, chatProposerFor, policiesWithBackupModel, PRIMARY, startStandin, type Standin } from './helpers/model-faults';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { singleCallPolicies } from './helpers/policies';
import { withArbiterWorkers } from './helpers/workers';
import { signalSignedDecision, signalSignedProposal } from './helpers/decision-key';

/**
 * Long enough that a 100 ms `slow` answer never races it on a loaded machine, short enough that
 * the three tries of a `timeout` fault stay a few seconds.
 */
const REQUEST_TIMEOUT_MS = 1_000;
const SLOW_WITHIN_TIMEOUT_MS = 100;
const SLOW_BEYOND_TIMEOUT_MS = 10_000;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let standin: Standin;
let policyDir: string;

beforeAll(async () => {
  [env, bundle, standin] = await Promise.all([startTestServer(), bundleWorkflows(), startStandin()]);
  // The one-call agent's failover; agent turns run through the same chat proposer and its failover.
  policyDir = singleCallPolicies(policiesWithBackupModel());
});

afterAll(async () => {
  await standin?.close();
  await env?.teardown();
});

beforeEach(() => standin.reset());

type RefundHandle = WorkflowHandle<typeof refund>;

/** Starts a 40 EUR refund for an EU customer, small enough that an AI proposal completes it on its own. */
async function withRefundRun<T>(drive: (handle: RefundHandle) => Promise<T>): Promise<T> {
  const request = refundRequest({ requestedBy: 'alice' });
  const proposer = chatProposerFor(standin.modelUrl, { requestTimeoutMs: REQUEST_TIMEOUT_MS, maxRetryAfterMs: 2_000 });
  return withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, policyDir, proposer }, async (taskQueue) => {
    const handle = await env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
    return drive(handle);
  });
}

/** Runs to the end and returns the result with the run's single proposal call from the trace. */
async function finishedRun(handle: RefundHandle) {
  const result = await handle.result();
  const explanation = await handle.query(explainQuery);
  // The reply draft is a second call; the faults under test are about the proposal.
  const proposalCalls = explanation.modelCalls.filter((call) => call.purpose === 'proposal');
  expect(proposalCalls).toHaveLength(1);
  return { result, explanation, modelCall: proposalCalls[0]! };
}

/** The run's single model call once it has given up and shows a person the manual proposal card. */
async function onHumanPath(handle: RefundHandle) {
  await waitFor(async () => (await handle.describe()).typedSearchAttributes.get(ArbiterStage) === 'awaiting-proposal', 'the manual proposal stage');
  const card = await handle.query(approvalQuery);
  const explanation = await handle.query(explainQuery);
  expect(card?.card.kind).toBe('proposal');
  // Waiting for a person, not failed: a model outage must never fail the run.
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect(explanation.modelCalls.map((call) => call.purpose)).toEqual(['proposal']);
  expect(explanation.proposals).toEqual([]);
  return { explanation, modelCall: explanation.modelCalls[0]! };
}

function attemptsOf(call: ModelCallRecord): [string, string][] {
  return call.attempts.map((a) => [a.modelId, a.outcome]);
}

/** What the stand-in saw, per call: which model, which fault it applied, and whether it was the repair. */
async function serverLog(): Promise<[string, FaultName | 'ok', boolean][]> {
  return (await standin.calls()).map((c) => [c.model, c.fault, c.repair]);
}

function expectAiProposalFrom(explanation: { proposals: { source: string; model?: string }[] }, model: typeof PRIMARY | typeof BACKUP) {
  expect(explanation.proposals).toEqual([expect.objectContaining({ source: 'ai', model: `${model.modelId} (${model.model})` })]);
}

/** A completed refund's last call: the customer reply, drafted by the first model that answers. */
const REPLY_DRAFT: [string, 'ok', boolean] = [PRIMARY.model, 'ok', false];

const ROUTE = `cheapest-adequate: ${PRIMARY.modelId} > ${BACKUP.modelId}`;

describe('refund run under model faults', () => {
  it('routes to the primary model first and the backup second, with the non-EU model excluded', async () => {
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result).toMatchObject({ outcome: 'completed', amount: 40 });
    expect(modelCall).toMatchObject({ route: ROUTE, excluded: [{ modelId: 'gpt-4o-mini', reason: 'not available in region eu' }] });
    expect(attemptsOf(modelCall)).toEqual([[PRIMARY.modelId, 'ok']]);
    expectAiProposalFrom(explanation, PRIMARY);
  });

  it('waits as Retry-After says after a 429, then completes on the same model', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'rate-limit', retryAfterSeconds: 1 });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(attemptsOf(modelCall)).toEqual([
      [PRIMARY.modelId, 'rate-limited, waited 1000 ms'],
      [PRIMARY.modelId, 'ok'],
    ]);
    expectAiProposalFrom(explanation, PRIMARY);
    expect(await serverLog()).toEqual([
      [PRIMARY.model, 'rate-limit', false],
      [PRIMARY.model, 'ok', false],
      REPLY_DRAFT,
    ]);
  });

  it('retries a model that keeps answering 500, then completes on the backup model', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'server-error', times: -1 });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(attemptsOf(modelCall)).toEqual([
      [PRIMARY.modelId, 'server error 500'],
      [PRIMARY.modelId, 'server error 500'],
      [PRIMARY.modelId, 'server error 500'],
      [BACKUP.modelId, 'ok'],
    ]);
    expectAiProposalFrom(explanation, BACKUP);
  });

  it('gives up on a model that never answers within the request timeout and completes on the backup', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'timeout', times: -1 });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(attemptsOf(modelCall)).toEqual([
      [PRIMARY.modelId, 'timeout'],
      [PRIMARY.modelId, 'timeout'],
      [PRIMARY.modelId, 'timeout'],
      [BACKUP.modelId, 'ok'],
    ]);
    expectAiProposalFrom(explanation, BACKUP);
  });

  it('retries a response slower than the request timeout on the same model, which then answers', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'slow', delayMs: SLOW_BEYOND_TIMEOUT_MS });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(attemptsOf(modelCall)).toEqual([
      [PRIMARY.modelId, 'timeout'],
      [PRIMARY.modelId, 'ok'],
    ]);
    expectAiProposalFrom(explanation, PRIMARY);
  });

  it('accepts a slow answer that arrives within the request timeout', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'slow', delayMs: SLOW_WITHIN_TIMEOUT_MS });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(attemptsOf(modelCall)).toEqual([[PRIMARY.modelId, 'ok']]);
    expectAiProposalFrom(explanation, PRIMARY);
    expect(await serverLog()).toEqual([[PRIMARY.model, 'slow', false], REPLY_DRAFT]);
  });

  it('repairs malformed JSON once on the same model and completes with the repaired proposal', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'malformed-json' });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result).toMatchObject({ outcome: 'completed', amount: 40 });
    expect(attemptsOf(modelCall)).toEqual([
      [PRIMARY.modelId, 'invalid output (not a JSON object)'],
      [PRIMARY.modelId, 'ok (repaired)'],
    ]);
    expectAiProposalFrom(explanation, PRIMARY);
    expect(await serverLog()).toEqual([
      [PRIMARY.model, 'malformed-json', false],
      [PRIMARY.model, 'ok', true],
      REPLY_DRAFT,
    ]);
  });

  it('repairs a wrong-schema answer on the same model when the repair comes back valid', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'wrong-schema' });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(modelCall.attempts.map((a) => a.modelId)).toEqual([PRIMARY.modelId, PRIMARY.modelId]);
    expect(modelCall.attempts[0]?.outcome).toMatch(/^invalid output \(.*action/);
    expect(modelCall.attempts[1]?.outcome).toBe('ok (repaired)');
    expectAiProposalFrom(explanation, PRIMARY);
  });

  it('moves to the backup model when the answer has the wrong schema even after the repair', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'wrong-schema', times: 2 });
    const { result, explanation, modelCall } = await withRefundRun(finishedRun);
    expect(result.outcome).toBe('completed');
    expect(modelCall.attempts.map((a) => a.modelId)).toEqual([PRIMARY.modelId, PRIMARY.modelId, BACKUP.modelId]);
    expect(modelCall.attempts[0]?.outcome).toMatch(/^invalid output \(/);
    expect(modelCall.attempts[1]?.outcome).toMatch(/^invalid output after repair \(/);
    expect(modelCall.attempts[2]?.outcome).toBe('ok');
    expectAiProposalFrom(explanation, BACKUP);
    expect(await serverLog()).toEqual([
      [PRIMARY.model, 'wrong-schema', false],
      [PRIMARY.model, 'wrong-schema', true],
      [BACKUP.model, 'ok', false],
      REPLY_DRAFT,
    ]);
  });

  it('takes the human path when every model answers 500, and completes on a person\'s proposal', async () => {
    await standin.injectFault({ fault: 'server-error', times: -1 });
    const personsProposal: RefundProposal = {
      action: 'refund',
      amount: 35,
      currency: 'EUR',
      category: 'damaged',
      confidence: 1,
      rationale: 'photo shows the damage',
    };
    const { waiting, result, explanation } = await withRefundRun(async (handle) => {
      const waiting = await onHumanPath(handle);
      await signalSignedProposal(handle, { submittedBy: 'agent-dan', roles: ['support-agent'], proposal: personsProposal });
      // A person's proposal is reviewed by another: policy knows agent-dan as no agent of its own.
      const review = await waitFor(async () => {
        const view = await handle.query(approvalQuery);
        return view?.card.kind === 'approval' ? view : undefined;
      }, 'the review card');
      await signalSignedDecision(handle, { decision: 'approve', approver: { id: 'carol', roles: ['support-lead'] }, cardHash: review.cardHash });
      return { waiting, result: await handle.result(), explanation: await handle.query(explainQuery) };
    });
    expect(attemptsOf(waiting.modelCall)).toEqual([
      [PRIMARY.modelId, 'server error 500'],
      [PRIMARY.modelId, 'server error 500'],
      [PRIMARY.modelId, 'server error 500'],
      [BACKUP.modelId, 'server error 500'],
      [BACKUP.modelId, 'server error 500'],
      [BACKUP.modelId, 'server error 500'],
    ]);
    expect(waiting.explanation.notes.map((n) => n.text)).toEqual([
      `no AI proposal (no model could propose: ${PRIMARY.modelId}: server error 500; ${BACKUP.modelId}: server error 500): a person supplies the proposal`,
    ]);
    expect(result).toMatchObject({ outcome: 'completed', amount: 35 });
    expect(explanation.proposals).toEqual([expect.objectContaining({ source: 'human', by: 'agent-dan', proposal: personsProposal })]);
  });

  it('takes the human path when each model fails its own way, and ends cleanly when the run is cancelled', async () => {
    await standin.injectFault({ model: PRIMARY.model, fault: 'not-found' });
    await standin.injectFault({ model: BACKUP.model, fault: 'malformed-json', times: 2 });
    const { waiting, failure, status } = await withRefundRun(async (handle) => {
      const waiting = await onHumanPath(handle);
      await handle.cancel();
      const failure = await handle.result().catch((error: unknown) => error);
      return { waiting, failure, status: (await handle.describe()).status.name };
    });
    expect(attemptsOf(waiting.modelCall)).toEqual([
      [PRIMARY.modelId, 'rejected 404'],
      [BACKUP.modelId, 'invalid output (not a JSON object)'],
      [BACKUP.modelId, 'invalid output after repair (not a JSON object)'],
    ]);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(status).toBe('CANCELLED');
    expect(await serverLog()).toEqual([
      [PRIMARY.model, 'not-found', false],
      [BACKUP.model, 'malformed-json', false],
      [BACKUP.model, 'malformed-json', true],
    ]);
  });
});
