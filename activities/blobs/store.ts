// A content-addressed blob store: the key of a blob is the sha256 of its bytes, and every read
// hashes the bytes again, so what comes back is what was put, or an error, never other data.
import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { BLOB_CORRUPTED, BLOB_NOT_FOUND } from '../../common/error-types';

export interface BlobRef {
  /** sha256 of the content, lower-case hex. */
  digest: string;
  /** Bytes. */
  size: number;
}

export interface BlobStore {
  /** Stores the bytes under their digest; the same content twice is one blob. */
  put(content: Uint8Array): Promise<BlobRef>;
  /** The bytes stored under the digest, re-verified; undefined when there are none. */
  get(digest: string): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

export const digestPattern = /^[0-9a-f]{64}$/;

export function digestOf(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Refuses a malformed digest before it becomes a file path or a query. */
export function assertDigest(digest: string): void {
  if (!digestPattern.test(digest)) throw ApplicationFailure.nonRetryable(`blob digest must be 64 lower-case hex digits`, BLOB_NOT_FOUND);
}

/** The stored bytes, if they still hash to their name; a tampered or damaged blob is refused. */
export function verified(digest: string, content: Uint8Array, where: string): Uint8Array {
  const actual = digestOf(content);
  if (actual !== digest) {
    throw ApplicationFailure.nonRetryable(`blob ${digest} in ${where} does not match its digest (its content hashes to ${actual})`, BLOB_CORRUPTED);
  }
  return content;
}
