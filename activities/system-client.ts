// One small JSON-over-HTTP client for the outside systems the saga changes. It carries the
// step's idempotency key, and sorts failures the way Temporal retries need: a 4xx is a
// business answer (non-retryable, leads to compensation), anything else is transport (retry).
import { ApplicationFailure } from '@temporalio/activity';
import type { SystemRejectionType } from '../common/error-types';

export interface SystemClientOptions {
  /** Name used in error types, e.g. `Crm` gives `CrmRejected`. */
  system: 'Payments' | 'Crm' | 'Notifications' | 'Catalog' | 'Channels' | 'Erp';
  baseUrl: string;
  fetch?: typeof fetch;
  /** Per request; the activity's own start-to-close timeout bounds the whole attempt. */
  requestTimeoutMs?: number;
}

export type SystemClient = <T>(path: string, body: unknown, idempotencyKey: string) => Promise<T>;
/**
 * A read: the record, or undefined when the system answers 404 (it does not know it). A read has
 * no effect to repeat; a key, when given, is sent so the system's logs tie the read to its step.
 */
export type SystemReader = <T>(path: string, idempotencyKey?: string) => Promise<T | undefined>;

export function createSystemClient(options: SystemClientOptions): SystemClient {
  const doFetch = options.fetch ?? fetch;
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  return async function post<T>(path: string, body: unknown, idempotencyKey: string): Promise<T> {
    const response = await doFetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    });
    return answerOf<T>(options.system, path, response);
  };
}

export function createSystemReader(options: SystemClientOptions): SystemReader {
  const doFetch = options.fetch ?? fetch;
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  return async function get<T>(path: string, idempotencyKey?: string): Promise<T | undefined> {
    const response = await doFetch(`${baseUrl}${path}`, {
      method: 'GET',
      headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    return answerOf<T>(options.system, path, response);
  };
}

/** A system's answer is read up to this size; past it the read is abandoned (and retried), never held whole. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** What of a system's own error text goes into a failure, which history keeps. */
const MAX_REASON_CHARS = 200;

async function readCapped(response: Response, system: string, path: string): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => undefined);
      throw new Error(`${system} answered more than ${MAX_ANSWER_BYTES} bytes for ${path}`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function answerOf<T>(system: SystemClientOptions['system'], path: string, response: Response): Promise<T> {
  const text = await readCapped(response, system, path);
  const payload = parseJson(text);
  if (response.ok) return payload as T;
  const reason = typeof payload?.error === 'string' ? payload.error.slice(0, MAX_REASON_CHARS) : `HTTP ${response.status}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    // The system's own refusal code (e.g. `exceeds-refundable`) travels in the details, so an
    // activity can turn a refusal the process handles into a failure type of its own.
    const code = typeof payload?.code === 'string' ? payload.code : undefined;
    throw ApplicationFailure.nonRetryable(
      `${system} rejected ${path}: ${reason} (HTTP ${response.status})`,
      `${system}Rejected` satisfies SystemRejectionType,
      { status: response.status, ...(code && { code }) },
    );
  }
  // 5xx, 408, 429: the system may answer differently next time, so Temporal retries.
  throw new Error(`${system} unavailable for ${path}: ${reason} (HTTP ${response.status})`);
}

function parseJson(text: string): { error?: unknown; code?: unknown } | undefined {
  try {
    return JSON.parse(text) as { error?: unknown; code?: unknown };
  } catch {
    return undefined;
  }
}
