// Replays every committed history in test/histories/ against the current workflow code, so a
// change that breaks determinism for runs already in flight fails CI instead of production.
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as processes from '../workflows';
import { readCommittedHistories } from './helpers/histories';
import { bundleWorkflows } from './helpers/temporal';

function loadHistories() {
  return readCommittedHistories().map(({ file, workflowId, json }) => ({ file, workflowId, history: historyFromJSON(json) }));
}

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  bundle = await bundleWorkflows();
});

describe('replay of committed histories', () => {
  const histories = loadHistories();

  it('has a recorded history for every process', () => {
    const recorded = new Set(histories.map((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    expect([...recorded].sort()).toEqual(Object.keys(processes).sort());
  });

  it.each(histories.map((h) => [h.file, h] as const))('replays %s without a determinism error', async (_name, history) => {
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, [history])) results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0]?.error).toBeUndefined();
  });

  it('rejects a workflow whose steps changed order with a DeterminismViolationError', async () => {
    const completed = histories.find((h) => h.workflowId === 'refund-completed');
    expect(completed).toBeDefined();
    const changed = path.join(__dirname, 'fixtures', 'refund-with-steps-swapped.ts');
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: changed }, [completed!])) results.push(result);
    expect(results[0]?.error).toBeInstanceOf(DeterminismViolationError);
  });
});
