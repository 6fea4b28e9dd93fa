// Replaying a history n times as a worker would run it: measurement 6 (bench/workflow-cpu.ts) and
// the diagnosis scripts (bench/profile-replay.ts, bench/promise-census.ts) all do it this one way.
// For the scripts also: the bundle for a history file (the bare saga's for a bare saga's history)
// and where a line of the bundle comes from.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleArbiterWorkflows } from '../runtime/workflow-bundle';
import { tracingSinks } from '../runtime/tracing';
import { testDataConverter } from '../test/helpers/payload-keys';

export interface HistoryReplayer {
  bundle: WorkflowBundleWithSourceMap;
  /** Replays the history `n` times on one replay worker; throws on the first failure. */
  replay(n: number): Promise<void>;
}

export async function historyReplayer(file: string, replayName: string): Promise<HistoryReplayer> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const history = historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
  const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  const benchBundles: Record<string, string> = { bareRefund: path.join(__dirname, 'workflows'), floorRefund: path.join(__dirname, 'workflows', 'floor-index.ts') };
  const workflowsPath = benchBundles[workflowType ?? ''] ?? path.join(__dirname, '..', 'workflows');
  const bundle = await bundleArbiterWorkflows({ workflowsPath: require.resolve(workflowsPath), traced: false });
  return { bundle, replay: (n) => replayTimes({ bundle, history, replayName, workflowId: replayName }, n) };
}

/** Replays `history` `n` times on one replay worker with `bundle`, as a worker would run it; throws on the first failure. */
export async function replayTimes(
  target: { bundle: WorkflowBundleWithSourceMap; history: temporal.api.history.v1.IHistory; replayName: string; workflowId: string },
  n: number,
): Promise<void> {
  const { bundle, history, replayName, workflowId } = target;
  const runs = function* () {
    for (let i = 0; i < n; i++) yield { workflowId, history };
  };
  // The histories were written by encrypting workers: a replay decrypts them as a real one does.
  const options = { workflowBundle: bundle, replayName, dataConverter: testDataConverter(), sinks: tracingSinks() };
  for await (const result of Worker.runReplayHistories(options, runs())) if (result.error) throw result.error;
}

/** The bundle module a line of the bundle is in: webpack starts each with a `/***\/ "./path"` line. */
export function bundleModuleIndex(code: string): (line: number) => string {
  const starts: { line: number; name: string }[] = [];
  code.split('\n').forEach((text, line) => {
    const match = /^\/\*\*\*\/ "(.+)":?$/.exec(text);
    if (match) starts.push({ line, name: match[1]! });
  });
  return (line) => {
    let found = 'bundle runtime';
    for (const start of starts) {
      if (start.line > line) break;
      found = start.name;
    }
    return found;
  };
}
