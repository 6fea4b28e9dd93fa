// A real OpenID provider for a test file (test/oidc-provider/provider.mjs, oidc-provider in a
// process of its own since jest cannot load ESM-only packages), and tokens from it without a
// browser through its machine client.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../oidc-provider/provider.mjs');
export const PAGE_CLIENT_ID = 'arbiter-approvals-page';
export const API_AUDIENCE = 'https://arbiter.test/approvals';
export const OTHER_AUDIENCE = 'https://other-api.test';

export interface TestProvider {
  issuer: string;
  /** Another issuer signing with the same keys: its tokens pass the signature check and nothing else. */
  otherIssuer: string;
  /** An access token for `audience` from `issuer`, through the client credentials grant. */
  machineToken(issuer: string, audience: string): Promise<string>;
  stop(): Promise<void>;
}

interface Announcement {
  issuer: string;
  otherIssuer: string;
  machineClient: { id: string; secret: string };
}

export async function startTestProvider(redirectUri: string): Promise<TestProvider> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, OIDC_REDIRECT_URI: redirectUri, OIDC_PAGE_CLIENT_ID: PAGE_CLIENT_ID, OIDC_AUDIENCE: API_AUDIENCE, OIDC_OTHER_AUDIENCE: OTHER_AUDIENCE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const announced = await announcement(child, () => stderr);
  const { id, secret } = announced.machineClient;
  return {
    issuer: announced.issuer,
    otherIssuer: announced.otherIssuer,
    async machineToken(issuer, audience) {
      const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
      const response = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`the provider issued no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The one JSON line the provider prints once both issuers listen (slow on a busy machine). */
function announcement(child: ChildProcess, stderr: () => string): Promise<Announcement> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`the test provider did not start within 90 s; stderr:\n${stderr()}`)), 90_000);
    const onExit = (code: number | null) => fail(new Error(`the test provider exited (code ${code}); stderr:\n${stderr()}`));
    child.once('exit', onExit);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n').find((l) => l.startsWith('{"issuer"'));
      if (!line) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(JSON.parse(line) as Announcement);
    });
    function fail(err: Error): void {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(err);
    }
  });
}
