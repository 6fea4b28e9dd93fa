// Token verification against a JWKS URL, as with a real identity provider: a real HTTP server
// publishes the public key; tokens signed with the private key pass, others do not.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createTokenVerifier, mintLocalToken, type TokenVerifier } from '../server/auth';

let server: http.Server;
let privateKey: KeyLike;
let verify: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  verify = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, issuer: 'https://idp.test', audience: 'arbiter' });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function idpToken(claims: Record<string, unknown>, options: { issuer?: string; key?: KeyLike } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-key-1' })
    .setSubject('carol')
    .setIssuer(options.issuer ?? 'https://idp.test')
    .setAudience('arbiter')
    .setExpirationTime('5m')
    .sign(options.key ?? privateKey);
}

test('accepts a token signed by the identity provider and reads the caller from its claims', async () => {
  expect(await verify(await idpToken({ roles: ['support-lead'], tenant: 'acme' }))).toEqual({
    id: 'carol',
    roles: ['support-lead'],
    tenant: 'acme',
  });
});

test('refuses a token signed with another key', async () => {
  const other = await generateKeyPair('RS256');
  await expect(verify(await idpToken({ roles: ['support-lead'] }, { key: other.privateKey }))).rejects.toThrow(/signature/i);
});

test('refuses a token from another issuer', async () => {
  await expect(verify(await idpToken({ roles: ['support-lead'] }, { issuer: 'https://evil.test' }))).rejects.toMatchObject({ name: 'AuthError' });
});

test('refuses an HS256 token when only the JWKS URL is configured', async () => {
  const forged = await mintLocalToken('a-secret-that-is-long-enough-0123456789', { sub: 'carol', roles: ['support-lead'] });
  await expect(verify(forged)).rejects.toMatchObject({ name: 'AuthError' });
});
