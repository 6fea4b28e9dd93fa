// Blobs as files under a folder, `<dir>/<first two hex digits>/<digest>`, for a local platform
// without a database. Written to a temp file and renamed, so a blob is whole or absent.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { assertDigest, digestOf, verified, type BlobStore } from './store';

export function createFileBlobStore(dir: string): BlobStore {
  const fileOf = (digest: string) => path.join(dir, digest.slice(0, 2), digest);
  return {
    async put(content) {
      const digest = digestOf(content);
      const file = fileOf(digest);
      await mkdir(path.dirname(file), { recursive: true });
      // Unique per call: two workers putting the same blob at once each write their own temp file.
      const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // Same name, same content: replacing an existing blob changes nothing.
      await rename(temp, file).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw error;
      });
      return { digest, size: content.length };
    },
    async get(digest) {
      assertDigest(digest);
      let content: Buffer;
      try {
        content = await readFile(fileOf(digest));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return verified(digest, new Uint8Array(content.buffer, content.byteOffset, content.length), fileOf(digest));
    },
    async close() {},
  };
}
