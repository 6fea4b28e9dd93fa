// Private payloads end to end: a dev server started with the arguments `npm start` uses (its Web
// UI pointed at the endpoint's codec routes), a refund run with encryption on, the raw history
// holding no customer message, and the Web UI in a real Chromium showing the decoded input to an
// operator who signed in on the approvers' page, and not to anyone else.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ArbiterClient } from '../client';
import { readTemporalSettings } from '../runtime/config';
import { freePort, startDevArgs, stopProcessGroup, temporalAnswers, waitUntilAnswering } from '../runtime/dev-server';
import { createLogger } from '../runtime/logger';
import { findTemporalCli } from '../runtime/temporal-cli';
import { createApprovalServer, type ApprovalServer } from '../server/app';
import { createTokenVerifier } from '../server/auth';
import { launchChromium } from './helpers/browser';
import { TEST_SECRET, tokenFor } from './helpers/http-approvals';
import { testDataConverter, testPayloadKeyRing } from './helpers/payload-keys';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { bundleWorkflows } from './helpers/temporal';
import { withArbiterWorkers } from './helpers/workers';
import { testDecisionKey } from './helpers/decision-key';

const execFileAsync = promisify(execFile);
const SCREENSHOT_PATH = path.join(tmpdir(), 'arbiter-web-ui-codec.png');
/** What a customer wrote: it must reach the operator's screen and nowhere else. */
const MARKER = `Vase-${randomUUID().slice(0, 8)}`;
const CUSTOMER_MESSAGE = `The parcel arrived broken, the ${MARKER} is in pieces, please refund.`;

let devServer: ChildProcess;
let devServerOutput = '';
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let approvals: ApprovalServer;
let browser: Browser;
let address: string;
let uiUrl: string;
let endpointUrl: string;
let workflowId: string;

beforeAll(async () => {
  // Test output keeps to errors, as test/helpers/temporal.ts sets it for the servers it starts.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [temporalPort, uiPort, endpointPort] = [await freePort(), await freePort(), await freePort()];
  address = `127.0.0.1:${temporalPort}`;
  uiUrl = `http://127.0.0.1:${uiPort}`;
  endpointUrl = `http://127.0.0.1:${endpointPort}`;
  const args = startDevArgs({ host: '127.0.0.1', port: temporalPort, ui: uiPort, codecEndpoint: `${endpointUrl}/codec`, logLevel: 'error', persistenceArgs: [] });
  devServer = spawn(findTemporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [devServer.stdout, devServer.stderr]) stream?.setEncoding('utf8').on('data', (chunk: string) => (devServerOutput += chunk));
  const browserStarting = launchChromium();
  [bundle, browser] = await Promise.all([
    bundleWorkflows(),
    browserStarting,
    waitUntilAnswering(() => temporalAnswers({ address }), { what: 'the dev server', timeoutMs: 60_000, child: devServer, outputHint: () => devServerOutput.slice(-2000) }),
  ]);
  env = await TestWorkflowEnvironment.createFromExistingServer({ address, client: { dataConverter: testDataConverter() } });
  approvals = createApprovalServer({
    decisionKey: testDecisionKey(),
    temporal: env.client,
    verifyToken: createTokenVerifier({ secret: TEST_SECRET }),
    logger: createLogger('codec-ui-test', { level: 'silent' }),
    codec: { keyRing: testPayloadKeyRing(), allowedOrigins: [uiUrl] },
  });
  await approvals.listen(endpointPort, '127.0.0.1');

  // A 40 EUR refund runs on its own to the end, started as a backend service starts it.
  const request = refundRequest({ message: CUSTOMER_MESSAGE });
  workflowId = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities }, async (taskQueue) => {
    const arbiter = new ArbiterClient(env.client, readTemporalSettings({ TEMPORAL_ADDRESS: address, ARBITER_TASK_QUEUE: taskQueue }));
    const run = await arbiter.startRefund(request);
    await arbiter.result(run.workflowId);
    return run.workflowId;
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await approvals?.close();
  await env?.teardown();
  if (devServer) await stopProcessGroup(devServer, 5_000);
});

/** A payload as `temporal workflow show --output json` writes it. */
interface Payload {
  metadata?: { encoding?: string };
  data?: string;
}

/** Every payload's bytes in a history exported as JSON, decoded from base64, as one string. */
function payloadBytesOf(historyJson: string): string {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'data' && typeof value === 'string') found.push(Buffer.from(value, 'base64').toString('latin1'));
      else visit(value);
    }
  };
  visit(JSON.parse(historyJson));
  return found.join('\n');
}

describe('the raw history', () => {
  it('holds no customer message in `temporal workflow show --output json`, neither as text nor in any payload', () => {
    const json = execFileSync(findTemporalCli(), ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    expect(json).toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // binary/encrypted: the run did encrypt
    expect(json).not.toContain(MARKER);
    expect(payloadBytesOf(json)).not.toContain(MARKER);
  });

  it('shows the message to an operator reading through the codec with `temporal workflow show --codec-endpoint`', async () => {
    const operatorToken = await tokenFor('olga', ['operator'], { tenant: '*' });
    // Asynchronously: the codec server answering the CLI runs in this very process.
    const { stdout } = await execFileAsync(findTemporalCli(), ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--output', 'json', '--codec-endpoint', `${endpointUrl}/codec`, '--codec-auth', `Bearer ${operatorToken}`], { encoding: 'utf8', timeout: 20_000 });
    expect(payloadBytesOf(stdout)).toContain(CUSTOMER_MESSAGE);
  });

  it("holds only ciphertext as the run's input for a client without the key", async () => {
    const bare = new Client({ connection: env.connection });
    const history = await bare.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const encoding = Buffer.from(started?.input?.payloads?.[0]?.metadata?.encoding ?? new Uint8Array()).toString();
    expect(encoding).toBe('binary/encrypted');
    expect(Buffer.from(started?.input?.payloads?.[0]?.data ?? new Uint8Array()).toString('latin1')).not.toContain(MARKER);
  });
  it('keeps the search attributes plain for visibility queries, and encrypts the summaries, which the SDK sends through the codec', () => {
    const history = JSON.parse(execFileSync(findTemporalCli(), ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' })) as {
      events: { userMetadata?: { summary?: Payload }; upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes: { indexedFields: Record<string, Payload> } } }[];
    };
    const encodingOf = (payload: Payload | undefined) => Buffer.from(payload?.metadata?.encoding ?? '', 'base64').toString();
    const summaries = history.events.flatMap((e) => (e.userMetadata?.summary ? [encodingOf(e.userMetadata.summary)] : []));
    const searchAttributes = history.events.flatMap((e) => Object.values(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes.indexedFields ?? {}).map(encodingOf));
    expect(summaries.length).toBeGreaterThan(3); // the run's static summary and its activities'
    expect(new Set(summaries)).toEqual(new Set(['binary/encrypted']));
    expect(searchAttributes.length).toBeGreaterThan(3);
    expect(new Set(searchAttributes)).toEqual(new Set(['json/plain']));
  });
});

describe('the Web UI through the codec routes', () => {
  let context: BrowserContext;
  let page: Page;

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
  });

  afterEach(async () => {
    await context?.close();
  });

  /** The operator's one-time choice in the UI's codec settings: send the browser's cookies to the codec endpoint. */
  async function includeCredentialsForCodec(): Promise<void> {
    await page.goto(`${uiUrl}/namespaces/default/workflows`);
    // The keys and JSON values the UI keeps its codec settings under (its persisted stores).
    await page.evaluate((endpoint) => {
      const storage = (globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } }).localStorage;
      storage.setItem('overrideRemoteCodecConfiguration', 'true');
      storage.setItem('endpoint', JSON.stringify(endpoint));
      storage.setItem('includeCredentials', 'true');
    }, `${endpointUrl}/codec`);
  }

  /** Signs in as an approver does; an operator's sign-in also asks the endpoint for the codec cookie. */
  async function signInOnApprovalsPage(token: string, operator: boolean): Promise<void> {
    await page.goto(endpointUrl);
    const session = operator ? page.waitForResponse((response) => response.url().endsWith('/codec/session')) : undefined;
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (session) expect((await session).status()).toBe(204);
    await page.locator('#identity').waitFor();
  }

  it("shows an operator the run's decoded input, the customer's message, on the workflow page", async () => {
    await signInOnApprovalsPage(await tokenFor('olga', ['operator'], { tenant: '*' }), true);
    await includeCredentialsForCodec();
    const decodes: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${endpointUrl}/codec/decode`)) decodes.push(response.status());
    });
    await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    try {
      await page.getByText(MARKER).first().waitFor({ timeout: 30_000 });
    } finally {
      await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    }
    expect(decodes.length).toBeGreaterThan(0);
    expect(decodes.every((status) => status === 200)).toBe(true);
  });

  it('shows no message to a browser whose only token is a support lead\'s: the codec refuses it', async () => {
    await signInOnApprovalsPage(await tokenFor('carol', ['support-lead']), false);
    await includeCredentialsForCodec();
    const decodes: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${endpointUrl}/codec/decode`)) decodes.push(response.status());
    });
    await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.waitForResponse((response) => response.url().startsWith(`${endpointUrl}/codec/decode`), { timeout: 30_000 });
    await page.waitForTimeout(2_000);
    expect(await page.getByText(MARKER).count()).toBe(0);
    expect(decodes.length).toBeGreaterThan(0);
    expect(decodes.every((status) => status === 401)).toBe(true);
  });
});
