// HTTP plumbing for the stand-in systems: JSON answers and a size-capped body reader, so the route
// logic never touches streams and an oversized body is refused before it is held in memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readLimitedBody } from '../runtime/read-body';

export const MAX_BODY_BYTES = 64 * 1024;

export type JsonBody = Record<string, unknown>;

/** A finished answer: what a route returns and what the idempotency record stores. */
export interface Reply {
  status: number;
  body: JsonBody;
}

/** An answer that ends the request early (bad header, bad body, too large). */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(String(reply.body.error ?? `HTTP ${reply.status}`));
  }
}

export function badRequest(error: string, field: string): ReplyError {
  return new ReplyError({ status: 400, body: { error, field } });
}

export function sendJson(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...extraHeaders,
  });
  res.end(payload);
}

const tooLarge = () =>
  new ReplyError({ status: 413, body: { error: `request body exceeds ${MAX_BODY_BYTES} bytes`, field: 'body' } });

/** Reads the raw body, refusing with 413 past MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<string> {
  return readLimitedBody(req, MAX_BODY_BYTES, tooLarge);
}

/** Parses a JSON body; an empty body counts as `{}` so bodiless compensations need not send one. */
export function parseJson(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw badRequest('request body is not valid JSON', 'body');
  }
}
