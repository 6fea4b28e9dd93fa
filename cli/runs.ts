// `arbiter status <workflowId>` and `arbiter explain <workflowId>`: what a run is doing and why,
// read from the run itself (search attributes and the `explain` query), for operators.
import { ArbiterClient, type Explanation } from '../client';
import { PayloadKeyConfigError } from '../runtime/payload-keys';
import { parseOptions, UsageError, UserError, type Command, type Io } from './command';

async function withClient<T>(fn: (client: ArbiterClient) => Promise<T>): Promise<T> {
  const client = await ArbiterClient.connect().catch((err: unknown) => {
    // A missing payload key is a setting to fix, not Temporal being down.
    if (err instanceof PayloadKeyConfigError) throw new UserError(err.message);
    throw new UserError(`cannot reach Temporal (${(err as Error).message}); is it running? (npm start)`);
  });
  try {
    return await fn(client);
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new UserError('no such workflow');
    throw err;
  } finally {
    await client.close();
  }
}

function workflowIdFrom(args: string[]): string {
  const { positionals } = parseOptions(args, {});
  const [workflowId, ...extra] = positionals;
  if (!workflowId || extra.length) throw new UsageError('give exactly one workflow id');
  return workflowId;
}

export const statusCommand: Command = {
  usage: [{ syntax: 'status <workflowId>', summary: "a run's state, stage and Web UI link" }],
  async run(args, io) {
    const workflowId = workflowIdFrom(args);
    const status = await withClient((client) => client.getStatus(workflowId));
    io.out(`${status.workflowId}: ${status.status}, stage ${status.stage ?? '-'}, process ${status.process ?? '-'}, tenant ${status.tenant ?? '-'}`);
    io.out(status.webUiUrl);
    return 0;
  },
};

export const explainCommand: Command = {
  usage: [{ syntax: 'explain <workflowId>', summary: 'the decision trace: proposal, rule, approvals, steps, compensations, cost' }],
  async run(args, io) {
    const workflowId = workflowIdFrom(args);
    const explanation = await withClient((client) => client.explain(workflowId));
    printExplanation(explanation, io);
    return 0;
  },
};

export function printExplanation(e: Explanation, io: Io): void {
  io.out(`process   ${e.process}   policy ${e.policy ? `${e.policy.ref} (${e.policy.hash.slice(0, 12)})` : '-'}   AI ${e.aiEnabled ? 'on' : 'off'}`);
  for (const p of e.proposals) {
    const via = p.model ? ` via ${p.model}, prompt ${p.prompt?.id}@${p.prompt?.version}` : '';
    io.out(`proposal  ${p.by} (${p.source}${via}): ${p.summary}`);
  }
  for (const call of e.modelCalls.filter((c) => c.purpose !== 'agent-turn')) {
    const served = call.servedBy ? `served by ${call.servedBy.provider} (${call.servedBy.modelId})` : 'no model answered';
    io.out(`model     ${call.purpose} ${served}; route ${call.route}`);
  }
  if (e.investigation) {
    const { tools, toolsHash, turns } = e.investigation;
    io.out(`agent     ${turns.length} turn(s); tools ${tools.join(', ')} (list pinned ${toolsHash.slice(0, 12)})`);
    // A long investigation went on in fresh runs (continue-as-new): the last run holds every turn.
    for (const r of e.investigation.runs ?? []) io.out(`  turns ${r.firstTurn}-${r.lastTurn} in run ${r.runId}, then continued as new: ${r.reason}`);
    for (const turn of turns) {
      for (const call of turn.calls) {
        const size = call.bytes === undefined ? '' : `, ${call.bytes} bytes`;
        io.out(`  turn ${String(turn.turn).padEnd(3)} ${call.tool} [${call.argsDigest.slice(0, 8)}] ${call.outcome}${size}: ${call.summary}`);
      }
      io.out(`  turn ${String(turn.turn).padEnd(3)} ${turn.model}, ${turn.costUsd.toFixed(6)} USD, ${turn.at}`);
    }
  }
  for (const d of e.decisions) io.out(`decision  ${d.outcome} by rule ${d.ruleId}: ${d.reason}`);
  if (e.approval) {
    const votes = e.approval.decisions.map((d) => `${d.approverId} ${d.decision}d`).join(', ') || 'none yet';
    io.out(`approval  ${e.approval.status}${e.approval.escalated ? ', escalated' : ''}; decisions: ${votes}`);
  }
  for (const r of e.refusedDecisions) io.out(`refused   ${r.approverId}: ${r.reason}`);
  for (const s of e.steps) io.out(`${s.kind === 'action' ? 'step' : 'undo'}      ${s.step}: ${s.status}${s.error ? ` (${s.error.type})` : ''}${s.operator ? ` by ${s.operator}` : ''}`);
  for (const n of e.notes) io.out(`note      ${n.text}`);
  io.out(`cost      ${e.costs.totalUsd.toFixed(6)} USD over ${e.costs.calls.length} model call(s)`);
  if (e.outcome) io.out(`outcome   ${e.outcome.outcome}: ${e.outcome.reason}`);
}
