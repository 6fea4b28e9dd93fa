// The codec server's wire format: Temporal's Payloads message as proto3 JSON, the shape the Web UI
// and the CLI send to a codec endpoint: `{ "payloads": [{ "metadata": { "encoding": "<base64>" },
// "data": "<base64>" }] }`.
import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/** Proto3 JSON writes bytes as standard base64 and reads the URL-safe alphabet too. */
const base64Schema = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

const jsonPayloadSchema = z.object({
  metadata: z.record(z.string().min(1).max(256), base64Schema).nullish(),
  data: base64Schema.nullish(),
});
type JsonPayload = z.infer<typeof jsonPayloadSchema>;

/** One history event's payloads at most; a request is bounded by the body limit first. */
export const MAX_PAYLOADS_PER_REQUEST = 1000;

export const codecRequestSchema = z.object({
  payloads: z.array(jsonPayloadSchema).max(MAX_PAYLOADS_PER_REQUEST),
});

export function payloadFromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, bytesOf(value)])),
    data: data ? bytesOf(data) : new Uint8Array(),
  };
}

export function payloadToJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, base64Of(value)])),
    data: base64Of(payload.data ?? new Uint8Array()),
  };
}

function bytesOf(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
