// The approvers' page signing people in through a real OpenID provider (oidc-provider, started by
// the test) in a real Chromium, against the endpoint, a real dev server and the real refund
// workflow: authorization code with PKCE, the provider's login and consent forms, the callback's
// checks, the access token in memory, and the endpoint verifying it against the provider's keys.
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createLogger } from '../runtime/logger';
import { createApprovalServer, type ApprovalServer } from '../server/app';
import { createTokenVerifier } from '../server/auth';
import { endpointAuthFromEnv } from '../server/auth-config';
import { approvalQuery } from '../workflows/refund';
import { launchChromium } from './helpers/browser';
import { order, waitUntilListed, withRefundRun } from './helpers/http-approvals';
import { httpCall } from './helpers/http-client';
import { API_AUDIENCE, OTHER_AUDIENCE, PAGE_CLIENT_ID, startTestProvider, type TestProvider } from './helpers/oidc-provider';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { testDecisionKey } from './helpers/decision-key';

const SCREENSHOT_PATH = path.join(tmpdir(), 'arbiter-approvals-sign-in.png');

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let browser: Browser;
let provider: TestProvider;
let approvals: ApprovalServer;
let baseUrl: string;
let page: Page;

/** A port for the endpoint, known before it listens: the provider registers the page at it as the redirect URI. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  [env, bundle, browser, provider] = await Promise.all([
    startTestServer(),
    bundleWorkflows(),
    launchChromium(),
    startTestProvider(`${baseUrl}/`),
  ]);
  // Configured as an operator would: the provider's jwks_uri from its discovery document, over
  // plain http because it is on loopback.
  const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const auth = endpointAuthFromEnv({
    ARBITER_JWKS_URL: discovery.jwks_uri,
    ARBITER_JWT_ISSUER: provider.issuer,
    ARBITER_JWT_AUDIENCE: API_AUDIENCE,
    ARBITER_OIDC_ISSUER: provider.issuer,
    ARBITER_OIDC_CLIENT_ID: PAGE_CLIENT_ID,
  });
  const logger = createLogger('approvals-oidc-test', { level: 'warn' });
  approvals = createApprovalServer({ decisionKey: testDecisionKey(), temporal: env.client, verifyToken: createTokenVerifier(auth.tokens), logger, signIn: auth.signIn });
  await approvals.listen(port, '127.0.0.1');
}, 180_000);

beforeEach(async () => {
  // A fresh context per test: no provider session cookie and an empty sessionStorage.
  page = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
});

afterEach(async () => {
  await page?.context().close();
});

afterAll(async () => {
  await browser?.close();
  await approvals?.close();
  await provider?.stop();
  await env?.teardown();
});

interface SignInSeen {
  authorizeUrl: URL;
  tokenRequest: URLSearchParams;
  idToken: string;
  accessToken: string;
}

/** Clicks through the page's sign-in and the provider's login and consent forms, recording what the provider was sent and answered. */
async function signInThroughProvider(login: string): Promise<SignInSeen> {
  const authorizeRequest = page.waitForRequest((r) => r.url().startsWith(`${provider.issuer}/auth?`));
  const tokenResponse = page.waitForResponse((r) => r.url() === `${provider.issuer}/token` && r.request().method() === 'POST');
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'Sign in with your company account' }).click();
  const authorizeUrl = new URL((await authorizeRequest).url());
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  const response = await tokenResponse;
  const tokens = (await response.json()) as { id_token: string; access_token: string };
  return { authorizeUrl, tokenRequest: new URLSearchParams(response.request().postData() ?? ''), idToken: tokens.id_token, accessToken: tokens.access_token };
}

it('signs a support lead in through the identity provider with PKCE and lets her approve a pending 740 EUR refund', async () => {
  const machine = await provider.machineToken(provider.issuer, API_AUDIENCE);
  const seen = await withRefundRun(env, bundle, order(740), async (handle) => {
    await waitUntilListed(baseUrl, machine, handle.workflowId);
    const signIn = await signInThroughProvider('carol');
    await page.locator('#identity').waitFor();
    const card = page.locator(`article.card[data-workflow-id="${handle.workflowId}"]`);
    await card.waitFor();
    const who = await page.locator('#who').textContent();
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.locator('.result', { hasText: 'Approved' }).waitFor();
    return {
      signIn,
      who,
      address: page.url(),
      stored: await page.evaluate('Object.keys(sessionStorage)'),
      result: await handle.result(),
      decisions: (await handle.query(approvalQuery))?.decisions,
    };
  });
  const authorize = seen.signIn.authorizeUrl.searchParams;
  expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'code_challenge_method', 'resource'].map((name) => [name, authorize.get(name)]))).toEqual({
    response_type: 'code',
    client_id: PAGE_CLIENT_ID,
    redirect_uri: `${baseUrl}/`,
    code_challenge_method: 'S256',
    resource: API_AUDIENCE,
  });
  expect(authorize.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(authorize.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(authorize.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(seen.signIn.tokenRequest.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(seen.who).toBe('carol (support-lead) · acme');
  // The code left the address bar; nothing stays in storage: the token is in memory, the pending sign-in used up.
  expect(seen.address).toBe(`${baseUrl}/`);
  expect(seen.stored).toEqual([]);
  expect(seen.result).toMatchObject({ outcome: 'completed', amount: 740 });
  expect(seen.decisions).toEqual([expect.objectContaining({ approverId: 'carol', decision: 'approve' })]);
});

it('shows the signed-in identity with the inbox, and the API takes the access token but refuses the ID token', async () => {
  const signIn = await signInThroughProvider('carol');
  await page.locator('#queue').waitFor();
  await page.locator('#identity').waitFor();
  expect(await page.locator('#who').textContent()).toBe('carol (support-lead) · acme');

  const withAccessToken = await httpCall(baseUrl, { path: '/approvals', token: signIn.accessToken });
  // The ID token is signed by the same provider with the same keys; its audience is the page's client.
  const withIdToken = await httpCall(baseUrl, { path: '/approvals', token: signIn.idToken });
  expect(withAccessToken.status).toBe(200);
  expect(withIdToken.status).toBe(401);
  expect(withIdToken.body).toEqual({ error: 'token audience (aud) is not this endpoint', code: 'unauthenticated' });
});

it('refuses tokens the provider signed for another audience, or that another issuer signed with the same keys', async () => {
  const [right, otherAudience, otherIssuer] = await Promise.all([
    provider.machineToken(provider.issuer, API_AUDIENCE),
    provider.machineToken(provider.issuer, OTHER_AUDIENCE),
    provider.machineToken(provider.otherIssuer, API_AUDIENCE),
  ]);
  const answers = await Promise.all([right, otherAudience, otherIssuer].map((token) => httpCall(baseUrl, { path: '/approvals', token })));
  expect(answers.map((a) => [a.status, a.body.error])).toEqual([
    [200, undefined],
    [401, 'token audience (aud) is not this endpoint'],
    [401, 'token issuer (iss) is not the one this endpoint trusts'],
  ]);
});

it('refuses a sign-in answer this tab did not start, without sending its code to the provider', async () => {
  const providerCalls: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(provider.issuer)) providerCalls.push(r.url());
  });
  // A sign-in of this tab's own is under way (its state kept) when a callback with someone else's code arrives.
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'Sign in with your company account' }).click();
  await page.locator('input[name="login"]').waitFor();
  await page.goto(`${baseUrl}/?code=planted-code&state=planted-state`);
  await page.locator('#provider-sign-in-error', { hasText: 'does not match a sign-in started in this tab' }).waitFor();
  await page.screenshot({ path: SCREENSHOT_PATH });
  expect(page.url()).toBe(`${baseUrl}/`);
  expect(await page.locator('#queue').isVisible()).toBe(false);
  expect(providerCalls.filter((url) => url.endsWith('/token'))).toEqual([]);
});

it('refuses a sign-in whose ID token was issued for another sign-in (a replayed ID token), and calls no API', async () => {
  const earlier = await signInThroughProvider('carol');
  await page.context().close();
  page = await (await browser.newContext()).newPage();
  const apiCalls: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(`${baseUrl}/approvals`)) apiCalls.push(r.url());
  });
  // The provider's real answer, with the ID token of the earlier sign-in in place of this one's.
  await page.route(`${provider.issuer}/token`, async (route) => {
    const response = await route.fetch();
    const tokens = (await response.json()) as Record<string, unknown>;
    await route.fulfill({ response, json: { ...tokens, id_token: earlier.idToken } });
  });
  await signInThroughProvider('carol');
  await page.locator('#provider-sign-in-error', { hasText: 'returned an ID token for another sign-in' }).waitFor();
  expect(await page.locator('#queue').isVisible()).toBe(false);
  expect(apiCalls).toEqual([]);
});

it('tells the page its sign-in settings without a token, and lets the page connect to the provider only', async () => {
  const [settings, pageAnswer] = await Promise.all([httpCall(baseUrl, { path: '/auth/config' }), httpCall(baseUrl, { path: '/' })]);
  expect(settings.status).toBe(200);
  expect(settings.body).toEqual({ signIn: 'oidc', issuer: provider.issuer, clientId: PAGE_CLIENT_ID, scopes: ['openid'], resource: API_AUDIENCE });
  expect(pageAnswer.headers['content-security-policy']).toBe(
    `default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self' ${provider.issuer}`,
  );
});
