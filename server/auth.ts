// Who is calling the approvers' endpoint: a JWT, checked against a shared secret (HS256, local
// runs) or an identity provider's published keys (RS256/ES256, issuer and audience pinned), within
// a clock tolerance and a maximum lifetime, turned into the caller's id, roles and tenant.
// Settings come from the environment through auth-config.ts; docs/identity.md explains them.
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { approverSchema } from '../common/approval-schemas';
import { externalIdSchema } from '../common/id-and-money-schemas';
import { AuthConfigError, checkKeySourceUrl, DEFAULT_CLOCK_TOLERANCE_SECONDS, DEFAULT_MAX_TTL_SECONDS } from './auth-config';

interface TokenRules {
  /** Seconds a token's exp and nbf may be off by, for clocks that drift (default 30). */
  clockToleranceSeconds?: number;
  /** The longest lifetime (exp - iat) accepted, in seconds (default 12 h); tokens without iat are refused. */
  maxTtlSeconds?: number;
}
/** Local runs: HS256 with a shared secret. */
export interface LocalSecretConfig extends TokenRules {
  secret: string;
}
/** An identity provider: its published keys, and the issuer and audience every token must carry. */
export interface IdentityProviderConfig extends TokenRules {
  jwksUrl: string;
  issuer: string;
  audience: string;
}
/** One or the other, never both: a shared secret beside the provider's keys would be a second way in. */
export type AuthConfig = LocalSecretConfig | IdentityProviderConfig;

/** The tenant claim of an operator of the whole installation; never implied by a missing claim. */
export const ALL_TENANTS = '*';

/** The caller's claims, checked with the shapes the workflow itself re-checks an approver with. */
const callerClaimsSchema = z.object({
  sub: externalIdSchema,
  roles: approverSchema.shape.roles,
  // Optional here so the endpoint can answer a token without one with 403 (it is authentic, it
  // just grants nothing); `*` is an operator's explicit claim on every tenant.
  tenant: z.union([externalIdSchema, z.literal(ALL_TENANTS)]).optional(),
});
export type Caller = { id: string; roles: string[]; tenant?: string };
export type TokenVerifier = (token: string) => Promise<Caller>;

/** A token was missing or refused. The message names why, never the token itself. */
export class AuthError extends Error {
  override name = 'AuthError';
}

export { AuthConfigError };

const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const clockTolerance = config.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const maxTtlSeconds = config.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
  const { key, algorithms, issuer, audience } = keySource(config);

  return async (token) => {
    let payload: JWTPayload;
    try {
      // The algorithm comes from the token header, so the allowed list is what stops a token that
      // picks its own (alg "none", or HS256 signed with the provider's public key).
      ({ payload } = await jwtVerify(token, key, { algorithms, issuer, audience, clockTolerance, requiredClaims: ['exp', 'iat', 'sub'] }));
      checkLifetime(payload, clockTolerance, maxTtlSeconds);
    } catch (err) {
      throw new AuthError(describeRefusal(err));
    }
    const claims = callerClaimsSchema.safeParse(payload);
    if (!claims.success) {
      const field = claims.error.issues[0]?.path.join('.') || 'claims';
      throw new AuthError(`token claim ${field} is missing or malformed`);
    }
    const { sub, roles, tenant } = claims.data;
    return tenant === undefined ? { id: sub, roles } : { id: sub, roles, tenant };
  };
}

function keySource(config: AuthConfig): { key: JWTVerifyGetKey; algorithms: string[]; issuer?: string; audience?: string } {
  if ('jwksUrl' in config) {
    checkKeySourceUrl(config.jwksUrl, 'the JWKS URL');
    if (!config.issuer || !config.audience) throw new AuthConfigError('a JWKS URL needs the issuer and the audience tokens must carry');
    return { key: keysFetchedFrom(new URL(config.jwksUrl)), algorithms: ASYMMETRIC_ALGORITHMS, issuer: config.issuer, audience: config.audience };
  }
  if (!config.secret) throw new AuthConfigError('token verification needs a secret or a JWKS URL');
  const secret = new TextEncoder().encode(config.secret);
  return { key: () => secret, algorithms: ['HS256'] };
}

/** The provider's keys; a failed fetch (refused, timed out, not a JWKS) is said as such, not as a bad token. */
function keysFetchedFrom(url: URL): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
      throw new AuthError('token keys could not be fetched');
    }
  };
}

/**
 * A stolen token is good until it expires, so a provider misconfigured to issue long-lived tokens
 * is refused here: exp - iat must stay within the maximum, and iat may not lie in the future
 * (a future iat would stretch the window the lifetime check measures).
 */
function checkLifetime(payload: JWTPayload, clockTolerance: number, maxTtlSeconds: number): void {
  const { iat, exp } = payload as { iat: number; exp: number };
  if (iat > Date.now() / 1000 + clockTolerance) throw new AuthError('token issued-at time (iat) is in the future');
  if (exp - iat > maxTtlSeconds) throw new AuthError(`token lifetime (iat to exp) is longer than the ${formatSeconds(maxTtlSeconds)} allowed`);
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** jose's error codes to fixed sentences: its messages are safe today, ours stay safe tomorrow. */
function describeRefusal(err: unknown): string {
  if (err instanceof AuthError) return err.message;
  const { code, claim, reason } = (err ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm is not accepted';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return describeClaimRefusal(claim, reason);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'token was signed with an unknown key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return 'token keys could not be fetched';
    default:
      return 'token is malformed';
  }
}

function describeClaimRefusal(claim: unknown, reason: unknown): string {
  switch (claim) {
    case 'iss':
      return 'token issuer (iss) is not the one this endpoint trusts';
    case 'aud':
      return 'token audience (aud) is not this endpoint';
    case 'nbf':
      return 'token is not valid yet (nbf)';
    case 'iat':
      return reason === 'missing' ? 'token has no issued-at time (iat), so its lifetime cannot be checked' : 'token issued-at time (iat) is invalid';
    case 'exp':
    case 'sub':
      return `token claim ${claim} is missing or invalid`;
    default:
      return 'token claims are invalid';
  }
}

export interface LocalTokenClaims {
  sub: string;
  roles: string[];
  tenant?: string;
  /** A jose time span ('8h', '15m'; '-1m' mints an already expired token). */
  expiresIn?: string;
}

/** A token for local use and tests, signed with the shared secret. */
export async function mintLocalToken(secret: string, claims: LocalTokenClaims): Promise<string> {
  const body = claims.tenant === undefined ? { roles: claims.roles } : { roles: claims.roles, tenant: claims.tenant };
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '8h')
    .sign(new TextEncoder().encode(secret));
}
