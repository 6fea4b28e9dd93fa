// The budget ledger in a file, for one worker process: an append-only log with one line per
// reservation and per settlement, replayed into memory at start. Appending keeps every write the
// same small size however many calls the day has seen (rewriting the whole file made each call
// pay for all earlier ones). Reserve and settle run without an await between reading and
// writing, so Node's single thread makes them atomic. Several worker processes must share the
// PostgreSQL ledger instead.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { decideGrant, fromMicroUsd, toMicroUsd, type ModelBudgetLedger } from './ledger';

interface Reservation {
  tenant: string;
  day: string;
  reservedMicro: number;
  spentMicro?: number;
}

/** One line of the log: a reservation made, or a reservation settled. */
type LogLine = { reserve: string; tenant: string; day: string; micro: number } | { settle: string; micro: number };

export function createFileBudgetLedger(path: string): ModelBudgetLedger {
  const reservations = new Map<string, Reservation>();
  /** What each tenant's day has used: settled spend, plus the worst case of open reservations. */
  const usedByDay = new Map<string, number>();
  const dayKey = (tenant: string, day: string) => `${tenant}\u0000${day}`;
  const addUse = (tenant: string, day: string, micro: number) => usedByDay.set(dayKey(tenant, day), (usedByDay.get(dayKey(tenant, day)) ?? 0) + micro);

  function apply(line: LogLine): void {
    if ('reserve' in line) {
      if (reservations.has(line.reserve)) return;
      reservations.set(line.reserve, { tenant: line.tenant, day: line.day, reservedMicro: line.micro });
      addUse(line.tenant, line.day, line.micro);
      return;
    }
    const row = reservations.get(line.settle);
    if (!row || row.spentMicro !== undefined) return;
    row.spentMicro = line.micro;
    addUse(row.tenant, row.day, line.micro - row.reservedMicro);
  }

  let endsMidLine = false;
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const legacy = legacyRows(text);
    if (legacy) {
      // The ledger used to be one JSON object rewritten on every change: carried over as a log.
      const lines: LogLine[] = [];
      for (const [id, row] of legacy) {
        lines.push({ reserve: id, tenant: row.tenant, day: row.day, micro: row.reservedMicro });
        if (row.spentMicro !== undefined) lines.push({ settle: id, micro: row.spentMicro });
      }
      lines.forEach(apply);
      writeFileSync(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    } else {
      for (const raw of text.split('\n')) {
        // Only the last line can be torn (a crash mid-append): it never finished, so it never counted.
        const line = parseLine(raw);
        if (line) apply(line);
      }
      endsMidLine = text.length > 0 && !text.endsWith('\n');
    }
  }

  // Made once: a syscall on every reservation and settlement would be paid by every model call.
  let folderMade = false;
  function append(line: LogLine): void {
    if (!folderMade) {
      mkdirSync(dirname(path), { recursive: true });
      folderMade = true;
    }
    try {
      appendFileSync(path, `${endsMidLine ? '\n' : ''}${JSON.stringify(line)}\n`);
    } catch (error) {
      // The folder may have gone: the activity's retry makes it again.
      folderMade = false;
      throw error;
    }
    endsMidLine = false;
    apply(line);
  }

  return {
    async reserve(request) {
      const existing = reservations.get(request.reservationId);
      const used = usedByDay.get(dayKey(request.tenant, request.day)) ?? 0;
      const { grantedMicro, availableMicro } = decideGrant(request, used, existing?.reservedMicro);
      if (!existing && grantedMicro > 0) append({ reserve: request.reservationId, tenant: request.tenant, day: request.day, micro: grantedMicro });
      return { grantedUsd: fromMicroUsd(grantedMicro), availableUsd: fromMicroUsd(availableMicro) };
    },

    async settle(reservationId, spentUsd) {
      const row = reservations.get(reservationId);
      if (!row || row.spentMicro !== undefined) return;
      append({ settle: reservationId, micro: toMicroUsd(spentUsd) });
    },

    async close() {},
  };
}

function parseLine(raw: string): LogLine | undefined {
  if (!raw.trim()) return undefined;
  try {
    const line = JSON.parse(raw) as Partial<Record<string, unknown>>;
    if (typeof line.micro !== 'number') return undefined;
    if (typeof line.reserve === 'string' && typeof line.tenant === 'string' && typeof line.day === 'string') return line as LogLine;
    if (typeof line.settle === 'string') return line as LogLine;
  } catch {
    // A torn last line.
  }
  return undefined;
}

/** The rows of a ledger file in the earlier format, one JSON object keyed by reservation id. */
function legacyRows(text: string): [string, Reservation][] | undefined {
  if (!text.trimStart().startsWith('{') || text.trim().includes('\n')) return undefined;
  try {
    const rows = Object.entries(JSON.parse(text) as Record<string, Reservation>);
    return rows.every(([, row]) => typeof row?.reservedMicro === 'number') ? rows : undefined;
  } catch {
    return undefined;
  }
}
