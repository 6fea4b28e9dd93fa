// One `kid:base64key` entry of a key variable (payload keys, decision keys), checked the same way
// for every kind of key. Errors name the entry and the key id, never key material.

/** Key ids travel in payload metadata, signatures and error messages: short and plain. */
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface KeyEntrySpec {
  bytes: number;
  /** Ends the wrong-length message, e.g. `Ed25519 keys are 32`. */
  sizeHint: string;
  /** The configuration error of the caller's kind of key. */
  fail: (message: string) => Error;
}

export function parseKeyEntry(entry: string, where: string, spec: KeyEntrySpec): { kid: string; bytes: Buffer } {
  const colon = entry.indexOf(':');
  if (colon < 0) throw spec.fail(`${where} is not kid:base64key (no ":" found)`);
  const kid = entry.slice(0, colon);
  const encoded = entry.slice(colon + 1);
  if (!KEY_ID_PATTERN.test(kid)) throw spec.fail(`${where}: the key id must be 1-64 letters, digits, ".", "_" or "-"`);
  // Buffer.from(…, 'base64') skips what is not base64, so check the text before trusting the length.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw spec.fail(`${where}: the key of "${kid}" is not base64`);
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== spec.bytes) throw spec.fail(`${where}: the key of "${kid}" is ${bytes.length} bytes; ${spec.sizeHint}`);
  return { kid, bytes };
}
