// The endpoint's identity settings: what it refuses to start with (naming the variable), what it
// says at start-up, and the defaults it applies. The last test starts the real entry point.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { endpointAuthFromEnv } from '../server/auth-config';

const SECRET = 'a-secret-that-is-long-enough-0123456789';
const PROVIDER = {
  ARBITER_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
  ARBITER_JWT_ISSUER: 'https://idp.example.com',
  ARBITER_JWT_AUDIENCE: 'https://arbiter.example.com/approvals',
};
const SIGN_IN = { ...PROVIDER, ARBITER_OIDC_ISSUER: 'https://idp.example.com', ARBITER_OIDC_CLIENT_ID: 'arbiter-approvals-page' };

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    endpointAuthFromEnv(env);
  } catch (err) {
    expect((err as Error).name).toBe('AuthConfigError');
    return (err as Error).message;
  }
  throw new Error('the settings were accepted');
}

describe('with an identity provider (ARBITER_JWKS_URL)', () => {
  it('refuses to start without ARBITER_JWT_ISSUER, naming it', () => {
    expect(refusal({ ...PROVIDER, ARBITER_JWT_ISSUER: '' })).toMatch(/^ARBITER_JWT_ISSUER is required/);
  });

  it('refuses to start without ARBITER_JWT_AUDIENCE, naming it', () => {
    expect(refusal({ ...PROVIDER, ARBITER_JWT_AUDIENCE: ' ' })).toMatch(/^ARBITER_JWT_AUDIENCE is required/);
  });

  it.each(['http://idp.example.com/jwks', 'http://10.0.0.5/jwks', 'http://127.0.0.1.nip.example/jwks', 'http://[::2]/jwks', 'ftp://idp.example.com/jwks'])(
    'refuses the key URL %s: keys must come over https unless on loopback',
    (jwksUrl) => {
      expect(refusal({ ...PROVIDER, ARBITER_JWKS_URL: jwksUrl })).toMatch(/^ARBITER_JWKS_URL must be an https:\/\/ URL/);
    },
  );

  it('refuses a key URL that does not parse, naming the variable', () => {
    expect(refusal({ ...PROVIDER, ARBITER_JWKS_URL: 'not a url' })).toBe('ARBITER_JWKS_URL is not a valid URL');
  });

  it.each(['https://idp.example.com/jwks', 'http://127.0.0.1:9000/jwks', 'http://127.8.9.10/jwks', 'http://localhost:9000/jwks', 'http://[::1]:9000/jwks'])(
    'accepts the key URL %s',
    (jwksUrl) => {
      expect(endpointAuthFromEnv({ ...PROVIDER, ARBITER_JWKS_URL: jwksUrl }).tokens).toMatchObject({ jwksUrl });
    },
  );

  it('turns HS256 off when a shared secret is set too, and says so', () => {
    const auth = endpointAuthFromEnv({ ...PROVIDER, ARBITER_JWT_SECRET: SECRET });
    expect(auth.tokens).not.toHaveProperty('secret');
    expect(auth.notices).toEqual([expect.stringMatching(/^ARBITER_JWT_SECRET is ignored: .*HS256 is off/)]);
  });

  it('applies a 30 s clock tolerance and a 12 h maximum lifetime by default', () => {
    expect(endpointAuthFromEnv(PROVIDER).tokens).toEqual({ ...jwksConfig(), clockToleranceSeconds: 30, maxTtlSeconds: 43_200 });
  });
});

function jwksConfig() {
  return { jwksUrl: PROVIDER.ARBITER_JWKS_URL, issuer: PROVIDER.ARBITER_JWT_ISSUER, audience: PROVIDER.ARBITER_JWT_AUDIENCE };
}

describe('token rules', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['300', 300],
  ])('takes ARBITER_JWT_CLOCK_TOLERANCE=%s as %d seconds', (value, seconds) => {
    expect(endpointAuthFromEnv({ ...PROVIDER, ARBITER_JWT_CLOCK_TOLERANCE: value }).tokens.clockToleranceSeconds).toBe(seconds);
  });

  it.each(['-1', '1.5', '30s', 'abc', '301'])('refuses ARBITER_JWT_CLOCK_TOLERANCE=%s, naming it', (value) => {
    expect(refusal({ ...PROVIDER, ARBITER_JWT_CLOCK_TOLERANCE: value })).toMatch(/^ARBITER_JWT_CLOCK_TOLERANCE must be whole seconds from 0 to 300/);
  });

  it.each([
    ['12h', 43_200],
    ['30m', 1_800],
    ['45s', 45],
    ['3600', 3_600],
  ])('takes ARBITER_JWT_MAX_TTL=%s as %d seconds', (value, seconds) => {
    expect(endpointAuthFromEnv({ ...PROVIDER, ARBITER_JWT_MAX_TTL: value }).tokens.maxTtlSeconds).toBe(seconds);
  });

  it.each(['0', '0h', '-1h', '1.5h', '12 h', '2d', 'forever'])('refuses ARBITER_JWT_MAX_TTL=%s, naming it', (value) => {
    expect(refusal({ ...PROVIDER, ARBITER_JWT_MAX_TTL: value })).toMatch(/^ARBITER_JWT_MAX_TTL must be a positive duration/);
  });

  it('applies the same rules to local tokens signed with the shared secret', () => {
    expect(endpointAuthFromEnv({ ARBITER_JWT_SECRET: SECRET, ARBITER_JWT_MAX_TTL: '8h' }).tokens).toEqual({ secret: SECRET, clockToleranceSeconds: 30, maxTtlSeconds: 28_800 });
  });
});

describe('local runs (ARBITER_JWT_SECRET)', () => {
  it('refuses to start with neither a secret nor a key URL', () => {
    expect(refusal({})).toMatch(/^set ARBITER_JWT_SECRET .* or ARBITER_JWKS_URL/);
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(refusal({ ARBITER_JWT_SECRET: 'short' })).toBe('ARBITER_JWT_SECRET must be at least 32 characters long');
  });

  it('offers the page no provider sign-in', () => {
    expect(endpointAuthFromEnv({ ARBITER_JWT_SECRET: SECRET }).signIn).toBeUndefined();
  });
});

describe('the page signing in through the provider (ARBITER_OIDC_*)', () => {
  it('hands the page the issuer, the client, the scopes and the API as the resource', () => {
    expect(endpointAuthFromEnv(SIGN_IN).signIn).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'arbiter-approvals-page',
      scopes: ['openid'],
      resource: 'https://arbiter.example.com/approvals',
    });
  });

  it('takes extra scopes from ARBITER_OIDC_SCOPES', () => {
    expect(endpointAuthFromEnv({ ...SIGN_IN, ARBITER_OIDC_SCOPES: 'openid api://arbiter/approve' }).signIn?.scopes).toEqual(['openid', 'api://arbiter/approve']);
  });

  it('asks for another resource than the audience with ARBITER_OIDC_RESOURCE, and for none with "off"', () => {
    expect(endpointAuthFromEnv({ ...SIGN_IN, ARBITER_OIDC_RESOURCE: 'api://arbiter' }).signIn?.resource).toBe('api://arbiter');
    expect(endpointAuthFromEnv({ ...SIGN_IN, ARBITER_OIDC_RESOURCE: 'off' }).signIn).not.toHaveProperty('resource');
  });

  it('refuses scopes without openid', () => {
    expect(refusal({ ...SIGN_IN, ARBITER_OIDC_SCOPES: 'profile' })).toBe('ARBITER_OIDC_SCOPES must include openid');
  });

  it('refuses an issuer without a client id, naming ARBITER_OIDC_CLIENT_ID', () => {
    expect(refusal({ ...SIGN_IN, ARBITER_OIDC_CLIENT_ID: '' })).toMatch(/^ARBITER_OIDC_CLIENT_ID is required/);
  });

  it('refuses a client id without an issuer, naming ARBITER_OIDC_ISSUER', () => {
    expect(refusal({ ...SIGN_IN, ARBITER_OIDC_ISSUER: '' })).toMatch(/^ARBITER_OIDC_ISSUER is required/);
  });

  it('refuses sign-in without the provider\'s keys to check its tokens with', () => {
    expect(refusal({ ARBITER_JWT_SECRET: SECRET, ARBITER_OIDC_ISSUER: SIGN_IN.ARBITER_OIDC_ISSUER, ARBITER_OIDC_CLIENT_ID: 'page' })).toMatch(/^ARBITER_OIDC_ISSUER needs ARBITER_JWKS_URL/);
  });

  it('refuses a sign-in issuer other than the one tokens are checked against', () => {
    expect(refusal({ ...SIGN_IN, ARBITER_OIDC_ISSUER: 'https://other-idp.example.com' })).toMatch(/^ARBITER_OIDC_ISSUER must equal ARBITER_JWT_ISSUER/);
  });

  it('refuses an audience equal to the page\'s client id, since ID tokens carry that audience', () => {
    expect(refusal({ ...SIGN_IN, ARBITER_JWT_AUDIENCE: 'arbiter-approvals-page' })).toMatch(/^ARBITER_JWT_AUDIENCE must name the API/);
  });

  it('refuses a plain http issuer off loopback', () => {
    const issuer = 'http://idp.example.com';
    expect(refusal({ ...SIGN_IN, ARBITER_JWT_ISSUER: issuer, ARBITER_OIDC_ISSUER: issuer })).toMatch(/^ARBITER_OIDC_ISSUER must be an https:\/\/ URL/);
  });
});

describe('the entry point (server/main.ts)', () => {
  const TSX = path.resolve(__dirname, '../node_modules/.bin/tsx');
  const MAIN = path.resolve(__dirname, '../server/main.ts');

  /** Runs the entry point until it exits or prints `until`, then stops it; resolves with its output and exit code. */
  function runMain(env: NodeJS.ProcessEnv, until?: string): Promise<{ output: string; code: number | null }> {
    // The payload and decision keys the test setup put in the environment: without them the entry point refuses to start.
    const base = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ARBITER_PAYLOAD_KEYS: process.env.ARBITER_PAYLOAD_KEYS,
      ARBITER_DECISION_KEY: process.env.ARBITER_DECISION_KEY,
      ARBITER_PORT: '0',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    };
    const child = spawn(TSX, [MAIN], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    return new Promise((resolve) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        // tsx runs the entry in a child process of its own: stop the whole group.
        if (until && output.includes(until) && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('exit', (code) => resolve({ output, code }));
    });
  }

  it('refuses to start with a key URL but no issuer, and says which variable is missing', async () => {
    const { output, code } = await runMain({ ARBITER_JWKS_URL: PROVIDER.ARBITER_JWKS_URL, ARBITER_JWT_AUDIENCE: PROVIDER.ARBITER_JWT_AUDIENCE });
    expect(code).toBe(1);
    expect(output).toContain('refusing to start: ARBITER_JWT_ISSUER is required');
  }, 60_000);

  it('refuses to start without a key to sign decisions with, and names a malformed one without printing it', async () => {
    const missing = await runMain({ ARBITER_JWT_SECRET: SECRET, ARBITER_DECISION_KEY: '' });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('refusing to start: ARBITER_DECISION_KEY is not set');
    const shortSeed = Buffer.alloc(16, 7).toString('base64');
    const malformed = await runMain({ ARBITER_JWT_SECRET: SECRET, ARBITER_DECISION_KEY: `k1:${shortSeed}` });
    expect(malformed.code).toBe(1);
    expect(malformed.output).toContain('refusing to start: ARBITER_DECISION_KEY: the key of');
    expect(malformed.output).toContain('is 16 bytes; Ed25519 keys are 32');
    expect(malformed.output).not.toContain(shortSeed);
  }, 60_000);

  it('says at start-up that the shared secret is ignored beside the provider\'s keys', async () => {
    const { output } = await runMain({ ...PROVIDER, ARBITER_JWT_SECRET: SECRET }, 'HS256 is off');
    expect(output).toContain('ARBITER_JWT_SECRET is ignored');
    expect(output).not.toContain(SECRET);
  }, 60_000);
});
