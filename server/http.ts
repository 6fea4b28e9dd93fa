// Plain node:http plumbing for the approvers' endpoint: JSON answers with safe headers, refusals
// as typed errors, bearer tokens, and request bodies read within a size limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { readLimitedBody } from '../runtime/read-body';

/** A refusal the endpoint answers with: status, a stable code for programs, a sentence for people. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sent on every answer: the page runs only its own files, and no answer is sniffed or framed. */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  const body = error.field === undefined ? { error: error.message, code: error.code } : { error: error.message, code: error.code, field: error.field };
  sendJson(res, error.status, body, error.headers);
}

export function bearerToken(req: IncomingMessage): string {
  const header = req.headers.authorization;
  const match = header ? /^Bearer +([^\s]+) *$/i.exec(header) : null;
  if (!match?.[1]) throw new HttpError(401, 'unauthenticated', 'send a token as "Authorization: Bearer <token>"', undefined, { 'WWW-Authenticate': 'Bearer' });
  return match[1];
}

/** Reads a JSON body: 415 unless it says JSON, 413 past the limit, 400 when it does not parse. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'unsupported-media-type', 'send the body as application/json');
  const tooLarge = () => new HttpError(413, 'body-too-large', `the body may be at most ${limitBytes} bytes`, undefined, { Connection: 'close' });
  const raw = await readLimitedBody(req, limitBytes, tooLarge);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, 'invalid-json', 'the body is not valid JSON', '(root)');
  }
}

/** Parses with a schema, or refuses with 400 naming the first bad field (never echoing its value). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  // An unknown key is reported on its parent; the caller needs the key itself named.
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = path.length ? path.join('.') : '(root)';
  throw new HttpError(400, 'invalid-body', `${field}: ${issue?.message ?? 'invalid'}`, field);
}
