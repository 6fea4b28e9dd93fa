// Authorization headers the approvers' endpoint must refuse, drawn by fast-check: none at all,
// other schemes, garbage, tokens signed with another secret, unsigned (alg none), expired, of an
// algorithm not accepted, tampered after signing, or signed right but with malformed claims.
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { TEST_SECRET, tokenFor } from '../../helpers/http-approvals';
import { badExternalId, hugeString, notAnArray, notAString, unicodeString } from './bad-values';
import { headerSafe } from './raw-http';

export interface BadCredential {
  kind: string;
  /** The Authorization header to send; undefined sends none. */
  header: () => Promise<string | undefined>;
}

const CAROL_CLAIMS = { sub: 'carol', roles: ['support-lead'] };
const encoder = new TextEncoder();
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token over `claims`; `expires: null` leaves the exp claim out. */
function signed(claims: Record<string, unknown>, secret: string, { alg = 'HS256', expires = '1h' }: { alg?: string; expires?: string | null } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt();
  return (expires === null ? jwt : jwt.setExpirationTime(expires)).sign(encoder.encode(secret));
}

const present = (arb: fc.Arbitrary<unknown>) => arb.filter((v) => v !== undefined);

/** Claims that break the caller schema whatever is drawn (an optional claim is never left out), in a token under Node's 16 KiB header limit. */
const malformedClaims: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  badExternalId(128, 2_000).map((sub) => ({ ...CAROL_CLAIMS, sub })),
  fc
    .oneof(
      notAnArray,
      fc.array(present(notAString), { minLength: 1, maxLength: 3 }),
      fc.constant(['']),
      fc.array(fc.constant('support-lead'), { minLength: 33, maxLength: 40 }),
      hugeString(65, 2_000).map((role) => [role]),
    )
    .map((roles) => ({ ...CAROL_CLAIMS, roles })),
  present(badExternalId(128, 2_000)).map((tenant) => ({ ...CAROL_CLAIMS, tenant })),
);

const bearer = (token: string) => `Bearer ${token}`;

export const badCredential: fc.Arbitrary<BadCredential> = fc.oneof(
  fc.constant<BadCredential>({ kind: 'missing', header: async () => undefined }),
  fc
    .tuple(fc.constantFrom('Basic ', 'Token ', 'Bearer', 'Bearer  ', 'Digest ', ''), unicodeString(40))
    .map(([scheme, rest]) => ({ kind: 'other scheme', header: async () => headerSafe(`${scheme}${rest}`) })),
  unicodeString(200).map((garbage) => ({ kind: 'garbage token', header: async () => bearer(headerSafe(garbage) || 'x') })),
  fc
    .tuple(fc.jsonValue(), fc.jsonValue(), fc.string({ maxLength: 40 }))
    .map(([head, body, signature]) => ({ kind: 'three-part garbage', header: async () => bearer(`${base64url(head)}.${base64url(body)}.${Buffer.from(signature).toString('base64url')}`) })),
  fc.string({ minLength: 32, maxLength: 64 }).map((secret) => ({
    kind: 'another secret',
    header: async () => bearer(await signed(CAROL_CLAIMS, secret === TEST_SECRET ? `${secret}x` : secret)),
  })),
  fc.constant<BadCredential>({
    kind: 'alg none',
    header: async () => bearer(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...CAROL_CLAIMS, exp: Math.floor(Date.now() / 1000) + 3600 })}.`),
  }),
  fc.integer({ min: 1, max: 100_000 }).map((minutes) => ({ kind: 'expired', header: async () => bearer(await tokenFor('carol', ['support-lead'], { expiresIn: `-${minutes}m` })) })),
  fc.constantFrom('HS384', 'HS512').map((alg) => ({ kind: 'algorithm not accepted', header: async () => bearer(await signed(CAROL_CLAIMS, TEST_SECRET, { alg })) })),
  fc.constant<BadCredential>({ kind: 'no expiry', header: async () => bearer(await signed(CAROL_CLAIMS, TEST_SECRET, { expires: null })) }),
  fc.record({ sub: fc.constantFrom('mallory', 'carol'), roles: fc.constantFrom(['finance'], ['support-lead', 'finance-manager']) }).map((claims) => ({
    kind: 'tampered payload',
    header: async () => {
      const [head, , signature] = (await tokenFor('fin-1', ['finance'])).split('.');
      return bearer(`${head}.${base64url({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 })}.${signature}`);
    },
  })),
  malformedClaims.map((claims) => ({ kind: 'malformed claims', header: async () => bearer(await signed(claims, TEST_SECRET)) })),
);
