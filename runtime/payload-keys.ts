// The keys that encrypt Temporal payloads: `ARBITER_PAYLOAD_KEYS` as `kid:base64key,...` (AES-256,
// 32-byte keys). The first key encrypts, every key decrypts, so a new key goes first and the old
// ones stay until no history needs them. Errors name the entry and the key id, never key material.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataDir } from './local-secret';

export const PAYLOAD_KEYS_VARIABLE = 'ARBITER_PAYLOAD_KEYS';
const KEY_BYTES = 32;
/** Key ids travel in payload metadata and in error messages: short and plain. */
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

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
    const colon = entry.indexOf(':');
    if (colon < 0) throw new PayloadKeyConfigError(`${where} is not kid:base64key (no ":" found)`);
    const kid = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(kid)) throw new PayloadKeyConfigError(`${where}: the key id must be 1-64 letters, digits, ".", "_" or "-"`);
    if (keys.has(kid)) throw new PayloadKeyConfigError(`${where}: key id "${kid}" appears twice`);
    // Buffer.from(…, 'base64') skips what is not base64, so check the text before trusting the length.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new PayloadKeyConfigError(`${where}: the key of "${kid}" is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new PayloadKeyConfigError(`${where}: the key of "${kid}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (e.g. \`openssl rand -base64 32\`)`);
    }
    keys.set(kid, key);
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
  const file = localPayloadKeysPath(env);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (!options.create) return undefined;
  mkdirSync(path.dirname(file), { recursive: true });
  const keys = `local-1:${randomBytes(KEY_BYTES).toString('base64')}`;
  writeFileSync(file, `${keys}\n`, { mode: 0o600 });
  return keys;
}
