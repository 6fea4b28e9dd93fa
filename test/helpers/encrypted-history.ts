// A committed history as the codec would have written it: every payload list (inputs, results,
// signals, failure details) encrypted with a codec. Stands for a history recorded with the codec
// on, from the plain histories recorded before it, so the replay test proves it decodes both.
import type { PayloadCodec } from '@temporalio/common';
import { payloadFromJson, payloadToJson } from '../../server/codec-payloads';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export async function encryptHistoryPayloads(json: unknown, codec: PayloadCodec): Promise<unknown> {
  return visit(json as Json, codec, '');
}

async function visit(node: Json, codec: PayloadCodec, parentKey: string): Promise<Json> {
  if (Array.isArray(node)) return Promise.all(node.map((item) => visit(item, codec, parentKey)));
  if (node === null || typeof node !== 'object') return node;
  const entries = await Promise.all(
    Object.entries(node).map(async ([key, value]): Promise<[string, Json]> => {
      // A local activity marker's `data` is the SDK core's own record, written and read without
      // the codec; its `result` is the activity's result and goes through it.
      if (parentKey === 'details' && key === 'data') return [key, value];
      if (key === 'payloads' && Array.isArray(value)) {
        const encoded = await codec.encode(value.map((p) => payloadFromJson(p as Parameters<typeof payloadFromJson>[0])));
        return [key, encoded.map(payloadToJson)];
      }
      return [key, await visit(value, codec, key)];
    }),
  );
  return Object.fromEntries(entries);
}
