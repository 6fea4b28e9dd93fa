// Sign-in through the company's identity provider for the approvers' page: OpenID Connect,
// authorization code flow with PKCE (S256), as a public client (no secret can live in a browser).
// The provider's endpoints come from its discovery document. What must survive the redirect
// (state, nonce, code verifier) waits in sessionStorage for this tab only and is used once; the
// access token it ends with is handed back to the page, which keeps it in memory.
/* global window, fetch, sessionStorage, crypto, atob, btoa, TextEncoder, URL, URLSearchParams */

const PENDING_KEY = 'arbiter.approvals.oidc-pending';

/** A sign-in that could not finish; the message is for the person and never holds a token. */
export class SignInError extends Error {}

/** The claims of a JWT, decoded only: for display and the ID token's nonce, never for trust. */
export function claimsOf(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return {};
  }
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The page itself, as registered with the provider: the redirect URI. */
function redirectUri() {
  return `${window.location.origin}/`;
}

/** The provider's endpoints, from its discovery document; it must speak for the configured issuer. */
async function discover(config) {
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let metadata;
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    metadata = await response.json();
  } catch {
    throw new SignInError('The identity provider could not be reached.');
  }
  if (metadata.issuer !== config.issuer) throw new SignInError('The identity provider answered for another issuer.');
  for (const name of ['authorization_endpoint', 'token_endpoint']) {
    if (typeof metadata[name] !== 'string' || !URL.canParse(metadata[name])) throw new SignInError(`The identity provider publishes no usable ${name}.`);
  }
  // The page's Content-Security-Policy lets it talk to the issuer's origin only.
  if (new URL(metadata.token_endpoint).origin !== new URL(config.issuer).origin) {
    throw new SignInError("The identity provider's token endpoint is on another origin than its issuer, which this page may not call.");
  }
  return metadata;
}

/** True when the address carries the provider's answer to a sign-in. */
export function isSignInCallback() {
  const params = new URLSearchParams(window.location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/** Sends the browser to the provider's sign-in; comes back to this page with a code. */
export async function beginSignIn(config) {
  if (!crypto.subtle) throw new SignInError('Sign-in needs a secure page: open it over https (or on localhost).');
  const metadata = await discover(config);
  const pending = { state: randomString(), nonce: randomString(), verifier: randomString() };
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier)));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const target = new URL(metadata.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scopes.join(' '),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  if (config.resource) params.resource = config.resource;
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
  window.location.assign(target.href);
}

/** Finishes a sign-in on the callback: checks state, iss and nonce, exchanges the code, returns the access token. */
export async function completeSignIn(config) {
  const params = new URLSearchParams(window.location.search);
  const pending = readPending();
  // The code is single use and must not stay in the address bar, the history or a bookmark.
  window.history.replaceState(null, '', window.location.pathname);
  // A callback this tab did not start is someone else's sign-in being planted on this page.
  if (!pending || params.get('state') !== pending.state) throw new SignInError('This sign-in answer does not match a sign-in started in this tab; sign in again.');
  // The provider's error text is not shown: only its code, which is a fixed word.
  const error = params.get('error');
  if (error) throw new SignInError(`The identity provider did not sign you in (${/^[a-z_]{1,64}$/.test(error) ? error : 'error'}).`);
  // RFC 9207: an answer naming another issuer is a mix-up, whatever its code.
  if (params.has('iss') && params.get('iss') !== config.issuer) throw new SignInError('The sign-in answer came from another identity provider.');

  const metadata = await discover(config);
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: params.get('code') || '',
    redirect_uri: redirectUri(),
    client_id: config.clientId,
    code_verifier: pending.verifier,
  });
  if (config.resource) body.set('resource', config.resource);
  let tokens;
  try {
    const response = await fetch(metadata.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body, cache: 'no-store' });
    tokens = await response.json();
    if (!response.ok) throw new Error(String(response.status));
  } catch {
    throw new SignInError('The identity provider did not accept the sign-in code; sign in again.');
  }
  checkIdToken(claimsOf(tokens.id_token), config, pending.nonce);
  if (typeof tokens.access_token !== 'string' || String(tokens.token_type).toLowerCase() !== 'bearer') {
    throw new SignInError('The identity provider returned no bearer access token.');
  }
  return tokens.access_token;
}

function readPending() {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/**
 * The ID token came straight from the token endpoint over TLS, which OpenID Connect lets a client
 * rely on instead of its signature; here it proves the answer belongs to this sign-in (nonce) and
 * this client. The page trusts nothing else in it: the endpoint verifies every token it is sent.
 */
function checkIdToken(claims, config, nonce) {
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.nonce !== nonce || claims.iss !== config.issuer || !audiences.includes(config.clientId)) {
    throw new SignInError('The identity provider returned an ID token for another sign-in; sign in again.');
  }
}
