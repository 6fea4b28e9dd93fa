// The stand-ins' state on disk: loaded once at start, written whole after every change.
// Writes go to a temp file that is renamed into place, so a crash never leaves half a file.
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { emptyState, standInStateSchema, type StandInState } from './schemas';

export interface StateStore {
  /** The live state; routes mutate it in place, then call save(). */
  readonly state: StandInState;
  /** Writes a snapshot taken now; resolves once that snapshot is on disk. */
  save(): Promise<void>;
  /** Resolves once every save requested so far has finished (successfully or not). */
  settled(): Promise<void>;
  reset(): Promise<void>;
}

export function openStateStore(statePath: string): StateStore {
  mkdirSync(dirname(statePath), { recursive: true });
  const state = loadState(statePath);
  // Each write waits for the previous one, so two snapshots never interleave on disk and the
  // last one requested is the last one written.
  let lastWrite: Promise<void> = Promise.resolve();

  function save(): Promise<void> {
    const snapshot = JSON.stringify(state, null, 2);
    const write = lastWrite.catch(() => undefined).then(() => writeAtomically(statePath, snapshot));
    lastWrite = write;
    return write;
  }

  return {
    state,
    save,
    settled: () => lastWrite.catch(() => undefined),
    reset() {
      Object.assign(state, emptyState());
      return save();
    },
  };
}

function loadState(statePath: string): StandInState {
  let raw: string;
  try {
    raw = readFileSync(statePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  // A file that does not parse is refused rather than replaced: silently starting empty would
  // forget idempotency records and let retries repeat their effects.
  return standInStateSchema.parse(JSON.parse(raw));
}

async function writeAtomically(path: string, contents: string): Promise<void> {
  const tempPath = `${path}.${process.pid}.tmp`;
  const file = await open(tempPath, 'w');
  try {
    await file.writeFile(contents, 'utf8');
    // Flush before the rename, or a power cut could leave the new name pointing at empty data.
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tempPath, path);
}
