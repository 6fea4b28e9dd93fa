// The committed histories the replay tests run: test/histories/*.json, recorded from the current
// workflow code, and test/histories/earlier-versions/<before-change>/*.json, recorded from earlier code, which
// stand for runs still in flight when a new version deploys. Each file is named after the run's
// workflow id, which the workflow code depends on (idempotency keys, card hashes); the runs of one
// that continued as new are `<workflow id>.run<n>.json`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
const EARLIER = path.join(HISTORIES_DIR, 'earlier-versions');
/** The current histories, then one folder per earlier version, named for the change that followed it. */
const FOLDERS = [
  HISTORIES_DIR,
  ...readdirSync(EARLIER, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(EARLIER, entry.name))
    .sort(),
];

export interface CommittedHistory {
  /** Relative to test/histories, e.g. `earlier-versions/before-eager-steps/refund-approved.json`. */
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
        workflowId: name.replace(/(\.run\d+)?\.json$/, ''),
        json: JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as unknown,
      })),
  );
}
