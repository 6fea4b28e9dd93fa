// With a provider's key set, a refund's proposal goes to the configured endpoint, not to the
// stand-in: the real chat proposer reads the shipped models.yaml, and a model server started
// here, under another name and its own key, plays the endpoint at OPENAI_BASE_URL. The trace
// names the provider and model that answered.
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createFileBudgetLedger } from '../activities/budget';
import { createChatProposerActivities } from '../activities/llm/chat-proposer';
import { createModelServer, type CallRecord, type ModelServer } from '../model-server/server';
import { DEFAULT_POLICY_DIR, readPolicyFile } from '../policies/load';
import { modelsFileSchema } from '../policies/schema';
import { createLogger } from '../runtime/logger';
import { explainQuery, refund } from '../workflows/refund';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { singleCallPolicies } from './helpers/policies';
import { withArbiterWorkers } from './helpers/workers';

const API_KEY = 'sk-test-configured-endpoint';
const { providers } = readPolicyFile(path.join(DEFAULT_POLICY_DIR, 'models.yaml'), modelsFileSchema);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
/** The endpoint a user configured; it refuses any call without API_KEY. */
let endpoint: ModelServer;
let endpointRoot: string;
/** The stand-in at its default address, as `npm start` gives it. */
let standin: ModelServer;
let standinRoot: string;

beforeAll(async () => {
  endpoint = createModelServer({ apiKey: API_KEY, logger: createLogger('configured-endpoint', { level: 'silent' }) });
  standin = createModelServer({ logger: createLogger('model-standin', { level: 'silent' }) });
  [env, bundle, endpointRoot, standinRoot] = await Promise.all([
    startTestServer(),
    bundleWorkflows(),
    endpoint.listen(0).then((port) => `http://127.0.0.1:${port}`),
    standin.listen(0).then((port) => `http://127.0.0.1:${port}`),
  ]);
});

afterAll(async () => {
  await Promise.all([endpoint?.close(), standin?.close()]);
  await env?.teardown();
});

async function callsAt(root: string, apiKey?: string): Promise<CallRecord[]> {
  const response = await fetch(`${root}/_calls`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  return ((await response.json()) as { calls: CallRecord[] }).calls;
}

/** Runs a 40 EUR refund for an EU customer with the LLM worker seeing `modelEnv` alone. */
async function euRefundWith(modelEnv: NodeJS.ProcessEnv) {
  const request = refundRequest({ requestedBy: 'alice' });
  expect(request.customer.region).toBe('eu');
  const proposer = createChatProposerActivities({
    providers,
    env: modelEnv,
    budgetLedger: createFileBudgetLedger(path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-configured-model-')), 'model-budget.json')),
  });
  // The configured-model path is tested on the one-call agent; agent turns share its routing and failover.
  return withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, proposer, policyDir: singleCallPolicies() }, async (taskQueue) => {
    const handle = await env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
    const result = await handle.result();
    return { result, explanation: await handle.query(explainQuery) };
  });
}

test("sends an EU customer's refund proposal to OPENAI_BASE_URL when OPENAI_API_KEY is set, and explains who served", async () => {
  const standinCallsBefore = (await callsAt(standinRoot)).length;
  // The stand-in answers at its default address, as docker compose runs it: the key sets it aside.
  const { result, explanation } = await euRefundWith({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `${endpointRoot}/v1`, ARBITER_STANDIN_URL: `${standinRoot}/v1` });
  expect(result).toMatchObject({ outcome: 'completed', amount: 40 });
  expect(await callsAt(standinRoot)).toHaveLength(standinCallsBefore);

  // The endpoint answered the proposal (it refuses calls without the key), then the customer reply.
  const calls = await callsAt(endpointRoot, API_KEY);
  expect(calls.map((call) => ({ model: call.model, status: call.status, responseFormat: call.responseFormat }))).toEqual([
    { model: 'gpt-4o-mini', status: 200, responseFormat: true },
    { model: 'gpt-4o-mini', status: 200, responseFormat: true },
  ]);

  const proposalCall = explanation.modelCalls.find((call) => call.purpose === 'proposal');
  expect(proposalCall).toMatchObject({
    route: 'cheapest-adequate: standin-eu > gpt-4o-mini-eu',
    servedBy: { provider: 'openai-eu', modelId: 'gpt-4o-mini-eu' },
    attempts: [
      { modelId: 'standin-eu', outcome: 'stand-in set aside: OPENAI_API_KEY set; set ARBITER_MODEL_URL to use it anyway' },
      { modelId: 'gpt-4o-mini-eu', outcome: 'ok' },
    ],
  });
  expect(explanation.proposals[0]).toMatchObject({ source: 'ai', model: 'gpt-4o-mini-eu (gpt-4o-mini)' });
});

test('lets the stand-in serve an EU refund when no key is set, and explains that it did', async () => {
  const before = (await callsAt(standinRoot)).length;
  const { result, explanation } = await euRefundWith({ ARBITER_STANDIN_URL: `${standinRoot}/v1` });
  expect(result).toMatchObject({ outcome: 'completed', amount: 40 });
  expect((await callsAt(standinRoot)).length).toBeGreaterThan(before);
  expect(explanation.modelCalls.find((call) => call.purpose === 'proposal')).toMatchObject({
    servedBy: { provider: 'standin', modelId: 'standin-eu' },
    attempts: [{ modelId: 'standin-eu', outcome: 'ok' }],
  });
});
