// sha256 over canonical JSON, in pure JavaScript so it runs inside the workflow sandbox too.
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-json';

export function contentHash(value: unknown): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalJson(value))));
}
