// Blobs in PostgreSQL (table arbiter_blobs), shared by any number of workers.
import { openMigratedPool } from '../database/pool';
import { assertDigest, digestOf, verified, type BlobStore } from './store';

export interface PostgresBlobStoreOptions {
  schema?: string;
}

export function createPostgresBlobStore(connectionString: string, options: PostgresBlobStoreOptions = {}): BlobStore {
  const { pool, migrateOnce } = openMigratedPool(connectionString, options.schema);

  return {
    async put(content) {
      await migrateOnce();
      const digest = digestOf(content);
      await pool.query('INSERT INTO arbiter_blobs (digest, size, content) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING', [
        digest,
        content.length,
        Buffer.from(content.buffer, content.byteOffset, content.length),
      ]);
      return { digest, size: content.length };
    },
    async get(digest) {
      assertDigest(digest);
      await migrateOnce();
      const found = await pool.query<{ content: Buffer }>('SELECT content FROM arbiter_blobs WHERE digest = $1', [digest]);
      const content = found.rows[0]?.content;
      if (!content) return undefined;
      return verified(digest, new Uint8Array(content.buffer, content.byteOffset, content.length), 'arbiter_blobs');
    },
    async close() {
      await pool.end();
    },
  };
}
