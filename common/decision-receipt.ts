// A human decision's signed receipt: the endpoint signs the canonical decision with Ed25519, and
// anyone holding the public keys (policies/trust.yaml) can check it later. Pure JavaScript
// (@noble/curves), so the workflow sandbox may use the same check as `arbiter audit verify`.
import { ed25519 } from '@noble/curves/ed25519';
import { z } from 'zod';
import { builtOnce } from './built-once';
import { canonicalJson } from './canonical-json';

const base64 = builtOnce('decision-receipt#base64', () =>
  z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'));

export const decisionReceiptSchema = builtOnce('decision-receipt#decisionReceiptSchema', () =>
  z.object({
    /** Which key in trust.yaml's `decisionKeys` signed it. */
    keyId: z.string().min(1).max(128),
    /** Ed25519 signature over `receiptMessage(signed)`, base64. */
    signature: base64,
    /** The decision as signed (canonical JSON of this object is what the signature covers). */
    signed: z.record(z.string(), z.unknown()),
  }));
export type DecisionReceipt = z.infer<typeof decisionReceiptSchema>;

export const decisionKeySchema = builtOnce('decision-receipt#decisionKeySchema', () =>
  z.object({
    id: z.string().min(1).max(128),
    /** The raw 32-byte Ed25519 public key, base64. */
    publicKey: base64.refine((value) => decodeBase64(value)?.length === 32, 'must be a base64 raw 32-byte Ed25519 public key'),
  }));
export type DecisionKey = z.infer<typeof decisionKeySchema>;

export type ReceiptVerdict = 'valid' | 'invalid' | 'unknown-key';
export type ReceiptChecker = (receipt: unknown) => ReceiptVerdict;

/** The bytes a receipt's signature covers: the UTF-8 canonical JSON of the signed decision. Signers use this too. */
export function receiptMessage(signed: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(canonicalJson(signed));
}

/**
 * Checks receipts against the trusted keys. A receipt of the wrong shape is `invalid`, never an
 * exception: it comes from a trail that may have been tampered with.
 */
export function createReceiptChecker(keys: readonly DecisionKey[]): ReceiptChecker {
  const publicKeys = new Map<string, Uint8Array>();
  for (const key of keys) {
    const bytes = decodeBase64(key.publicKey);
    if (bytes?.length === 32) publicKeys.set(key.id, bytes);
  }
  return (raw) => {
    const parsed = decisionReceiptSchema.safeParse(raw);
    if (!parsed.success) return 'invalid';
    const receipt = parsed.data;
    const publicKey = publicKeys.get(receipt.keyId);
    if (!publicKey) return 'unknown-key';
    const signature = decodeBase64(receipt.signature);
    if (signature?.length !== 64) return 'invalid';
    try {
      // RFC 8032 strict mode (not ZIP 215): the same signatures Node's crypto.verify accepts.
      return ed25519.verify(signature, receiptMessage(receipt.signed), publicKey, { zip215: false }) ? 'valid' : 'invalid';
    } catch {
      return 'invalid'; // a point that does not decode is a bad signature, not a crash
    }
  };
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict standard base64 (padding required), or undefined; no Buffer or atob, so it runs in the workflow sandbox. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text.slice(0, text.length - padding)) {
    value = (value << 6) | alphabet.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (value >> bits) & 0xff;
    }
  }
  // Non-zero leftover bits mean a second spelling of the same bytes: refuse it.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes;
}
