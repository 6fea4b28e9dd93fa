// Plain HTTP calls for the approvals endpoint tests: a fresh connection per call, so a test can
// pick its source address (the rate limit counts per address) and no keep-alive outlives a test.
import http, { type IncomingHttpHeaders } from 'node:http';

export interface HttpCall {
  method?: string;
  path: string;
  token?: string;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is, with `contentType`: for bodies that are not JSON or too large. */
  raw?: string;
  contentType?: string;
  /** A loopback source address other than 127.0.0.1 counts as another client. */
  localAddress?: string;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body; undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever shape each route answers
  body: any;
}

export function httpCall(baseUrl: string, call: HttpCall): Promise<HttpAnswer> {
  const url = new URL(call.path, baseUrl);
  const payload = call.json !== undefined ? JSON.stringify(call.json) : call.raw;
  const headers: Record<string, string | number> = {};
  if (call.token !== undefined) headers.Authorization = `Bearer ${call.token}`;
  if (payload !== undefined) {
    headers['Content-Type'] = call.contentType ?? 'application/json';
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: call.method ?? (payload === undefined ? 'GET' : 'POST'), headers, agent: false, localAddress: call.localAddress },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
