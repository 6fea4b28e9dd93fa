// Replays every committed history in test/histories/ against the current workflow code, so a
// change that breaks determinism for runs already in flight fails CI instead of production.
// Histories recorded with payload encryption on are read with the committed test key; those
// recorded before it (plain payloads) pass through the same codec unchanged.
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { WorkflowBundle } from '@temporalio/worker';
import * as processes from '../workflows';
import { EncryptionCodec } from '../runtime/payload-codec';
import { tracingSinks } from '../runtime/tracing';
import { encryptHistoryPayloads } from './helpers/encrypted-history';
import { readCommittedHistories } from './helpers/histories';
import { testDataConverter, testPayloadKeyRing } from './helpers/payload-keys';
import { bundleWorkflows } from './helpers/temporal';

function loadHistories() {
  return readCommittedHistories().map(({ file, workflowId, json }) => ({ file, workflowId, history: historyFromJSON(json) }));
}

let bundle: WorkflowBundle;

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
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: testDataConverter(), sinks: tracingSinks() }, [history])) results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0]?.error).toBeUndefined();
  });

  describe('a history whose payloads are encrypted with the test key', () => {
    /** The committed refund-completed history, recorded with the codec on (encrypted here only if it was recorded plain). */
    async function encryptedCompleted() {
      const committed = readCommittedHistories().find((h) => h.workflowId === 'refund-completed')!;
      const firstInput = (committed.json as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { metadata: { encoding: string } }[] } } }[] })
        .events[0]?.workflowExecutionStartedEventAttributes?.input.payloads[0];
      const recordedEncrypted = Buffer.from(firstInput?.metadata.encoding ?? '', 'base64').toString() === 'binary/encrypted';
      const plain = committed;
      const json = recordedEncrypted ? committed.json : await encryptHistoryPayloads(plain.json, new EncryptionCodec(testPayloadKeyRing()));
      const input = (json as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { metadata: { encoding: string } }[] } } }[] }).events[0]
        ?.workflowExecutionStartedEventAttributes?.input.payloads[0];
      expect(Buffer.from(input?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
      return { workflowId: plain.workflowId, history: historyFromJSON(json) };
    }

    it('replays when the replay worker decodes with the test key', async () => {
      const results = [];
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: testDataConverter(), sinks: tracingSinks() }, [await encryptedCompleted()])) results.push(result);
      expect(results[0]?.error).toBeUndefined();
    });

    it('fails to replay without the key, so the passing replay above did decode', async () => {
      const results = [];
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, sinks: tracingSinks() }, [await encryptedCompleted()])) results.push(result);
      expect(results[0]?.error).toBeDefined();
    });
  });

  it('rejects a workflow whose steps changed order with a DeterminismViolationError', async () => {
    const completed = histories.find((h) => h.workflowId === 'refund-completed');
    expect(completed).toBeDefined();
    const changed = path.join(__dirname, 'fixtures', 'refund-with-steps-swapped.ts');
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: changed, dataConverter: testDataConverter() }, [completed!])) results.push(result);
    expect(results[0]?.error).toBeInstanceOf(DeterminismViolationError);
  });
});
