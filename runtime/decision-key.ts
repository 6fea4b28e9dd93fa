// The approvers' endpoint's signing key, and the public keys workers trust beside trust.yaml.
// `ARBITER_DECISION_KEY` is `kid:base64seed` (a raw 32-byte Ed25519 private key); only the
// endpoint (and a service that signs through the typed client) holds it. Workers need only the
// public part: trust.yaml lists it, or `ARBITER_DECISION_PUBLIC_KEYS` (`kid:base64key,...`) adds
// it to every policy they pin. Errors name the variable and the key id, never key material.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519';
import { receiptMessage, type DecisionKey } from '../common/decision-receipt';
import type { Statement, StatementSignature } from '../common/signed-statements';
import { parseKeyEntry, type KeyEntrySpec } from './key-entry';
import { dataDir, localSecretFile } from './local-secret';

export const DECISION_KEY_VARIABLE = 'ARBITER_DECISION_KEY';
export const DECISION_PUBLIC_KEYS_VARIABLE = 'ARBITER_DECISION_PUBLIC_KEYS';

export class DecisionKeyConfigError extends Error {
  override name = 'DecisionKeyConfigError';
}

/** A private signing key. Its seed never leaves this object except through `sign`. */
export interface DecisionSigningKey {
  readonly keyId: string;
  /** The public half, as trust.yaml lists it. */
  readonly publicKey: DecisionKey;
  /** The signature a decision or proposal carries: key id, Ed25519 signature, and the statement's time. */
  sign(statement: Statement): StatementSignature;
}

const DECISION_KEY_SPEC: KeyEntrySpec = { bytes: 32, sizeHint: 'Ed25519 keys are 32', fail: (message) => new DecisionKeyConfigError(message) };


/** A signing key from `kid:base64seed`. */
export function parseDecisionKey(value: string, source = DECISION_KEY_VARIABLE): DecisionSigningKey {
  const { kid, bytes } = parseKeyEntry(value.trim(), source, DECISION_KEY_SPEC);
  const seed = new Uint8Array(bytes);
  const publicKey = { id: kid, publicKey: Buffer.from(ed25519.getPublicKey(seed)).toString('base64') };
  return {
    keyId: kid,
    publicKey,
    sign: (statement) => ({ keyId: kid, value: Buffer.from(ed25519.sign(receiptMessage(statement), seed)).toString('base64'), at: statement.at }),
  };
}

/** Public keys from `kid:base64key,...`; an empty value is no keys. */
export function parseDecisionPublicKeys(value: string, source = DECISION_PUBLIC_KEYS_VARIABLE): DecisionKey[] {
  const keys: DecisionKey[] = [];
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const { kid, bytes } = parseKeyEntry(entry, `${source} entry ${index + 1}`, DECISION_KEY_SPEC);
      if (keys.some((key) => key.id === kid)) throw new DecisionKeyConfigError(`${source} entry ${index + 1}: key id "${kid}" appears twice`);
      keys.push({ id: kid, publicKey: bytes.toString('base64') });
    });
  return keys;
}

export function decisionPublicKeysFromEnv(env: NodeJS.ProcessEnv = process.env): DecisionKey[] {
  return parseDecisionPublicKeys(env[DECISION_PUBLIC_KEYS_VARIABLE] ?? '');
}

/** The endpoint's key; it refuses to start without one, since a run takes no unsigned decision. */
export function decisionKeyFromEnv(env: NodeJS.ProcessEnv = process.env): DecisionSigningKey {
  const value = env[DECISION_KEY_VARIABLE];
  if (!value) throw new DecisionKeyConfigError(`${DECISION_KEY_VARIABLE} is not set; set it to kid:base64key (a 32-byte Ed25519 seed, e.g. \`openssl rand -base64 32\`) and list its public key in policies/trust.yaml`);
  return parseDecisionKey(value);
}

export function localDecisionKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'decision-key');
}

/**
 * The key `npm start` and `npm run demo` sign with when ARBITER_DECISION_KEY is unset: made once
 * in the data folder (owner-only), so runs waiting across restarts still take the endpoint's
 * decisions. Its public part reaches the workers through ARBITER_DECISION_PUBLIC_KEYS.
 */
export function localDecisionKey(options: { create: boolean }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Created exclusively: two starts at once must not each write a key and disagree with what workers pinned.
  return localSecretFile(localDecisionKeyPath(env), options, () => `local-1:${randomBytes(32).toString('base64')}`);
}

/** `kid:base64key` of a signing key's public half, as ARBITER_DECISION_PUBLIC_KEYS takes it. */
export function publicKeyEntry(key: DecisionSigningKey): string {
  return `${key.publicKey.id}:${key.publicKey.publicKey}`;
}

/**
 * For a process that starts its own endpoint and workers (the bench): a fresh key in
 * ARBITER_DECISION_KEY, trusted through ARBITER_DECISION_PUBLIC_KEYS, unless a key is set already.
 */
export function useEphemeralDecisionKey(env: NodeJS.ProcessEnv = process.env): void {
  if (env[DECISION_KEY_VARIABLE]) return;
  env[DECISION_KEY_VARIABLE] = `ephemeral:${randomBytes(32).toString('base64')}`;
  env[DECISION_PUBLIC_KEYS_VARIABLE] = publicKeyEntry(parseDecisionKey(env[DECISION_KEY_VARIABLE]));
}

/** Two key lists as one; an id naming two different keys is a configuration error naming where. */
export function mergeDecisionKeys(listed: readonly DecisionKey[], extra: readonly DecisionKey[], extraSource = DECISION_PUBLIC_KEYS_VARIABLE): DecisionKey[] {
  const keys = [...listed];
  for (const key of extra) {
    const same = keys.find((k) => k.id === key.id);
    if (!same) keys.push(key);
    else if (same.publicKey !== key.publicKey) throw new DecisionKeyConfigError(`key id "${key.id}" in ${extraSource} names another key than trust.yaml's`);
  }
  return keys;
}

/**
 * What `arbiter audit verify` trusts beside trust.yaml: ARBITER_DECISION_PUBLIC_KEYS, and the
 * local key `npm start` signs with when no key is configured, so a local trail verifies as is.
 */
export function verifierDecisionKeys(env: NodeJS.ProcessEnv = process.env): DecisionKey[] {
  const configured = decisionPublicKeysFromEnv(env);
  const local = env[DECISION_KEY_VARIABLE] ? undefined : localDecisionKey({ create: false }, env);
  return local ? mergeDecisionKeys(configured, [parseDecisionKey(local, localDecisionKeyPath(env)).publicKey], localDecisionKeyPath(env)) : configured;
}
