// The audit trail as a JSON-lines file: one event per line, each version of an eventId written
// once. Meant for local runs and a single worker process; several processes on one file need PostgreSQL.
// A version is the event's hash: a workflow task that failed and ran again records the events of
// that task again, at the new task's time, so under the same ids with new hashes; the later line
// supersedes the earlier, as the retried task's history supersedes the failed one.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEvent } from '../../common/audit-schemas';
import type { AppendResult, AuditSink } from './sink';

interface FileState {
  /** Each recorded eventId with the hash of its latest line (undefined for events without one). */
  recorded: Map<string, string | undefined>;
  /** A crash mid-write can leave a torn last line; the next batch must start on a fresh line. */
  endsMidLine: boolean;
  folderMade?: boolean;
}

export function createJsonlAuditSink(path: string): AuditSink {
  let state: FileState | undefined;
  // Appends run one after another so two concurrent batches never interleave in the file
  // or both pass the duplicate check for the same id.
  let queue: Promise<unknown> = Promise.resolve();

  async function appendInOrder(events: AuditEvent[]): Promise<AppendResult> {
    // Loaded on first use, so a restarted worker still knows which ids the file holds.
    state ??= await readFileState(path);
    const fresh = newEvents(events, state.recorded);
    if (fresh.length === 0) return { written: 0, duplicates: events.length };

    const lines = fresh.map((event) => `${JSON.stringify(event)}\n`).join('');
    try {
      // The folder is made with the first batch; a later failure clears `state`, so it is made again.
      if (!state.folderMade) await mkdir(dirname(path), { recursive: true });
      // One write per batch: the batch lands whole or, after a crash, as a torn tail that the
      // next load skips, so a retry writes those events again.
      await appendFile(path, (state.endsMidLine ? '\n' : '') + lines, 'utf8');
    } catch (error) {
      // Part of the batch may have reached the file: re-read it before trusting the ids again.
      state = undefined;
      throw error;
    }
    state.endsMidLine = false;
    state.folderMade = true;
    for (const event of fresh) state.recorded.set(event.eventId, event.hash);
    return { written: fresh.length, duplicates: events.length - fresh.length };
  }

  return {
    append(events) {
      const result = queue.then(() => appendInOrder(events));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      await queue;
    },
  };
}

/** The events not yet recorded in this version, each id once even if the batch repeats it. */
function newEvents(events: AuditEvent[], recorded: ReadonlyMap<string, string | undefined>): AuditEvent[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    const known = recorded.has(event.eventId) && recorded.get(event.eventId) === event.hash;
    if (known || seen.has(event.eventId)) return false;
    seen.add(event.eventId);
    return true;
  });
}

async function readFileState(path: string): Promise<FileState> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { recorded: new Map(), endsMidLine: false };
    throw error;
  }
  const recorded = new Map<string, string | undefined>();
  for (const line of content.split('\n')) {
    const version = versionOf(line);
    if (version !== undefined) recorded.set(version.eventId, version.hash);
  }
  return { recorded, endsMidLine: content.length > 0 && !content.endsWith('\n') };
}

/** A torn or foreign line has no id: its event counts as not written, so a retry rewrites it. */
function versionOf(line: string): { eventId: string; hash: string | undefined } | undefined {
  if (line.trim() === '') return undefined;
  try {
    const { eventId, hash } = (JSON.parse(line) ?? {}) as { eventId?: unknown; hash?: unknown };
    return typeof eventId === 'string' ? { eventId, hash: typeof hash === 'string' ? hash : undefined } : undefined;
  } catch {
    return undefined;
  }
}
