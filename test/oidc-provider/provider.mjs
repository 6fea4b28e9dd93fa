// A real OpenID provider for the approvers' page tests, run as its own process because
// oidc-provider is ESM-only: one public client for the page (authorization code with PKCE S256,
// redirect back to the page), a test user with the claims Arbiter reads (sub, roles, tenant), and
// JWT access tokens for the API's audience. A machine client (client credentials) gives tests
// tokens without a browser, and a second issuer signing with the same keys lets them show the
// endpoint checks the issuer, not only the signature. Prints one JSON line, then serves until killed.
/* global process, console */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const env = process.env;
const PAGE_CLIENT_ID = env.OIDC_PAGE_CLIENT_ID ?? 'arbiter-approvals-page';
const MACHINE_CLIENT = { id: 'test-machine', secret: 'test-machine-secret-0123456789' };
/** Resource indicators the provider issues access tokens for: the API's audience and one more. */
const AUDIENCES = [env.OIDC_AUDIENCE ?? 'https://arbiter.test/approvals', env.OIDC_OTHER_AUDIENCE ?? 'https://other-api.test'];
const ACCOUNTS = {
  carol: { roles: ['support-lead'], tenant: 'acme' },
  // The machine client's tokens carry a caller too, so the positive control can call the API.
  [MACHINE_CLIENT.id]: { roles: ['support-lead'], tenant: 'acme' },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-provider-key', alg: 'RS256', use: 'sig' };

function configuration() {
  return {
    clients: [
      {
        client_id: PAGE_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [env.OIDC_REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: MACHINE_CLIENT.id,
        client_secret: MACHINE_CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: ['oidc-test-provider-cookie-key-0123456789'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo(_ctx, indicator) {
          if (!AUDIENCES.includes(indicator)) throw new errors.InvalidTarget();
          return { scope: 'approvals', audience: indicator, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    findAccount(_ctx, id) {
      if (!ACCOUNTS[id]) return undefined;
      return { accountId: id, claims: () => ({ sub: id }) };
    },
    extraTokenClaims(_ctx, token) {
      const account = ACCOUNTS[token.accountId ?? token.clientId];
      return token.kind === 'AccessToken' || token.kind === 'ClientCredentials' ? account : undefined;
    },
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris.some((uri) => new URL(uri).origin === origin);
    },
  };
}

async function startIssuer() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.on('server_error', (_ctx, err) => console.error('provider error:', err));
  server.on('request', provider.callback());
  return issuer;
}

const [issuer, otherIssuer] = await Promise.all([startIssuer(), startIssuer()]);
console.log(JSON.stringify({ issuer, otherIssuer, machineClient: MACHINE_CLIENT }));
