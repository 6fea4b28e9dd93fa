// `arbiter audit verify`: reads the audit trail back from its sink (the JSONL file or PostgreSQL),
// checks every run's hash chain and every decision receipt, and names the first event that was
// edited, removed, inserted or reordered. Exit 0 when every chain holds, 1 when one does not.
import path from 'node:path';
import { readJsonlTrail, readPostgresTrail, type StoredTrail } from '../activities/audit/read-trail';
import { verifyTrail, type RunReport, type TrailReport } from '../common/audit-verify';
import { createReceiptChecker } from '../common/decision-receipt';
import { formatIssue, PolicyValidationError } from '../policies/load';
import { DEFAULT_TRUST_FILE, readTrustFile } from '../policies/trust';
import { DecisionKeyConfigError, mergeDecisionKeys, verifierDecisionKeys } from '../runtime/decision-key';
import { dataDir } from '../runtime/local-secret';
import { parseOptions, UsageError, UserError, type Command, type Io } from './command';

const sha256Hex = /^[0-9a-f]{64}$/;

const verifyCommand: Command = {
  usage: [
    { syntax: 'audit verify [--file <path> | --database <url>]', summary: "check the audit trail's hash chains and decision receipts (default: the worker's sink)" },
    { syntax: 'audit verify --run <workflowId> [--head <hash>]', summary: "one workflow; --head: its result's auditHead (also: --schema <name>, --trust <file>)" },
  ],
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      file: { type: 'string' },
      database: { type: 'string' },
      schema: { type: 'string' },
      run: { type: 'string' },
      head: { type: 'string' },
      trust: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`audit verify takes no arguments, got "${positionals[0]}"`);
    if (values.file !== undefined && values.database !== undefined) throw new UsageError('give --file or --database, not both');
    if (values.schema !== undefined && values.database === undefined) throw new UsageError('--schema goes with --database');
    if (values.head !== undefined && values.run === undefined) throw new UsageError('--head needs --run: a head belongs to one run');
    if (values.head !== undefined && !sha256Hex.test(values.head)) throw new UsageError('--head must be 64 lower-case hex digits (a run result\'s auditHead)');

    const checkReceipt = createReceiptChecker(trustedKeys(values.trust));
    const trail = await readTrail(values);
    if (values.run !== undefined && trail.events.length === 0) throw new UserError(`no audit events for workflow ${values.run}`);
    if (values.head !== undefined && new Set(trail.events.map(({ event }) => (event as { runId?: unknown }).runId).filter((r) => r !== 'endpoint')).size > 1) {
      throw new UsageError(`workflow ${values.run} has more than one run in the trail; --head cannot tell which it anchors`);
    }
    const report = verifyTrail(trail.events, trail.unreadable, { checkReceipt, head: values.head });
    return printReport(report, io);
  },
};

export const auditCommand: Command = {
  usage: verifyCommand.usage,
  run(args, io) {
    const [name, ...rest] = args;
    if (name !== 'verify') throw new UsageError(name === undefined ? 'audit needs a subcommand' : `unknown audit command "${name}"`);
    return verifyCommand.run(rest, io);
  },
};

/** trust.yaml's keys, and those the local workers trust from their environment (runtime/decision-key.ts). */
function trustedKeys(file: string | undefined) {
  try {
    const listed = readTrustFile(file === undefined ? DEFAULT_TRUST_FILE : path.resolve(file)).decisionKeys;
    return mergeDecisionKeys(listed, verifierDecisionKeys());
  } catch (err) {
    if (err instanceof PolicyValidationError) throw new UserError(err.issues.map(formatIssue).join('; '));
    if (err instanceof DecisionKeyConfigError) throw new UserError(err.message);
    throw err;
  }
}

/** The sink asked for, else the one the worker writes to (the same environment variables). */
async function readTrail(values: { file?: string; database?: string; schema?: string; run?: string }): Promise<StoredTrail> {
  const database = values.file === undefined ? (values.database ?? (process.env.ARBITER_AUDIT_DATABASE_URL || undefined)) : undefined;
  if (database !== undefined) {
    try {
      return await readPostgresTrail(database, { schema: values.schema, workflowId: values.run });
    } catch (err) {
      // The driver's message names the host or the table, never the URL's password.
      throw new UserError(`cannot read the audit trail from PostgreSQL: ${(err as Error).message}`);
    }
  }
  const file = path.resolve(values.file ?? (process.env.ARBITER_AUDIT_FILE || path.join(dataDir(), 'audit.jsonl')));
  try {
    return await readJsonlTrail(file, values.run);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new UserError(`${file}: cannot read the audit file (${code})`);
    throw err;
  }
}

function printReport(report: TrailReport, io: Io): number {
  for (const run of report.runs) (run.finding ? io.err : io.out)(describeRun(run));
  for (const finding of report.findings) io.err(`FAIL  ${finding.kind} ${finding.eventId}: ${finding.detail}`);
  const failed = report.runs.filter((run) => run.finding).length + report.findings.length;
  const torn = report.unreadable.length ? `; ${report.unreadable.length} unreadable line(s), skipped (${report.unreadable.join(', ')})` : '';
  const summary = `audit trail: ${report.runs.length} chain(s), ${report.runs.length - report.runs.filter((r) => r.finding).length} intact, ${failed} tampered${torn}`;
  (failed ? io.err : io.out)(summary);
  return failed ? 1 : 0;
}

function describeRun(run: RunReport): string {
  if (run.finding) return `FAIL  ${run.runKey}: ${run.finding.kind} ${run.finding.eventId}: ${run.finding.detail}`;
  const receipts = `${run.receipts} receipt(s) valid`;
  if (run.source === 'endpoint') return `ok    ${run.runKey}: ${run.events} stand-alone endpoint event(s), each hash intact, ${receipts}`;
  const state = run.continuedAsNew ? 'continued as new' : run.finished ? 'finished' : 'open (no run.finished: in flight, or its tail was removed)';
  return `ok    ${run.runKey}: ${run.events} event(s) chained, ${state}, ${receipts}, head ${run.head ?? '-'}`;
}
