// The keys that encrypt Temporal payloads: `ARBITER_PAYLOAD_KEYS` as `kid:base64key,...` (AES-256,
// 32-byte keys). The first key encrypts, every key decrypts, so a new key goes first and the old
// ones stay until no history needs them. Errors name the entry and the key id, never key material.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseKeyEntry, type KeyEntrySpec } from './key-entry';
import { dataDir, localSecretFile } from './local-secret';

export const PAYLOAD_KEYS_VARIABLE = 'ARBITER_PAYLOAD_KEYS';
const KEY_BYTES = 32;

const PAYLOAD_KEY_SPEC: KeyEntrySpec = {
  bytes: KEY_BYTES,
  sizeHint: `AES-256 needs ${KEY_BYTES} (e.g. \`openssl rand -base64 32\`)`,
  fail: (message) => new PayloadKeyConfigError(message),
};

export interface PayloadKeyRing {
  /** The key new payloads are encrypted with. */
  readonly encryptWith: string;
  /** Every key that may decrypt, by id. */
  readonly keys: ReadonlyMap<string, Buffer>;
}

export class PayloadKeyConfigError extends Error {
  override name = 'PayloadKeyConfigError';
}

/** Parses a `kid:base64key,...` list; `source` names where it came from in errors. */
export function parsePayloadKeys(value: string, source = PAYLOAD_KEYS_VARIABLE): PayloadKeyRing {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) throw new PayloadKeyConfigError(`${source} is empty; set it to kid:base64key (a 32-byte key)`);
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const where = `${source} entry ${index + 1}`;
    const { kid, bytes } = parseKeyEntry(entry, where, PAYLOAD_KEY_SPEC);
    if (keys.has(kid)) throw new PayloadKeyConfigError(`${where}: key id "${kid}" appears twice`);
    keys.set(kid, bytes);
  });
  return { encryptWith: [...keys.keys()][0]!, keys };
}

export function localPayloadKeysPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'payload-keys');
}

/**
 * The local key list `npm start` and `npm run demo` use when ARBITER_PAYLOAD_KEYS is unset: made
 * once in the data folder (owner-only) when `create` is true, so every process they start, and
 * later runs over the same history, read payloads with the same key.
 */
export function localPayloadKeys(options: { create: boolean }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return localSecretFile(localPayloadKeysPath(env), options, () => `local-1:${randomBytes(KEY_BYTES).toString('base64')}`);
}
