// The approvers' endpoint's identity settings from the environment: how tokens are verified (a
// local shared secret, or an identity provider's keys with issuer and audience pinned) and, when
// configured, the OpenID Connect sign-in the page runs. Anything unsafe refuses to start, naming
// the variable.
import { isIPv4 } from 'node:net';
import type { AuthConfig } from './auth';

/** What the page needs to sign people in itself: public settings, nothing secret. */
export interface OidcSignIn {
  issuer: string;
  clientId: string;
  scopes: string[];
  /** The API the access token is requested for (RFC 8707 resource indicator): the token's audience. Absent when turned off. */
  resource?: string;
}

export interface EndpointAuth {
  tokens: AuthConfig;
  signIn?: OidcSignIn;
  /** Said at start-up: settings that were given but are not in effect. */
  notices: string[];
}

/** The identity settings are unsafe or incomplete: the endpoint must not start. */
export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

const MIN_SECRET_LENGTH = 32;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const DEFAULT_MAX_TTL_SECONDS = 12 * 60 * 60;
/** A larger tolerance would keep expired tokens alive for minutes: more likely a typo than a clock. */
const MAX_CLOCK_TOLERANCE_SECONDS = 300;
const DEFAULT_OIDC_SCOPES = ['openid'];

export function endpointAuthFromEnv(env: NodeJS.ProcessEnv = process.env): EndpointAuth {
  const secret = env.ARBITER_JWT_SECRET || undefined;
  const jwksUrl = env.ARBITER_JWKS_URL || undefined;
  const rules = {
    clockToleranceSeconds: clockToleranceFromEnv(env.ARBITER_JWT_CLOCK_TOLERANCE),
    maxTtlSeconds: maxTtlFromEnv(env.ARBITER_JWT_MAX_TTL),
  };
  const signInWanted = Boolean(env.ARBITER_OIDC_ISSUER || env.ARBITER_OIDC_CLIENT_ID);

  if (!jwksUrl) {
    if (signInWanted) throw new AuthConfigError('ARBITER_OIDC_ISSUER needs ARBITER_JWKS_URL (the provider\'s jwks_uri), ARBITER_JWT_ISSUER and ARBITER_JWT_AUDIENCE: the page\'s tokens are verified with the provider\'s keys');
    if (!secret) {
      throw new AuthConfigError('set ARBITER_JWT_SECRET (at least 32 characters) or ARBITER_JWKS_URL: the approvals endpoint does not run without token verification');
    }
    if (secret.length < MIN_SECRET_LENGTH) throw new AuthConfigError(`ARBITER_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
    return { tokens: { secret, ...rules }, notices: [] };
  }

  checkKeySourceUrl(jwksUrl, 'ARBITER_JWKS_URL');
  const issuer = required(env, 'ARBITER_JWT_ISSUER', 'with ARBITER_JWKS_URL, tokens must name the identity provider that issued them');
  const audience = required(env, 'ARBITER_JWT_AUDIENCE', 'with ARBITER_JWKS_URL, tokens must be meant for this endpoint, or any token of the provider would do');
  const notices = secret
    ? ['ARBITER_JWT_SECRET is ignored: with ARBITER_JWKS_URL set, only tokens signed by the identity provider are accepted (HS256 is off)']
    : [];
  const tokens = { jwksUrl, issuer, audience, ...rules };
  return signInWanted ? { tokens, signIn: oidcSignInFromEnv(env, tokens), notices } : { tokens, notices };
}

function oidcSignInFromEnv(env: NodeJS.ProcessEnv, tokens: { issuer: string; audience: string }): OidcSignIn {
  const issuer = required(env, 'ARBITER_OIDC_ISSUER', 'the page\'s sign-in needs the identity provider and the client registered for the page');
  const clientId = required(env, 'ARBITER_OIDC_CLIENT_ID', 'the page\'s sign-in needs the identity provider and the client registered for the page');
  checkKeySourceUrl(issuer, 'ARBITER_OIDC_ISSUER');
  if (issuer !== tokens.issuer) {
    throw new AuthConfigError('ARBITER_OIDC_ISSUER must equal ARBITER_JWT_ISSUER: the page\'s tokens come from that provider and are checked against it');
  }
  // An ID token carries the client id as its audience; were the two equal, an ID token would pass for an access token.
  if (clientId === tokens.audience) {
    throw new AuthConfigError('ARBITER_JWT_AUDIENCE must name the API, not the page\'s client ARBITER_OIDC_CLIENT_ID: otherwise an ID token would be accepted as an access token');
  }
  const scopes = env.ARBITER_OIDC_SCOPES ? env.ARBITER_OIDC_SCOPES.split(/[\s,]+/).filter(Boolean) : DEFAULT_OIDC_SCOPES;
  if (!scopes.includes('openid')) throw new AuthConfigError('ARBITER_OIDC_SCOPES must include openid');
  if (!scopes.every((scope) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) throw new AuthConfigError('ARBITER_OIDC_SCOPES holds a character a scope may not have');
  // Some providers refuse the `resource` parameter and take the API from a scope instead.
  const resource = env.ARBITER_OIDC_RESOURCE?.trim() || tokens.audience;
  return resource === 'off' ? { issuer, clientId, scopes } : { issuer, clientId, scopes, resource };
}

function required(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const value = env[name]?.trim();
  if (!value) throw new AuthConfigError(`${name} is required: ${why}`);
  return value;
}

/** Keys and sign-in must come over TLS: plain http is allowed only where nobody sits between (loopback). */
export function checkKeySourceUrl(value: string, variable: string): void {
  if (!URL.canParse(value)) throw new AuthConfigError(`${variable} is not a valid URL`);
  const url = new URL(value);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  throw new AuthConfigError(`${variable} must be an https:// URL (plain http:// only on loopback: 127.0.0.0/8, ::1, localhost)`);
}

/** A URL's hostname (`[::1]`) or a socket address's host (`::1`) on this machine only. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]' || hostname === '::1') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

function clockToleranceFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(seconds <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new AuthConfigError(`ARBITER_JWT_CLOCK_TOLERANCE must be whole seconds from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  return seconds;
}

function maxTtlFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_MAX_TTL_SECONDS;
  const seconds = parseDurationSeconds(value.trim());
  if (seconds === undefined || seconds <= 0) throw new AuthConfigError('ARBITER_JWT_MAX_TTL must be a positive duration: 12h, 30m or seconds (3600)');
  return seconds;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** `12h`, `30m`, `45s` or bare seconds; anything else is undefined. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d{1,9})([smh]?)$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's') as keyof typeof UNIT_SECONDS];
}
