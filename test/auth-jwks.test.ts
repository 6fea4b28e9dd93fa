// Token verification against a JWKS URL, as with a real identity provider: a real HTTP server
// publishes the public key; tokens signed with the private key pass only with the right issuer,
// audience, algorithm and lifetime, within the clock tolerance; each refusal has its fixed sentence.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createTokenVerifier, mintLocalToken, type AuthConfig, type IdentityProviderConfig, type TokenVerifier } from '../server/auth';
import { endpointAuthFromEnv } from '../server/auth-config';

let server: http.Server;
let privateKey: KeyLike;
let publicKey: KeyLike;
let jwksUrl: string;
let verify: TokenVerifier;

function providerConfig(): IdentityProviderConfig {
  return { jwksUrl, issuer: 'https://idp.test', audience: 'arbiter' };
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  ({ privateKey, publicKey } = pair);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  verify = createTokenVerifier(providerConfig());
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface TokenShape {
  issuer?: string;
  audience?: string;
  key?: KeyLike;
  /** Seconds from now; null leaves the claim out. */
  iat?: number | null;
  exp?: number;
}

function idpToken(claims: Record<string, unknown>, shape: TokenShape = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-key-1' })
    .setSubject('carol')
    .setIssuer(shape.issuer ?? 'https://idp.test')
    .setAudience(shape.audience ?? 'arbiter')
    .setExpirationTime(now + (shape.exp ?? 300));
  if (shape.iat !== null) jwt.setIssuedAt(now + (shape.iat ?? 0));
  return jwt.sign(shape.key ?? privateKey);
}

const LEAD = { roles: ['support-lead'], tenant: 'acme' };

/** The refusal's message, checked to hold no part of the token. */
async function refusalOf(verifier: TokenVerifier, token: string): Promise<string> {
  const err = (await verifier(token).then(
    () => undefined,
    (e: unknown) => e,
  )) as Error | undefined;
  if (!err) throw new Error('the token was accepted');
  expect(err.name).toBe('AuthError');
  for (const part of token.split('.')) expect(err.message).not.toContain(part.slice(0, 16));
  return err.message;
}

test('accepts a token signed by the identity provider and reads the caller from its claims', async () => {
  expect(await verify(await idpToken(LEAD))).toEqual({ id: 'carol', roles: ['support-lead'], tenant: 'acme' });
});

test('refuses a token signed with another key', async () => {
  const other = await generateKeyPair('RS256');
  expect(await refusalOf(verify, await idpToken(LEAD, { key: other.privateKey }))).toBe('token signature is invalid');
});

test('refuses a token from another issuer, saying the issuer is not trusted', async () => {
  expect(await refusalOf(verify, await idpToken(LEAD, { issuer: 'https://evil.test' }))).toBe('token issuer (iss) is not the one this endpoint trusts');
});

test('refuses a token meant for another audience', async () => {
  expect(await refusalOf(verify, await idpToken(LEAD, { audience: 'another-api' }))).toBe('token audience (aud) is not this endpoint');
});

test('refuses an HS256 token when only the JWKS URL is configured', async () => {
  const forged = await mintLocalToken('a-secret-that-is-long-enough-0123456789', { sub: 'carol', roles: ['support-lead'] });
  expect(await refusalOf(verify, forged)).toBe('token algorithm is not accepted');
});

test('refuses an HS256 token signed with the shared secret even when ARBITER_JWT_SECRET is set beside the JWKS URL', async () => {
  const secret = 'a-secret-that-is-long-enough-0123456789';
  const both = createTokenVerifier(endpointAuthFromEnv({ ARBITER_JWT_SECRET: secret, ARBITER_JWKS_URL: jwksUrl, ARBITER_JWT_ISSUER: 'https://idp.test', ARBITER_JWT_AUDIENCE: 'arbiter' }).tokens);
  expect(await both(await idpToken(LEAD))).toMatchObject({ id: 'carol' });
  expect(await refusalOf(both, await mintLocalToken(secret, { sub: 'carol', roles: ['support-lead'] }))).toBe('token algorithm is not accepted');
});

test('refuses an HS256 token even when a verifier is handed both a secret and a JWKS URL', async () => {
  const secret = 'a-secret-that-is-long-enough-0123456789';
  const both = createTokenVerifier({ ...providerConfig(), secret } as AuthConfig);
  expect(await refusalOf(both, await mintLocalToken(secret, { sub: 'carol', roles: ['support-lead'] }))).toBe('token algorithm is not accepted');
});

test('refuses an HS256 token keyed with the provider\'s public key (algorithm confusion)', async () => {
  const publicJwk = JSON.stringify({ ...(await exportJWK(publicKey)), kid: 'idp-key-1' });
  const forged = await new SignJWT(LEAD)
    .setProtectedHeader({ alg: 'HS256', kid: 'idp-key-1' })
    .setSubject('carol')
    .setIssuer('https://idp.test')
    .setAudience('arbiter')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(publicJwk));
  expect(await refusalOf(verify, forged)).toBe('token algorithm is not accepted');
});

describe('lifetime', () => {
  test('refuses a token that lives longer than the 12 h maximum', async () => {
    expect(await refusalOf(verify, await idpToken(LEAD, { exp: 12 * 3600 + 1 }))).toBe('token lifetime (iat to exp) is longer than the 12h allowed');
  });

  test('accepts a token that lives exactly the maximum', async () => {
    expect(await verify(await idpToken(LEAD, { exp: 12 * 3600 }))).toMatchObject({ id: 'carol' });
  });

  test('refuses a token issued long ago whose lifetime is over the maximum, though it has not expired', async () => {
    expect(await refusalOf(verify, await idpToken(LEAD, { iat: -13 * 3600, exp: 60 }))).toBe('token lifetime (iat to exp) is longer than the 12h allowed');
  });

  test('refuses a token without iat, whose lifetime cannot be checked', async () => {
    expect(await refusalOf(verify, await idpToken(LEAD, { iat: null }))).toBe('token has no issued-at time (iat), so its lifetime cannot be checked');
  });

  test('refuses a token issued in the future beyond the clock tolerance', async () => {
    expect(await refusalOf(verify, await idpToken(LEAD, { iat: 120, exp: 300 }))).toBe('token issued-at time (iat) is in the future');
  });

  test('applies a maximum set in seconds: 30 minutes refuses a one-hour token', async () => {
    const strict = createTokenVerifier({ ...providerConfig(), maxTtlSeconds: 1800 });
    expect(await refusalOf(strict, await idpToken(LEAD, { exp: 3600 }))).toBe('token lifetime (iat to exp) is longer than the 30m allowed');
    expect(await strict(await idpToken(LEAD, { exp: 1800 }))).toMatchObject({ id: 'carol' });
  });
});

describe('clock tolerance', () => {
  test('accepts a token that expired 10 s ago, within the default 30 s', async () => {
    expect(await verify(await idpToken(LEAD, { iat: -300, exp: -10 }))).toMatchObject({ id: 'carol' });
  });

  test('refuses a token that expired 40 s ago, past the default 30 s', async () => {
    expect(await refusalOf(verify, await idpToken(LEAD, { iat: -300, exp: -40 }))).toBe('token expired');
  });

  test('accepts a token issued 20 s in the future, within the tolerance, for clocks a little ahead', async () => {
    expect(await verify(await idpToken(LEAD, { iat: 20, exp: 300 }))).toMatchObject({ id: 'carol' });
  });

  test('refuses a token that expired 10 s ago when the tolerance is set to 0', async () => {
    const exact = createTokenVerifier({ ...providerConfig(), clockToleranceSeconds: 0 });
    expect(await refusalOf(exact, await idpToken(LEAD, { iat: -300, exp: -10 }))).toBe('token expired');
  });
});

test('refuses a token that is not valid yet (nbf beyond the tolerance)', async () => {
  const notYet = await new SignJWT({ ...LEAD, nbf: Math.floor(Date.now() / 1000) + 120 })
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-key-1' })
    .setSubject('carol')
    .setIssuer('https://idp.test')
    .setAudience('arbiter')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  expect(await refusalOf(verify, notYet)).toBe('token is not valid yet (nbf)');
});

test('says the keys could not be fetched when nothing answers at the JWKS URL', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  const unreachable = createTokenVerifier({ ...providerConfig(), jwksUrl: `http://127.0.0.1:${port}/jwks` });
  expect(await refusalOf(unreachable, await idpToken(LEAD))).toBe('token keys could not be fetched');
});

test('will not build a verifier that fetches keys over plain http off loopback', () => {
  expect(() => createTokenVerifier({ ...providerConfig(), jwksUrl: 'http://idp.test/jwks' })).toThrow(/must be an https:\/\/ URL/);
});
