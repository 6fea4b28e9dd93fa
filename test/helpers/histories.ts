// The committed histories the replay tests run: test/histories/*.json, recorded from the current
// workflow code, and test/histories/earlier-versions/*.json, recorded from earlier code, which
// stand for runs still in flight when a new version deploys. Each file is named after the run's
// workflow id, which the workflow code depends on (idempotency keys, card hashes).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
const FOLDERS = [HISTORIES_DIR, path.join(HISTORIES_DIR, 'earlier-versions')];

export interface CommittedHistory {
  /** Relative to test/histories, e.g. `earlier-versions/refund-approved.json`. */
  file: string;
  workflowId: string;
  json: unknown;
}

export function readCommittedHistories(): CommittedHistory[] {
  return FOLDERS.flatMap((folder) =>
    readdirSync(folder)
      .filter((name) => name.endsWith('.json'))
      .map((name) => ({
        file: path.relative(HISTORIES_DIR, path.join(folder, name)),
        workflowId: name.replace(/\.json$/, ''),
        json: JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as unknown,
      })),
  );
}
