// The content-addressed blob store, as files and in PostgreSQL: blobs come back by digest exactly
// as put, a tampered one is refused, and a tool result that was cut is kept whole in it.
// PostgreSQL must be running (CI starts it).
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { createBlobActivities, createFileBlobStore, createPostgresBlobStore, type BlobStore } from '../activities/blobs';
import { createLookupClient } from '../activities/lookups';
import { createMcpToolClient, createToolActivities } from '../activities/tools';
import { HUGE_NOTES_ORDER_ID } from '../standins/lookup-seeds';
import { useStandInsFixture } from './helpers/standins-fixture';

const databaseUrl = process.env.ARBITER_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `arbiter_blobs_test_${process.pid}`;
const blobDir = mkdtempSync(path.join(tmpdir(), 'arbiter-blobs-'));
const admin = new Pool({ connectionString: databaseUrl });
const stores: BlobStore[] = [];

afterAll(async () => {
  for (const store of stores) await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(blobDir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (content: Uint8Array | undefined) => (content === undefined ? undefined : new TextDecoder().decode(content));

/** Changes the stored bytes behind the store's back, as a disk fault or an intruder would. */
type Tamper = (digest: string, content: string) => Promise<void>;

const kinds: [string, () => BlobStore, Tamper][] = [
  [
    'file',
    () => createFileBlobStore(blobDir),
    async (digest, content) => {
      const file = path.join(blobDir, digest.slice(0, 2), digest);
      expect(existsSync(file)).toBe(true);
      writeFileSync(file, content);
    },
  ],
  [
    'PostgreSQL',
    () => createPostgresBlobStore(databaseUrl, { schema }),
    async (digest, content) => {
      await admin.query(`UPDATE ${schema}.arbiter_blobs SET content = $2 WHERE digest = $1`, [digest, Buffer.from(content)]);
    },
  ],
];

describe.each(kinds)('the %s blob store', (_kind, open, tamper) => {
  let store: BlobStore;
  beforeAll(() => {
    store = open();
    stores.push(store);
  });

  test('stores content under its sha256 and gives the same bytes back', async () => {
    const content = `tool result ${_kind} ✓ ${'x'.repeat(10_000)}`;
    const ref = await store.put(bytes(content));
    expect(ref).toEqual({ digest: sha256(content), size: Buffer.byteLength(content) });
    expect(text(await store.get(ref.digest))).toBe(content);
    expect(await store.put(bytes(content))).toEqual(ref);
  });

  test('answers an unknown digest with nothing, and refuses a malformed one', async () => {
    expect(await store.get(sha256(`never stored ${_kind}`))).toBeUndefined();
    const error = await store.get('../../etc/passwd').catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe('BlobNotFound');
  });

  test('refuses a blob whose stored bytes no longer match its digest', async () => {
    const { digest } = await store.put(bytes(`refund 20 EUR ${_kind}`));
    await tamper(digest, `refund 10000 EUR ${_kind}`);
    const error = await store.get(digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('BlobCorrupted');
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
  });

  test('storeBlob and fetchBlob put and fetch text by digest; an unknown digest is BlobNotFound', async () => {
    const activities = createBlobActivities({ store });
    const ref = await activities.storeBlob({ content: `model output ${_kind}` });
    expect(await activities.fetchBlob({ digest: ref.digest })).toEqual({ content: `model output ${_kind}`, size: ref.size });
    const error = await activities.fetchBlob({ digest: sha256('absent') }).catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe('BlobNotFound');
  });
});

describe('a tool result that was cut', () => {
  const standIns = useStandInsFixture({ name: 'blob-tools' });

  test('is kept whole in the blob store under the digest the activity answers', async () => {
    const store = createFileBlobStore(blobDir);
    const url = standIns.baseUrl;
    const tools = createToolActivities({
      lookups: createLookupClient({ paymentsUrl: url, crmUrl: url, catalogUrl: url }),
      mcp: createMcpToolClient(),
      blobs: store,
    });
    const result = await tools.callReadTool({ tool: 'get_case_notes', args: { orderId: HUGE_NOTES_ORDER_ID }, idempotencyKey: 'k', source: 'builtin' });
    expect(result).toMatchObject({ status: 'ok', truncated: true, stored: true });
    if (result.status !== 'ok') return;
    const whole = await store.get(result.digest);
    expect(whole?.length).toBe(result.bytes);
    expect(JSON.parse(text(whole)!).orderId).toBe(HUGE_NOTES_ORDER_ID);
  });
});
