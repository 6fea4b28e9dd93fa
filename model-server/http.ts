// HTTP plumbing for the stand-in model server: JSON answers, OpenAI-shaped error bodies and a
// body reader capped at 1 MiB, so route logic never touches streams.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readLimitedBody } from '../runtime/read-body';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An answer that ends a request early (bad body, too large, wrong key). */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

/** The error body the OpenAI API sends, which the `openai` client reads into its error classes. */
export function openAiError(status: number, message: string, type: string, code: string | null = null, headers?: Record<string, string>): Reply {
  return { status, body: { error: { message, type, param: null, code } }, headers };
}

export function sendJson(res: ServerResponse, reply: Reply): void {
  // The client may have given up while a slow answer waited; nothing is left to write to.
  if (res.destroyed) return;
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

const tooLarge = () =>
  new ReplyError({
    ...openAiError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`, 'invalid_request_error', 'request_too_large'),
    // The rest of the body is unread; closing keeps it from being taken for the next request.
    headers: { connection: 'close' },
  });

/** Reads the raw body, refusing with 413 past MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<string> {
  return readLimitedBody(req, MAX_BODY_BYTES, tooLarge);
}

export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ReplyError(openAiError(400, 'request body is not valid JSON', 'invalid_request_error', 'invalid_json'));
  }
}
