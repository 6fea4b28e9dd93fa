// The committed test key: every test's workers and clients encrypt payloads with it, as production
// does with its own, and the recorded histories in test/histories/ are encrypted with it too.
// It protects nothing: it is public, for tests only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { encryptingDataConverter } from '../../runtime/data-converter';
import { parsePayloadKeys, type PayloadKeyRing } from '../../runtime/payload-keys';

export const TEST_PAYLOAD_KEY_FILE = path.join(__dirname, '..', 'fixtures', 'payload-test-key');

/** The `kid:base64key` line, as ARBITER_PAYLOAD_KEYS takes it. */
export const TEST_PAYLOAD_KEYS = readFileSync(TEST_PAYLOAD_KEY_FILE, 'utf8').trim();

export function testPayloadKeyRing(): PayloadKeyRing {
  return parsePayloadKeys(TEST_PAYLOAD_KEYS, 'test/fixtures/payload-test-key');
}

export function testDataConverter(): DataConverter {
  return encryptingDataConverter(testPayloadKeyRing());
}
