// The payload codec and its keys: what goes into Temporal is ciphertext that only a configured key
// opens, keys rotate, and every refusal names the key id or the setting, never key material.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { dataConverterFromEnv, payloadKeysFromEnv } from '../runtime/data-converter';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError } from '../runtime/payload-codec';
import { localPayloadKeys, parsePayloadKeys, PayloadKeyConfigError } from '../runtime/payload-keys';

const MESSAGE = { customer: 'Jane Roe', message: 'The parcel arrived broken, please refund.' };
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

const codecFor = (keys: string) => new EncryptionCodec(parsePayloadKeys(keys));
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const plainPayload = () => defaultPayloadConverter.toPayload(MESSAGE);

/** Runs `fn` and returns the error it threw. */
async function refusal(fn: () => Promise<unknown> | unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('EncryptionCodec', () => {
  it('encrypts a payload so that neither its content nor its encoding shows, and decodes it back exactly', async () => {
    const codec = codecFor(`k1:${keyA}`);
    const original = plainPayload();
    const [encrypted] = await codec.encode([original]);
    expect(text(encrypted!.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toContain('parcel');
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toContain('json/plain');
    const [decoded] = await codec.decode([encrypted!]);
    expect(text(decoded!.metadata![METADATA_ENCODING_KEY])).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(MESSAGE);
  });

  it('keeps the original encoding of every converter: binary, null and undefined come back as they went in', async () => {
    const codec = codecFor(`k1:${keyA}`);
    const values = [new Uint8Array([0, 1, 2, 255]), null, undefined, 'text', 42];
    const decoded = await codec.decode(await codec.encode(values.map((v) => defaultPayloadConverter.toPayload(v))));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(values);
  });

  it('uses a fresh IV for every payload, so the same value never encrypts to the same bytes', async () => {
    const codec = codecFor(`k1:${keyA}`);
    const [first, second] = await codec.encode([plainPayload(), plainPayload()]);
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
    expect(Buffer.from(first!.data!).subarray(0, 12).equals(Buffer.from(second!.data!).subarray(0, 12))).toBe(false);
  });

  it('passes plain payloads through on decode, so runs started before encryption still read', async () => {
    const codec = codecFor(`k1:${keyA}`);
    const plain = plainPayload();
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('after a rotation encrypts with the new first key and still decrypts what the old key sealed', async () => {
    const [sealedByOld] = await codecFor(`old:${keyA}`).encode([plainPayload()]);
    const rotated = codecFor(`new:${keyB},old:${keyA}`);
    const [sealedByNew] = await rotated.encode([plainPayload()]);
    expect(text(sealedByNew!.metadata![KEY_ID_METADATA])).toBe('new');
    const decoded = await rotated.decode([sealedByOld!, sealedByNew!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([MESSAGE, MESSAGE]);
  });

  it('refuses a payload sealed with a key id it does not hold, naming that id and no key material', async () => {
    const [sealed] = await codecFor(`retired:${keyA}`).encode([plainPayload()]);
    const error = await refusal(() => codecFor(`current:${keyB}`).decode([sealed!]));
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toContain('"retired"');
    expect(error.message).toContain('current');
    expect(error.message).not.toContain(keyA);
    expect(error.message).not.toContain(keyB);
  });

  it('refuses a ciphertext with one flipped bit as failing authentication', async () => {
    const codec = codecFor(`k1:${keyA}`);
    const [sealed] = await codec.encode([plainPayload()]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 0x01;
    const error = await refusal(() => codec.decode([{ ...sealed!, data }]));
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toMatch(/key id "k1" failed authentication/);
  });

  it('refuses a payload relabelled with another configured key id', async () => {
    const codec = codecFor(`k1:${keyA},k2:${keyB}`);
    const [sealed] = await codec.encode([plainPayload()]);
    const relabelled: Payload = { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    expect(await refusal(() => codec.decode([relabelled]))).toBeInstanceOf(PayloadDecryptionError);
  });

  it('refuses an encrypted payload without a key id, or too short to hold an IV and a tag', async () => {
    const codec = codecFor(`k1:${keyA}`);
    const [sealed] = await codec.encode([plainPayload()]);
    const noKid: Payload = { metadata: { [METADATA_ENCODING_KEY]: sealed!.metadata![METADATA_ENCODING_KEY]! }, data: sealed!.data };
    expect((await refusal(() => codec.decode([noKid]))).message).toContain(KEY_ID_METADATA);
    expect((await refusal(() => codec.decode([{ ...sealed!, data: new Uint8Array(10) }]))).message).toContain('too short');
  });

  it('echoes a hostile key id from a payload only as short printable text', async () => {
    const hostile: Payload = {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(`\u0000\n${'x'.repeat(500)}`) },
      data: new Uint8Array(40),
    };
    const error = await refusal(() => codecFor(`k1:${keyA}`).decode([hostile]));
    expect(error.message).not.toContain('\u0000');
    expect(error.message).not.toContain('\n');
    expect(error.message.length).toBeLessThan(250);
  });
});

describe('ARBITER_PAYLOAD_KEYS', () => {
  it('takes the first key of the list to encrypt and keeps every key to decrypt', () => {
    const ring = parsePayloadKeys(` a:${keyA} , b:${keyB} `);
    expect(ring.encryptWith).toBe('a');
    expect([...ring.keys.keys()]).toEqual(['a', 'b']);
  });

  it.each([
    ['an empty list', ' , ', /ARBITER_PAYLOAD_KEYS is empty/],
    ['an entry without a key id', keyA, /entry 1 is not kid:base64key/],
    ['a key id with a space', `my key:${keyA}`, /entry 1: the key id must be/],
    ['a key id given twice', `a:${keyA},a:${keyB}`, /entry 2: key id "a" appears twice/],
    ['a key that is not base64', 'a:not*base64!', /the key of "a" is not base64/],
    ['a 16-byte key', `a:${randomBytes(16).toString('base64')}`, /the key of "a" is 16 bytes; AES-256 needs 32/],
  ])('refuses %s with a message naming what is wrong and no key material', (_case, value, expected) => {
    const error = (() => {
      try {
        parsePayloadKeys(value);
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(PayloadKeyConfigError);
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain(keyA);
    expect(error.message).not.toContain(keyB);
  });
});

describe('dataConverterFromEnv', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'arbiter-keys-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to build a converter when no key is configured and no local key exists', () => {
    expect(() => dataConverterFromEnv({ ARBITER_DATA_DIR: dataDir })).toThrow(/set ARBITER_PAYLOAD_KEYS/);
    expect(() => dataConverterFromEnv({ ARBITER_DATA_DIR: dataDir, ARBITER_PAYLOAD_KEYS: '' })).toThrow(PayloadKeyConfigError);
  });

  it('uses the local key that npm start made, readable by its owner only, the same on every later start', () => {
    const made = localPayloadKeys({ create: true }, { ARBITER_DATA_DIR: dataDir })!;
    const file = path.join(dataDir, 'payload-keys');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(localPayloadKeys({ create: true }, { ARBITER_DATA_DIR: dataDir })).toBe(made);
    expect(readFileSync(file, 'utf8').trim()).toBe(made);
    expect(payloadKeysFromEnv({ ARBITER_DATA_DIR: dataDir }).encryptWith).toBe('local-1');
  });

  it('prefers ARBITER_PAYLOAD_KEYS over the local key', () => {
    localPayloadKeys({ create: true }, { ARBITER_DATA_DIR: dataDir });
    expect(payloadKeysFromEnv({ ARBITER_DATA_DIR: dataDir, ARBITER_PAYLOAD_KEYS: `prod-2:${keyA}` }).encryptWith).toBe('prod-2');
  });
});
