// Content-addressed storage for what is too large for a workflow's history (model inputs and
// outputs, tool results): history keeps the digest and size, activities fetch the bytes by
// digest. Activities that produce such data put it through the BlobStore directly, so the bytes
// never pass through history; storeBlob and fetchBlob serve the rest.
import { ApplicationFailure } from '@temporalio/activity';
import path from 'node:path';
import { BLOB_NOT_FOUND } from '../../common/error-types';
import { createFileBlobStore } from './file-store';
import { createPostgresBlobStore } from './postgres-store';
import type { BlobRef, BlobStore } from './store';

export type { BlobRef, BlobStore } from './store';
export { createFileBlobStore } from './file-store';
export { createPostgresBlobStore } from './postgres-store';

/**
 * PostgreSQL when ARBITER_BLOB_DATABASE_URL (or else ARBITER_AUDIT_DATABASE_URL) is set, as the
 * budget ledger picks its database; otherwise files under `<dataDir>/blobs`.
 */
export function blobStoreFromEnv(env: NodeJS.ProcessEnv, defaults: { dataDir: string }): BlobStore {
  const url = env.ARBITER_BLOB_DATABASE_URL || env.ARBITER_AUDIT_DATABASE_URL;
  if (url) return createPostgresBlobStore(url);
  return createFileBlobStore(env.ARBITER_BLOB_DIR || path.join(defaults.dataDir, 'blobs'));
}

export function createBlobActivities(deps: { store: BlobStore }) {
  return {
    /** Stores UTF-8 text and answers its digest and size. */
    async storeBlob(input: { content: string }): Promise<BlobRef> {
      return deps.store.put(new TextEncoder().encode(input.content));
    },
    /** The text stored under the digest, verified; BlobNotFound or BlobCorrupted otherwise (neither retried). */
    async fetchBlob(input: { digest: string }): Promise<{ content: string; size: number }> {
      const bytes = await deps.store.get(input.digest);
      if (!bytes) throw ApplicationFailure.nonRetryable(`no blob ${input.digest}`, BLOB_NOT_FOUND);
      return { content: new TextDecoder().decode(bytes), size: bytes.length };
    },
  };
}
