// The approvers' page in a real (headless) Chromium against the endpoint, a real dev server and
// the real refund workflow: sign in with a token, read the card, approve it, see it confirmed.
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { approvalQuery } from '../workflows/refund';
import { launchChromium } from './helpers/browser';
import { order, startTestEndpoint, tokenFor, waitUntilListed, withRefundRun, type TestEndpoint } from './helpers/http-approvals';
import { bundleWorkflows, startTestServer } from './helpers/temporal';

const SCREENSHOT_PATH = path.join(tmpdir(), 'arbiter-approvals-page.png');

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let endpoint: TestEndpoint;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [env, bundle, browser] = await Promise.all([
    startTestServer(),
    bundleWorkflows(),
    launchChromium(),
  ]);
  endpoint = await startTestEndpoint(env);
});

beforeEach(async () => {
  // A fresh context per test: an empty sessionStorage, so each test signs in itself.
  page = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
});

afterEach(async () => {
  await page?.context().close();
});

afterAll(async () => {
  await browser?.close();
  await endpoint?.approvals.close();
  await env?.teardown();
});

async function signIn(token: string): Promise<void> {
  await page.goto(endpoint.baseUrl);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

it('lets a support lead read a pending 740 EUR refund, approve it with a comment, and the run completes', async () => {
  const token = await tokenFor('carol', ['support-lead']);
  const seen = await withRefundRun(env, bundle, order(740), async (handle) => {
    await waitUntilListed(endpoint.baseUrl, token, handle.workflowId);
    await signIn(token);
    const card = page.locator(`article.card[data-workflow-id="${handle.workflowId}"]`);
    await card.waitFor();
    const shown = {
      title: await card.locator('.title').textContent(),
      reason: await card.locator('.reason').textContent(),
      amount: await card.locator('[data-param="amount"]').textContent(),
    };
    await card.getByLabel('Comment').fill('Photos confirm the damage.');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.locator('.result', { hasText: 'Approved' }).waitFor();
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    return {
      shown,
      confirmation: await card.locator('.result').textContent(),
      result: await handle.result(),
      decisions: (await handle.query(approvalQuery))?.decisions,
    };
  });
  expect(seen.shown.title).toMatch(/^Refund 740 EUR on order ord-/);
  expect(seen.shown.reason).toContain('needs 1 support-lead approval');
  expect(seen.shown.amount).toBe('740 EUR');
  expect(seen.confirmation).toMatch(/^Approved: Refund 740 EUR .*The approval is now approved\.$/);
  expect(seen.result).toMatchObject({ outcome: 'completed', amount: 740 });
  expect(seen.decisions).toEqual([expect.objectContaining({ approverId: 'carol', decision: 'approve', comment: 'Photos confirm the damage.' })]);
});

it('asks for a token again when the server refuses the one given', async () => {
  const expired = await tokenFor('carol', ['support-lead'], { expiresIn: '-1m' });
  await signIn(expired);
  await page.locator('#sign-in-error', { hasText: 'token expired' }).waitFor();
  expect(await page.getByLabel('Access token').isVisible()).toBe(true);
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
});
