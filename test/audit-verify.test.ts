// `arbiter audit verify` against each kind of tampering, on both sinks: a JSONL file and a real
// PostgreSQL (a schema of this file's own, dropped afterwards). Trails are written through the
// real sinks, tampered with as someone with write access to the store would, and checked by the
// CLI code. PostgreSQL must be running; these tests fail rather than skip without it.
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { auditEventHash, GENESIS_HASH, sealAuditEvent } from '../common/audit-chain';
import { createReceiptChecker } from '../common/decision-receipt';
import { readTrustFile } from '../policies/trust';
import type { AuditEvent } from '../common/audit-schemas';
import {
  arbiter,
  chainedRun,
  endpointRefusal,
  jsonlTrail,
  postgresTrail,
  renumbered,
  signingKey,
  signReceipt,
  writeTrustFile,
  type TamperableTrail,
} from './helpers/audit-trails';

const databaseUrl = process.env.ARBITER_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `audit_verify_${randomBytes(6).toString('hex')}`;
const key = signingKey('endpoint-2026-12');
let dir: string;
let trustFile: string;
let admin: Pool;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbiter-audit-verify-'));
  trustFile = writeTrustFile(dir, [key]);
  admin = new Pool({ connectionString: databaseUrl, max: 2 });
  admin.on('error', () => undefined);
  await admin.query('SELECT 1').catch((error: unknown) => {
    throw new Error(`PostgreSQL is not reachable (${(error as Error).message}); start it or set ARBITER_TEST_DATABASE_URL`);
  });
});

afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
  rmSync(dir, { recursive: true, force: true });
});

const sinks: [string, () => TamperableTrail][] = [
  ['the JSONL file', () => jsonlTrail(join(dir, `${randomUUID()}.jsonl`))],
  ['PostgreSQL', () => postgresTrail(databaseUrl, schema, admin)],
];

describe.each(sinks)('audit verify on %s', (_name, openTrail) => {
  let trail: TamperableTrail;
  let workflowId: string;
  let events: AuditEvent[];

  /** A fresh trail holding one chained run of `workflowId` and an untouched neighbour run. */
  beforeEach(async () => {
    trail = openTrail();
    workflowId = `refund-${randomUUID()}`;
    events = chainedRun(workflowId, key);
    await trail.write([...events, ...chainedRun(`${workflowId}-neighbour`, key)]);
  });

  const verify = (...extra: string[]) => arbiter(['audit', 'verify', ...trail.verifyArgs, '--trust', trustFile, ...extra]);
  const idOf = (sequence: number) => `${workflowId}/run-1/${sequence}`;
  async function tamper(change: (stored: AuditEvent[]) => unknown[]): Promise<void> {
    await trail.rewrite(workflowId, change(await trail.stored(workflowId)));
  }
  /** The stored events by sequence, whatever order the store returns them in. */
  const bySequence = (stored: AuditEvent[]) => [...stored].sort((a, b) => Number(a.eventId.split('/').pop()) - Number(b.eventId.split('/').pop()));

  test('an untampered trail passes with one line per chain and the head of each run', async () => {
    await trail.write([endpointRefusal(workflowId)]);
    const { code, out, err } = await verify();
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toEqual(
      expect.arrayContaining([
        `ok    ${workflowId}/run-1: 6 event(s) chained, finished, 1 receipt(s) valid, head ${events[5]!.hash}`,
        `ok    ${workflowId}/endpoint: 1 stand-alone endpoint event(s), each hash intact, 0 receipt(s) valid`,
      ]),
    );
    expect(out.at(-1)).toMatch(/^audit trail: \d+ chain\(s\), \d+ intact, 0 tampered$/);
  });

  test('--run checks only that workflow and --head accepts the anchored head', async () => {
    const { code, out } = await verify('--run', workflowId, '--head', events[5]!.hash!);
    expect(code).toBe(0);
    expect(out).toEqual([expect.stringMatching(new RegExp(`^ok    ${workflowId}/run-1: 6 event`)), 'audit trail: 1 chain(s), 1 intact, 0 tampered']);
  });

  test('an edited field is reported as an edited event, naming it', async () => {
    await tamper((stored) => stored.map((event) => (event.eventId === idOf(4) ? { ...event, changed: { amount: 7400, currency: 'EUR' } } : event)));
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toMatch(new RegExp(`^FAIL  ${workflowId}/run-1: edited ${idOf(4)}: its content no longer matches its hash`));
  });

  test('a field added to an event is an edit too: the hash covers the stored event, not a schema-parsed copy', async () => {
    await tamper((stored) => stored.map((event) => (event.eventId === idOf(2) ? { ...event, note: 'harmless?' } : event)));
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`edited ${idOf(2)}`);
  });

  test('a removed event is reported as removed, naming the missing id', async () => {
    await tamper((stored) => stored.filter((event) => event.eventId !== idOf(3)));
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toBe(`FAIL  ${workflowId}/run-1: removed ${idOf(3)}: missing: the trail jumps from ${idOf(2)} to ${idOf(4)}`);
  });

  test('a removed event whose successors were renumbered to close the gap is still reported as removed', async () => {
    await tamper((stored) => bySequence(stored).filter((event) => event.eventId !== idOf(3)).map((event, index) => renumbered(event, index + 1)));
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`removed ${idOf(3)}: the original ${idOf(3)} is gone`);
  });

  test('an inserted event, with the events after it renumbered, is reported as inserted, naming it', async () => {
    await tamper((stored) => {
      const ordered = bySequence(stored);
      // A forged approval, chained correctly onto event 2 by someone who knows the algorithm, but
      // without carol's receipt (kept, it would be caught as signing another approver).
      const approval = { ...ordered[2]! };
      delete approval.receipt;
      const forged = { ...approval, eventId: idOf(3), summary: 'mallory approved', actor: { kind: 'human', id: 'mallory' }, prevHash: ordered[1]!.hash };
      const sealed = { ...forged, hash: auditEventHash(forged as AuditEvent) };
      return [...ordered.slice(0, 2), sealed, ...ordered.slice(2).map((event, index) => renumbered(event, index + 4))];
    });
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`inserted ${idOf(3)}: the events from ${idOf(4)} on were renumbered to make room for it`);
  });

  test('an inserted event its forger could not hash, with the events after it renumbered, is reported as inserted', async () => {
    await tamper((stored) => {
      const ordered = bySequence(stored);
      const forged = { ...ordered[2]!, eventId: idOf(3), summary: 'mallory approved' };
      return [...ordered.slice(0, 2), forged, ...ordered.slice(2).map((event, index) => renumbered(event, index + 4))];
    });
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`inserted ${idOf(3)}: the events from ${idOf(4)} on were renumbered to make room for it`);
  });

  test('an event appended after run.finished, chained correctly, is reported as inserted', async () => {
    await tamper((stored) => {
      const last = bySequence(stored)[5]!;
      const forged = { ...last, eventId: idOf(7), type: 'step.completed', summary: 'refunded another 740 EUR', prevHash: last.hash };
      return [...stored, { ...forged, hash: auditEventHash(forged as AuditEvent) }];
    });
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`inserted ${idOf(7)}: comes after the run finished at ${idOf(6)}`);
  });

  test('a reordered pair (two events that swapped places) is reported as reordered, naming both', async () => {
    await tamper((stored) => stored.map((event) => (event.eventId === idOf(4) ? renumbered(event, 5) : event.eventId === idOf(5) ? renumbered(event, 4) : event)));
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`reordered ${idOf(4)}: swapped places with ${idOf(5)}`);
  });

  test('an edited event whose hash was recomputed is named when the next event no longer links to it', async () => {
    await tamper((stored) =>
      stored.map((event) => {
        if (event.eventId !== idOf(4)) return event;
        const edited = { ...event, changed: { amount: 7400, currency: 'EUR' } };
        return { ...edited, hash: auditEventHash(edited) };
      }),
    );
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`edited ${idOf(4)}: its hash no longer matches the one ${idOf(5)} links to`);
  });

  test('a removed last event passes without an anchor (the run shows as open) and is reported as truncated with --head', async () => {
    const head = events[5]!.hash!;
    await tamper((stored) => stored.filter((event) => event.eventId !== idOf(6)));

    const unanchored = await verify('--run', workflowId);
    expect(unanchored.code).toBe(0);
    expect(unanchored.out[0]).toContain('5 event(s) chained, open (no run.finished: in flight, or its tail was removed)');

    const anchored = await verify('--run', workflowId, '--head', head);
    expect(anchored.code).toBe(1);
    expect(anchored.err[0]).toContain(`truncated ${idOf(5)}: the anchored head is not in the trail`);
  });

  test('a decision receipt whose signature does not match the decision fails, naming the event', async () => {
    await tamper((stored) =>
      stored.map((event) => {
        if (event.eventId !== idOf(3)) return event;
        // The signed decision swapped for another approver's, signature kept, event re-hashed so
        // only the receipt can tell.
        const receipt = { ...(event.receipt as object), signed: { ...(event.receipt as { signed: object }).signed, approverId: 'mallory' } };
        const edited = { ...event, receipt };
        return { ...edited, hash: auditEventHash(edited) };
      }),
    );
    // The re-hash breaks the next link too; the receipt is checked on the event first reached.
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`bad-receipt ${idOf(3)}: its decision receipt does not verify`);
  });

  test("a valid receipt moved onto another approver's event fails: the receipt must sign what the event records", async () => {
    await tamper((stored) =>
      stored.map((event) => {
        if (event.eventId !== idOf(3)) return event;
        // carol's signed approval kept intact, the event rewritten as mallory's and re-hashed.
        const edited = { ...event, actor: { kind: 'human' as const, id: 'mallory' }, summary: 'mallory approved' };
        return { ...edited, hash: auditEventHash(edited) };
      }),
    );
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`bad-receipt ${idOf(3)}: its decision receipt is valid but signs another approver than the event records`);
  });

  test('a receipt signed by a key trust.yaml does not list fails, naming the key and the event', async () => {
    const stranger = signingKey('stranger');
    const forgedRun = chainedRun(`${workflowId}-forged`, stranger);
    await trail.write(forgedRun);
    const { code, err } = await verify('--run', `${workflowId}-forged`);
    expect(code).toBe(1);
    expect(err[0]).toContain(`bad-receipt ${workflowId}-forged/run-1/3: its decision receipt names key "stranger", which trust.yaml does not list`);
  });

  test('an edited endpoint refusal is reported as edited, naming it', async () => {
    const refusal = endpointRefusal(workflowId);
    await trail.write([refusal]);
    await tamper((stored) => stored.map((event) => (event.eventId === refusal.eventId ? { ...event, actor: { kind: 'human', id: 'bob' } } : event)));
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`FAIL  ${workflowId}/endpoint: edited ${refusal.eventId}: its content no longer matches its hash`);
  });

  test('an event stripped of its chain fields is reported as unchained', async () => {
    await tamper((stored) =>
      stored.map((event) => {
        if (event.eventId !== idOf(2)) return event;
        const stripped: Partial<AuditEvent> = { ...event };
        delete stripped.hash;
        delete stripped.prevHash;
        return stripped;
      }),
    );
    const { code, err } = await verify('--run', workflowId);
    expect(code).toBe(1);
    expect(err[0]).toContain(`unchained ${idOf(2)}`);
  });
});

describe('audit verify on the JSONL file only', () => {
  let file: string;
  let workflowId: string;
  let events: AuditEvent[];
  beforeEach(async () => {
    file = join(dir, `${randomUUID()}.jsonl`);
    workflowId = `refund-${randomUUID()}`;
    events = chainedRun(workflowId, key);
    await jsonlTrail(file).write(events);
  });
  const verify = () => arbiter(['audit', 'verify', '--file', file, '--trust', trustFile]);

  test('lines in another order still pass: the order is the sequence in the event ids, not the file', async () => {
    await jsonlTrail(file).rewrite(workflowId, [...events].reverse());
    await expect(verify()).resolves.toMatchObject({ code: 0 });
  });

  test('a later version of an event supersedes the earlier line, so a forged one must chain like any edit', async () => {
    const forged = { ...events[2]!, summary: 'mallory approved' };
    await jsonlTrail(file).rewrite(workflowId, [...events, { ...forged, hash: auditEventHash(forged) }]);
    const { code, err } = await verify();
    expect(code).toBe(1);
    expect(err[0]).toContain(`edited ${events[2]!.eventId}: its hash no longer matches the one ${events[3]!.eventId} links to`);
  });

  test('a later version written by a retried workflow task, chained onward, passes', async () => {
    // The task that recorded events 5 and 6 failed and ran again a second later: same ids, new times.
    const retried = chainedRun(workflowId, key).map((event, index) => (index < 4 ? event : { ...event, at: '2026-12-02T04:00:59.000Z' }));
    let prevHash = GENESIS_HASH;
    const resealed = retried.map((event) => {
      const sealed = sealAuditEvent(event, prevHash);
      prevHash = sealed.hash;
      return sealed;
    });
    await jsonlTrail(file).write(resealed);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(8);
    await expect(verify()).resolves.toMatchObject({ code: 0 });
  });

  test('the same event written twice (two worker processes on one file) is not tampering', async () => {
    await jsonlTrail(file).rewrite(workflowId, [...events, events[2]]);
    await expect(verify()).resolves.toMatchObject({ code: 0 });
  });

  test('a torn line from a crashed write is skipped and reported by line number, without failing', async () => {
    appendFileSync(file, '{"eventId":"torn');
    const { code, out } = await verify();
    expect(code).toBe(0);
    expect(out.at(-1)).toBe('audit trail: 1 chain(s), 1 intact, 0 tampered; 1 unreadable line(s), skipped (line 7)');
  });
});

describe('audit verify on PostgreSQL only', () => {
  test('a column edited beside an untouched event is reported, naming the column', async () => {
    const trail = postgresTrail(databaseUrl, schema, admin);
    const workflowId = `refund-${randomUUID()}`;
    const events = chainedRun(workflowId, key);
    await trail.write(events);
    await admin.query(`UPDATE ${schema}.arbiter_audit_events SET summary = 'nothing happened' WHERE event_id = $1`, [events[4]!.eventId]);
    const { code, err } = await arbiter(['audit', 'verify', ...trail.verifyArgs, '--trust', trustFile, '--run', workflowId]);
    expect(code).toBe(1);
    expect(err[0]).toContain(`edited ${events[4]!.eventId}: the stored summary differ from the hashed event`);
  });

  test('an event with awkward numbers and strings hashes the same after the jsonb round trip', async () => {
    const trail = postgresTrail(databaseUrl, schema, admin);
    const workflowId = `refund-${randomUUID()}`;
    const [first, ...rest] = chainedRun(workflowId, key);
    // jsonb reorders keys and stores numbers as numeric; the canonical form must not change.
    const awkward = {
      zeta: 1, alpha: { b: [3, 2, 1], a: null }, float: 0.30000000000000004, big: 1e21, tiny: 1e-7, negative: -12.5,
      maxSafe: Number.MAX_SAFE_INTEGER, text: 'Zoë’s “refund” ✓ 🧾 \\ "quoted" \n tab\t', empty: '', nested: { '': 'empty key', 'é': true },
    };
    const sealed = sealAuditEvent({ ...first!, changed: awkward }, GENESIS_HASH);
    const relinked = { ...rest[0]!, prevHash: sealed.hash };
    await trail.write([sealed, { ...relinked, hash: auditEventHash(relinked) }]);
    const [stored] = await trail.stored(workflowId);
    expect(stored).toEqual(sealed);
    const { code, out } = await arbiter(['audit', 'verify', ...trail.verifyArgs, '--trust', trustFile, '--run', workflowId]);
    expect(code).toBe(0);
    expect(out[0]).toContain(`ok    ${workflowId}/run-1: 2 event(s) chained`);
  });
});

describe('audit verify, its command line', () => {
  test('--file and --database together are a usage error', async () => {
    const { code, err } = await arbiter(['audit', 'verify', '--file', 'a.jsonl', '--database', 'postgres://x']);
    expect(code).toBe(2);
    expect(err[0]).toBe('arbiter: give --file or --database, not both');
  });

  test('--head without --run, or not a sha256, is a usage error', async () => {
    await expect(arbiter(['audit', 'verify', '--file', 'a.jsonl', '--head', 'f'.repeat(64)])).resolves.toMatchObject({ code: 2 });
    const { code, err } = await arbiter(['audit', 'verify', '--file', 'a.jsonl', '--run', 'w', '--head', 'xyz']);
    expect(code).toBe(2);
    expect(err[0]).toMatch(/--head must be 64 lower-case hex digits/);
  });

  test('a missing file is a clear error naming it, exit 1', async () => {
    const missing = join(dir, 'nowhere.jsonl');
    await expect(arbiter(['audit', 'verify', '--file', missing, '--trust', trustFile])).resolves.toEqual({ code: 1, out: [], err: [`arbiter: ${missing}: cannot read the audit file (ENOENT)`] });
  });

  test('a trust file with a malformed key is refused, naming the file and the field', async () => {
    const badTrust = join(dir, 'bad-trust.yaml');
    writeFileSync(badTrust, 'decisionKeys:\n  - id: k1\n    publicKey: AAAA\nunsignedOperatorDecisions: false\n');
    const { code, err } = await arbiter(['audit', 'verify', '--file', join(dir, 'x.jsonl'), '--trust', badTrust]);
    expect(code).toBe(1);
    expect(err[0]).toBe('arbiter: bad-trust.yaml: decisionKeys.0.publicKey: must be a base64 raw 32-byte Ed25519 public key');
  });

  test('the shipped trust.yaml lists no keys yet and does not allow unsigned operator decisions', () => {
    expect(readTrustFile()).toEqual({ decisionKeys: [], unsignedOperatorDecisions: false });
  });

  test('a receipt of the wrong shape, a short signature or a second spelling of its base64 is invalid, never an exception', () => {
    const check = createReceiptChecker([{ id: key.id, publicKey: key.publicKey }]);
    const good = signReceipt(key, { decision: 'approve' });
    expect(check('not a receipt')).toBe('invalid');
    expect(check({ keyId: key.id, signed: {} })).toBe('invalid');
    expect(check({ ...good, signature: good.signature.slice(0, 40) })).toBe('invalid');
    // The last base64 character of 64 bytes carries 2 unused bits; setting them spells the same bytes differently.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const respelled = good.signature.slice(0, -3) + alphabet[alphabet.indexOf(good.signature.at(-3)!) ^ 1] + '==';
    expect(check({ ...good, signature: respelled })).toBe('invalid');
    expect(check(good)).toBe('valid');
  });

  test('signReceipt output checks as valid: the signer and the checker agree on the signed bytes', () => {
    const receipt = signReceipt(key, { decision: 'approve', approverId: 'carol', b: 2, a: 1 });
    expect(createReceiptChecker([{ id: key.id, publicKey: key.publicKey }])(receipt)).toBe('valid');
  });
});

describe('the chain as the workflow seals it', () => {
  test('an event is hashed as JSON carries it to the sink: a Date, an undefined field and -0 hash as stored', () => {
    const [first] = chainedRun('refund-sealing', key);
    const sealed = sealAuditEvent({ ...first!, authority: undefined, changed: { when: new Date(Date.UTC(2026, 11, 2)), delta: -0 } }, GENESIS_HASH);
    const stored = JSON.parse(JSON.stringify(sealed)) as AuditEvent;
    expect(stored.changed).toEqual({ when: '2026-12-02T00:00:00.000Z', delta: 0 });
    expect(auditEventHash(stored)).toBe(sealed.hash);
  });

  test('a receipt filed under `changed` is checked too, not skipped', async () => {
    const file = join(dir, `${randomUUID()}.jsonl`);
    const workflowId = `refund-${randomUUID()}`;
    const stranger = signingKey('stranger');
    const [first] = chainedRun(workflowId, key);
    const event = sealAuditEvent({ ...first!, changed: { status: 'approved', receipt: signReceipt(stranger, { decision: 'approve' }) } }, GENESIS_HASH);
    await jsonlTrail(file).write([event]);
    const { code, err } = await arbiter(['audit', 'verify', '--file', file, '--trust', trustFile]);
    expect(code).toBe(1);
    expect(err[0]).toContain(`bad-receipt ${event.eventId}: its decision receipt names key "stranger"`);
  });
});
