// Blobs in PostgreSQL (table arbiter_blobs), shared by any number of workers.
import { Pool } from 'pg';
import { assertSchemaName, migrateDatabase } from '../database/migrate';
import { assertDigest, digestOf, verified, type BlobStore } from './store';

export interface PostgresBlobStoreOptions {
  schema?: string;
}

export function createPostgresBlobStore(connectionString: string, options: PostgresBlobStoreOptions = {}): BlobStore {
  const { schema } = options;
  if (schema !== undefined) assertSchemaName(schema);
  const pool = new Pool({ connectionString, max: 4, ...(schema !== undefined && { options: `-c search_path=${schema}` }) });
  // A dropped idle connection must not crash the worker; the next query opens a new one.
  pool.on('error', () => undefined);

  let migrated: Promise<unknown> | undefined;
  const migrateOnce = () =>
    (migrated ??= migrateDatabase(pool, schema).catch((error: unknown) => {
      migrated = undefined;
      throw error;
    }));

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
