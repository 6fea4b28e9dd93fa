// With a provider's key set, a refund's proposal goes to the configured endpoint, not to the
// stand-in: the real chat proposer reads the shipped models.yaml, and a model server started
// here, under another name and its own key, plays the endpoint at OPENAI_BASE_URL. The trace
// names the provider and model that answered.
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createFileBlobStore } from '../activities/blobs';
import { createFileBudgetLedger } from '../activities/budget';
import { createChatProposerActivities } from '../activities/llm/chat-proposer';
import { createModelServer, type CallRecord, type ModelServer } from '../model-server/server';
import { DEFAULT_POLICY_DIR, readPolicyFile } from '../policies/load';
import { modelsFileSchema } from '../policies/schema';
import { createLogger } from '../runtime/logger';
import { explainQuery, refund } from '../workflows/refund';
import { priceChange } from '../workflows/price-change';
import { priceChangeRequest } from './helpers/price-fixtures';
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

/** The LLM worker's activities seeing `modelEnv` alone, with a ledger and transcript store of their own. */
function proposerFor(modelEnv: NodeJS.ProcessEnv) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'arbiter-configured-model-'));
  return createChatProposerActivities({
    providers,
    env: modelEnv,
    budgetLedger: createFileBudgetLedger(path.join(scratch, 'model-budget.json')),
    // An investigating agent's transcript lives outside history, as the worker keeps it.
    transcripts: createFileBlobStore(path.join(scratch, 'blobs')),
  });
}

/**
 * Runs a 40 EUR refund for an EU customer with the LLM worker seeing `modelEnv` alone; its agent
 * proposes in one call unless `policyDir` is the shipped policies, whose agent investigates.
 */
async function euRefundWith(modelEnv: NodeJS.ProcessEnv, policyDir = singleCallPolicies()) {
  const request = refundRequest({ requestedBy: 'alice' });
  expect(request.customer.region).toBe('eu');
  const proposer = proposerFor(modelEnv);
  return withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, proposer, policyDir }, async (taskQueue) => {
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

test("sends an investigating agent's turns, tools offered, to OPENAI_BASE_URL when OPENAI_API_KEY is set", async () => {
  const before = (await callsAt(endpointRoot, API_KEY)).length;
  const standinCallsBefore = (await callsAt(standinRoot)).length;
  const { result, explanation } = await euRefundWith(
    { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `${endpointRoot}/v1`, ARBITER_STANDIN_URL: `${standinRoot}/v1` },
    DEFAULT_POLICY_DIR,
  );
  expect(result).toMatchObject({ outcome: 'completed', amount: 40 });
  expect(await callsAt(standinRoot)).toHaveLength(standinCallsBefore);

  // Every turn went to the configured endpoint with the policy's read tools offered; the look-ups it
  // asked for ran as activities, and the trace says who served each turn.
  const turns = (await callsAt(endpointRoot, API_KEY)).slice(before).filter((call) => call.tools.length > 0);
  expect(turns.length).toBeGreaterThanOrEqual(2);
  for (const turn of turns) expect(turn).toMatchObject({ model: 'gpt-4o-mini', status: 200 });
  expect(turns[0]!.tools).toEqual(expect.arrayContaining(['get_order', 'get_refund_history', 'get_case_notes']));
  const looked = explanation.investigation?.turns.flatMap((turn) => turn.calls.map((call) => call.tool)) ?? [];
  expect(looked).toEqual(expect.arrayContaining(['get_order', 'get_refund_history']));
  const agentTurns = explanation.modelCalls.filter((call) => call.purpose === 'agent-turn');
  expect(agentTurns.length).toBe(turns.length);
  for (const call of agentTurns) expect(call.servedBy).toEqual({ provider: 'openai-eu', modelId: 'gpt-4o-mini-eu' });
});

test("sends the pricing agent's turns, its look-ups offered, to OPENAI_BASE_URL when OPENAI_API_KEY is set", async () => {
  const before = (await callsAt(endpointRoot, API_KEY)).length;
  const request = priceChangeRequest('Spring promo on these lines');
  const modelEnv = { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `${endpointRoot}/v1`, ARBITER_STANDIN_URL: `${standinRoot}/v1` };
  const { result, explanation } = await withArbiterWorkers(
    env,
    bundle,
    { integrations: recordingSystems().activities, proposer: proposerFor(modelEnv), policyDir: DEFAULT_POLICY_DIR },
    async (taskQueue) => {
      const handle = await env.client.workflow.start(priceChange, { taskQueue, workflowId: `price-change-${request.requestId}`, args: [request] });
      const result = await handle.result();
      return { result, explanation: await handle.query(explainQuery) };
    },
  );
  expect(result).toMatchObject({ outcome: 'completed' });
  const turns = (await callsAt(endpointRoot, API_KEY)).slice(before).filter((call) => call.tools.length > 0);
  expect(turns.length).toBeGreaterThanOrEqual(2);
  expect(turns[0]!.tools).toEqual(expect.arrayContaining(['get_sales', 'get_competitor_prices']));
  const looked = explanation.investigation?.turns.flatMap((turn) => turn.calls.map((call) => call.tool)) ?? [];
  expect(looked).toEqual(expect.arrayContaining(['get_sales', 'get_competitor_prices']));
  for (const call of explanation.modelCalls.filter((c) => c.purpose === 'agent-turn')) expect(call.servedBy?.provider).not.toBe('standin');
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
