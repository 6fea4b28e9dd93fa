// Encrypts every Temporal payload Arbiter writes (workflow inputs, activity inputs and results,
// signals, queries, approval cards) with AES-256-GCM, so the server's history, visibility store
// and Web UI hold ciphertext. Codecs run outside the workflow sandbox: workers, clients and the
// codec server use this, workflow code never imports it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKeyRing } from './payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted; the message names the key id, never key material or content. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
}

/**
 * The key id is authenticated with the ciphertext, so a payload cannot be relabelled with another
 * id; the version prefix leaves room for a different layout later.
 */
function additionalData(kid: string): Buffer {
  return Buffer.from(`arbiter-payload-v1:${kid}`, 'utf8');
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyRing: PayloadKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const kid = this.keyRing.encryptWith;
    const key = this.keyRing.keys.get(kid)!;
    return payloads.map((payload) => {
      // The whole original payload, metadata included, goes inside: its encoding (json/plain,
      // binary/null, ...) comes back on decode, so every payload converter keeps working.
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(additionalData(kid));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(kid) },
        data: sealed,
      };
    });
  }

  /**
   * Plain payloads pass through: runs started before encryption was on, and the recorded histories
   * of those runs, must still be read.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const kidBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!kidBytes) throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA} in its metadata`);
    const kid = printable(fromUtf8.decode(kidBytes));
    const key = this.keyRing.keys.get(kid);
    if (!key) {
      throw new PayloadDecryptionError(`payload was encrypted with key id "${kid}", which is not among the configured keys (${[...this.keyRing.keys.keys()].join(', ')})`);
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`payload encrypted with key id "${kid}" is too short to be a ciphertext`);
    const sealed = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(additionalData(kid));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`payload encrypted with key id "${kid}" failed authentication: altered, or sealed with another key under that id`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

/** A key id read from a payload is whatever its sender wrote: keep it short and printable before echoing it. */
function printable(text: string): string {
  const cleaned = text.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 64 ? `${cleaned.slice(0, 64)}...` : cleaned;
}
