// A continued run asks Temporal where its carried state came from before it takes it: code of
// another workflow type, or a `refund` of someone else's on another queue, that continues as new
// into Arbiter's refund with state of its own making is refused, with nothing audited, against a
// real dev server. The policy's re-check against what the worker loads is tested on the activity.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { checkCarriedOrigin, type CarriedOriginQuestion, type DescribeRun } from '../activities/carried-origin';
import { POLICY_INVALID } from '../common/error-types';
import { contentHash } from '../common/content-hash';
import { rightsOf } from '../policies/evaluate';
import { DEFAULT_POLICY_DIR, pinBundle, readPolicyFiles } from '../policies/load';
import { modelToolDefinitions } from '../policies/tools';
import { ApplicationFailure } from '@temporalio/activity';
import type { CarriedRun } from '../workflows/carried-run';
import { useArbiterWithStandIns } from './helpers/arbiter-with-standins';
import { testDataConverter } from './helpers/payload-keys';
import { refundRequest } from './helpers/refund-fixtures';
import { uniqueQueue } from './helpers/temporal';
import { bundleArbiterWorkflows } from '../runtime/workflow-bundle';
import type { ForgeryTarget } from './workflows/forgers';

const arbiter = useArbiterWithStandIns({ name: 'carried-origin' });
let forgers: WorkflowBundle;
beforeAll(async () => {
  // Untraced: the forgers' worker has no span exporter to hand their workflows.
  forgers = await bundleArbiterWorkflows({ workflowsPath: require.resolve('./workflows/forgers'), logger: new DefaultLogger('ERROR'), traced: false });
});

const policy = pinBundle(readPolicyFiles(DEFAULT_POLICY_DIR, 'refund'));

/**
 * State that passes every check of the state alone (workflows/carried-run.ts): the shipped policy
 * under its own hash, the tools' hash as the policy gives it, and a budget of nothing spent.
 */
function forgedState(): Omit<CarriedRun, 'fromRunId'> {
  const definitions = modelToolDefinitions(policy.policy.agentTools!, rightsOf(policy.policy, { kind: 'agent', id: policy.policy.ai.agent }), []);
  const at = '2026-12-07T11:00:00.000Z';
  return {
    v: 1,
    runs: 1,
    policy: { ...policy, trust: policy.trust! },
    trace: {
      notes: [],
      refusedDecisions: [],
      modelCalls: [],
      costs: { totalUsd: 0, calls: [] },
      investigation: { toolsHash: contentHash({ definitions, listings: [] }), tools: definitions.map((d) => d.function.name), turns: [{ turn: 1, model: 'standin', costUsd: 0, calls: [], at }], runs: [] },
    },
    agent: { turns: 1, calls: {}, results: [], readBefore: [], shownChars: 0, spent: { tokensIn: 0, tokensOut: 0, costUsd: 0 }, listings: [] },
    auditHead: '0'.repeat(64),
  };
}

describe('carried state from another workflow\'s code', () => {
  it.each([
    ['a workflow of another type', 'forger', /run \S+ was a forger workflow, not refund$/],
    ['a refund workflow of someone else\'s on another queue', 'refund', /run \S+ ran on task queue forgers-\S+, not arbiter-\S+$/],
  ])('is refused, naming the field, with nothing audited, from %s continuing as new into refund', async (_name, workflowType, reason) => {
    const request = refundRequest();
    const auditPath = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-carried-origin-')), 'audit.jsonl');
    const forgersQueue = uniqueQueue('forgers');
    const workflowId = `forged-${request.requestId}`;
    const failure = await arbiter.withArbiter(
      async (client) => {
        const worker = await Worker.create({ connection: arbiter.env.nativeConnection, dataConverter: testDataConverter(), taskQueue: forgersQueue, workflowBundle: forgers });
        return worker.runUntil(async () => {
          const target: ForgeryTarget = { taskQueue: client.settings.workflowTaskQueue, request, carried: forgedState() };
          await arbiter.env.client.workflow.start(workflowType, { taskQueue: forgersQueue, workflowId, args: [target] });
          return arbiter.env.client.workflow.getHandle(workflowId).result().then(
            () => undefined,
            (err: unknown) => err,
          );
        });
      },
      { auditPath },
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as { message: string; type?: string };
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/^carried run state refused \(carried\): /);
    expect(cause.message).toMatch(reason);
    // The run that refused is the refund the forger continued into, and it wrote nothing.
    const last = await arbiter.env.client.workflow.getHandle(workflowId).describe();
    expect(last.type).toBe('refund');
    expect(existsSync(auditPath) ? readFileSync(auditPath, 'utf8') : '').toBe('');
  });
});

describe('the origin check of a continued run', () => {
  const question: CarriedOriginQuestion = {
    workflowId: 'refund-r1',
    previousRunId: 'run-1',
    workflowType: 'refund',
    taskQueue: 'arbiter',
    process: 'refund',
    policyRef: policy.ref,
    policyHash: policy.hash,
  };
  const previous = (status = 'CONTINUED_AS_NEW'): DescribeRun => async () => ({ type: 'refund', taskQueue: 'arbiter', status: { name: status } });
  const loads = (bundle = policy) => async () => bundle;

  it('takes a refund run on the same queue that continued as new, its policy the one the worker loads', async () => {
    expect(await checkCarriedOrigin(question, { describe: previous(), loadPolicy: loads() })).toEqual({ policy: 'current' });
  });

  it('refuses a previous run Temporal does not know, or one that did not continue as new', async () => {
    expect(await checkCarriedOrigin(question, { describe: async () => undefined, loadPolicy: loads() })).toEqual({ refused: { field: 'carried', why: 'Temporal knows no run run-1 of refund-r1' } });
    expect(await checkCarriedOrigin(question, { describe: previous('COMPLETED'), loadPolicy: loads() })).toEqual({ refused: { field: 'carried', why: 'run run-1 is COMPLETED, not continued as new' } });
  });

  it('refuses a carried policy whose ref the worker loads with other content', async () => {
    const edited = { ...policy, hash: 'f'.repeat(64) };
    const verdict = await checkCarriedOrigin(question, { describe: previous(), loadPolicy: loads(edited) });
    expect(verdict.refused?.field).toBe('carried.policy.hash');
    expect(verdict.refused?.why).toMatch(/^policy refund@\S+ loads with hash ffffffffffff, the carried one is /);
  });

  it('keeps the carried policy when the worker loads a newer version, or none', async () => {
    const newer = { ...policy, ref: 'refund@999', hash: 'f'.repeat(64) };
    expect(await checkCarriedOrigin(question, { describe: previous(), loadPolicy: loads(newer) })).toEqual({ policy: 'retired', loadable: 'refund@999' });
    const broken = async () => {
      throw ApplicationFailure.nonRetryable('policy for refund is invalid:\nrefund.yaml: rules: required', POLICY_INVALID);
    };
    expect(await checkCarriedOrigin(question, { describe: previous(), loadPolicy: broken })).toEqual({ policy: 'retired', loadable: 'none (policy for refund is invalid:)' });
  });

  it('parses a retired policy the run keeps, since the workflow checks only its hash', async () => {
    const newer = { ...policy, ref: 'refund@999', hash: 'f'.repeat(64) };
    const files = { policy: policy.policy, roles: policy.roles, models: policy.models, trust: policy.trust };
    expect(await checkCarriedOrigin({ ...question, policyFiles: files }, { describe: previous(), loadPolicy: loads(newer) })).toEqual({ policy: 'retired', loadable: 'refund@999' });
    const malformed = { ...files, policy: { ...policy.policy, rules: 'none' } };
    const verdict = await checkCarriedOrigin({ ...question, policyFiles: malformed }, { describe: previous(), loadPolicy: loads(newer) });
    expect(verdict.refused?.field).toBe('carried.policy.policy');
    expect(verdict.refused?.why).toMatch(/rules/);
  });
});
