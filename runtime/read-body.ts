// Reads a request body up to a size limit, for every HTTP server Arbiter runs (the approvers'
// endpoint, the stand-in systems, the stand-in model server): a declared Content-Length over the
// limit is refused before reading, and a streamed body the moment it passes the limit.
import type { IncomingMessage } from 'node:http';

export function readLimitedBody(req: IncomingMessage, limitBytes: number, tooLarge: () => Error): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        req.off('data', onData);
        chunks.length = 0;
        // Keep discarding what is still in flight so the client can read the 413.
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
