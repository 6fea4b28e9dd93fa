// Raw HTTP requests for fuzzing the approvers' endpoint: any Authorization header or none, any
// content type, bodies streamed without a length, and a rotating loopback source address so the
// per-address rate limit does not turn a fuzz run into a run of 429s.
import http from 'node:http';

export interface RawRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  /** The whole header value, e.g. `Bearer <token>`; omitted when undefined. */
  authorization?: string;
  contentType?: string;
  body?: string;
  /** Sends the body in chunks without Content-Length, so the server cannot refuse it up front. */
  chunked?: boolean;
}

export interface RawAnswer {
  status: number;
  text: string;
  /** The parsed body; undefined when it is not JSON. */
  body: { error?: string; code?: string; field?: string } | undefined;
}

/** 127.0.9.1 to 127.0.9.250 in turn: each is another client to the rate limiter. */
let nextHost = 0;
function rotatingAddress(): string {
  nextHost = (nextHost % 250) + 1;
  return `127.0.9.${nextHost}`;
}

export function sendRaw(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string | number> = {};
  if (request.authorization !== undefined) headers.Authorization = request.authorization;
  if (request.contentType !== undefined) headers['Content-Type'] = request.contentType;
  if (request.body !== undefined && !request.chunked) headers['Content-Length'] = Buffer.byteLength(request.body);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      new URL(request.path, baseUrl),
      { method: request.method, headers, agent: false, localAddress: rotatingAddress() },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: RawAnswer['body'];
          try {
            body = JSON.parse(text) as RawAnswer['body'];
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, text, body });
        });
      },
    );
    outgoing.on('error', reject);
    if (request.body !== undefined && request.chunked) {
      // Several writes, so the server sees a stream and has to stop reading at its limit.
      const step = 64 * 1024;
      for (let at = 0; at < request.body.length; at += step) outgoing.write(request.body.slice(at, at + step));
    }
    outgoing.end(request.chunked ? undefined : request.body);
  });
}

/** A header-safe rendering of any string: its UTF-8 bytes as Latin-1 characters (what goes on the wire), control characters as spaces. */
export function headerSafe(value: string): string {
  const latin1 = Buffer.from(value, 'utf8').toString('latin1');
  return [...latin1].map((c) => (isControl(c.charCodeAt(0)) ? ' ' : c)).join('');
}

/** Node refuses to send a header holding these (tab excepted). */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}
