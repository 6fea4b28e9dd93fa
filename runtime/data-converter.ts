// The one data converter every Arbiter worker and client uses, so no process writes plain
// payloads by mistake: workers/main.ts, the endpoint, the typed client and CLI, `npm start`, the
// demo, the bench and the tests all come through here.
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './payload-codec';
import { localPayloadKeys, localPayloadKeysPath, parsePayloadKeys, PAYLOAD_KEYS_VARIABLE, PayloadKeyConfigError, type PayloadKeyRing } from './payload-keys';

export function encryptingDataConverter(keyRing: PayloadKeyRing): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keyRing)] };
}

/**
 * The payload keys from ARBITER_PAYLOAD_KEYS, or else the local key file that `npm start` and the
 * demo generate. With neither, it refuses: a worker or client that wrote plain payloads would put
 * customers' messages back into Temporal's history.
 */
export function payloadKeysFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadKeyRing {
  const configured = env[PAYLOAD_KEYS_VARIABLE];
  if (configured !== undefined && configured.trim() !== '') return parsePayloadKeys(configured);
  const local = localPayloadKeys({ create: false }, env);
  if (local !== undefined) return parsePayloadKeys(local, localPayloadKeysPath(env));
  throw new PayloadKeyConfigError(
    `set ${PAYLOAD_KEYS_VARIABLE} to kid:base64key (a 32-byte key, e.g. \`openssl rand -base64 32\`): Arbiter encrypts every Temporal payload and does not run without a key (\`npm start\` makes a local one)`,
  );
}

export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return encryptingDataConverter(payloadKeysFromEnv(env));
}
