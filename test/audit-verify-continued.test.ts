// A run that continues as new ends its audit chain with `run.continued-as-new`; the next run of the
// workflow starts a chain of its own. Verify counts the first run as ended, not open, and still
// reports an event put after its end.
import { GENESIS_HASH, sealAuditEvent } from '../common/audit-chain';
import { verifyTrail } from '../common/audit-verify';

function run(runId: string, types: string[]) {
  let prevHash = GENESIS_HASH;
  return types.map((type, i) => {
    const event = sealAuditEvent(
      { eventId: `refund-1/${runId}/${i + 1}`, workflowId: 'refund-1', runId, process: 'refund', tenant: 'acme', at: new Date(Date.UTC(2026, 11, 7, 11, 0, i)).toISOString(), type, actor: { kind: 'system', id: 'arbiter' }, summary: type },
      prevHash,
    );
    prevHash = event.hash;
    return { event, location: `line ${i + 1}` };
  });
}

const verify = (events: ReturnType<typeof run>) => verifyTrail(events, [], { checkReceipt: () => ({ ok: true }) as never });

test('counts a run that continued as new as ended, and the run it continued in as its own chain', () => {
  const report = verify([...run('run-1', ['run.started', 'policy.pinned', 'run.continued-as-new']), ...run('run-2', ['run.continued', 'policy.pinned', 'run.finished'])]);
  expect(report.runs.map((r) => [r.runKey, r.finished, r.continuedAsNew ?? false, r.finding])).toEqual([
    ['refund-1/run-1', true, true, undefined],
    ['refund-1/run-2', true, false, undefined],
  ]);
});

test('reports an event chained after run.continued-as-new as inserted', () => {
  const report = verify(run('run-1', ['run.started', 'run.continued-as-new', 'proposal.received']));
  expect(report.runs[0]?.finding).toMatchObject({ kind: 'inserted', eventId: 'refund-1/run-1/3' });
});
