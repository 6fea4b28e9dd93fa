// The budget ledger in a JSON file, for one worker process: reserve and settle run without an
// await between reading and writing, so Node's single thread makes them atomic. Several worker
// processes must share the PostgreSQL ledger instead.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { decideGrant, fromMicroUsd, toMicroUsd, type ModelBudgetLedger } from './ledger';

interface Row {
  tenant: string;
  day: string;
  reservedMicro: number;
  spentMicro?: number;
}

export function createFileBudgetLedger(path: string): ModelBudgetLedger {
  const rows = new Map<string, Row>(existsSync(path) ? Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, Row>) : []);

  function save(): void {
    mkdirSync(dirname(path), { recursive: true });
    // Written aside and renamed, so a crash mid-write never leaves half a file.
    writeFileSync(`${path}.tmp`, JSON.stringify(Object.fromEntries(rows)));
    renameSync(`${path}.tmp`, path);
  }

  function usedMicro(tenant: string, day: string): number {
    let used = 0;
    for (const row of rows.values()) {
      if (row.tenant === tenant && row.day === day) used += row.spentMicro ?? row.reservedMicro;
    }
    return used;
  }

  return {
    async reserve(request) {
      const existing = rows.get(request.reservationId);
      const { grantedMicro, availableMicro } = decideGrant(request, usedMicro(request.tenant, request.day), existing?.reservedMicro);
      if (!existing && grantedMicro > 0) {
        rows.set(request.reservationId, { tenant: request.tenant, day: request.day, reservedMicro: grantedMicro });
        save();
      }
      return { grantedUsd: fromMicroUsd(grantedMicro), availableUsd: fromMicroUsd(availableMicro) };
    },

    async settle(reservationId, spentUsd) {
      const row = rows.get(reservationId);
      if (!row || row.spentMicro !== undefined) return;
      row.spentMicro = toMicroUsd(spentUsd);
      save();
    },

    async close() {},
  };
}
