// Who is calling the approvers' endpoint: a JWT, checked against a shared secret (HS256) or an
// identity provider's published keys (RS256/ES256), turned into the caller's id, roles and tenant.
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { approverSchema } from '../common/approval-schemas';
import { externalIdSchema } from '../common/refund-schemas';

export interface AuthConfig {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

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

export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

const MIN_SECRET_LENGTH = 32;
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const secret = config.secret ? new TextEncoder().encode(config.secret) : undefined;
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  if (!secret && !jwks) throw new AuthConfigError('token verification needs a secret or a JWKS URL');
  // The algorithm comes from the token header, so the allowed list is what stops a token that
  // picks its own (alg "none", or HS256 signed with a public key).
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? ASYMMETRIC_ALGORITHMS : [])];
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks) return jwks(header, token);
    throw new AuthError(`token algorithm ${String(header.alg)} is not accepted`);
  };

  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp', 'sub'],
      }));
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

/** jose's error codes to fixed sentences: its messages are safe today, ours stay safe tomorrow. */
function describeRefusal(err: unknown): string {
  if (err instanceof AuthError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm is not accepted';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `token claim ${String((err as { claim?: unknown }).claim ?? '')} is missing or invalid`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'token was signed with an unknown key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return 'token keys could not be fetched';
    default:
      return 'token is malformed';
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

/** Reads the token settings; without a secret or a JWKS URL the server must not start. */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const secret = env.ARBITER_JWT_SECRET || undefined;
  const jwksUrl = env.ARBITER_JWKS_URL || undefined;
  if (!secret && !jwksUrl) {
    throw new AuthConfigError('set ARBITER_JWT_SECRET (at least 32 characters) or ARBITER_JWKS_URL: the approvals endpoint does not run without token verification');
  }
  if (secret && secret.length < MIN_SECRET_LENGTH) {
    throw new AuthConfigError(`ARBITER_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  if (jwksUrl && !URL.canParse(jwksUrl)) throw new AuthConfigError('ARBITER_JWKS_URL is not a valid URL');
  return { secret, jwksUrl, issuer: env.ARBITER_JWT_ISSUER || undefined, audience: env.ARBITER_JWT_AUDIENCE || undefined };
}
