// `npm run demo`: starts what is not running, runs every process's demo scenarios through the typed
// client (the agent proposes, policy decides, approvers approve, the saga acts or undoes), shows each
// run's stage as it moves, and prints outcomes with the policy's reasons, the stand-ins' state and
// Web UI links. The scenarios are each process's own (`processes/<name>.demo.ts`, reached from its
// descriptor). Exits 0 only when every outcome is the one the scenario expects.
import { ArbiterClient, type StartedProcess } from '../client';
import { PROCESSES, type DemoDecision, type DemoPlan, type ProcessDescriptor, type ProcessResult, type StandInsView } from '../processes';
import { localJwtSecret } from '../runtime/local-secret';
import { mintLocalToken } from '../server/auth';
import { readTemporalSettings } from '../runtime/config';
import { approvalDecisionSignal } from '../workflows/approval';
import { Platform } from './platform';

const runTag = Date.now().toString(36);

/** A process and its demo plan, loaded from its descriptor. */
interface ProcessDemo {
  process: ProcessDescriptor;
  plan: DemoPlan<unknown, ProcessResult>;
}

interface Row {
  ok: boolean;
  cells: string[];
}

async function main(): Promise<number> {
  const settings = readTemporalSettings();
  const platform = new Platform(settings, 'files');
  const say = (line: string) => console.log(`  ${line}`);
  const standInsUrl = `http://127.0.0.1:${process.env.ARBITER_SANDBOX_PORT || 8090}`;
  const approvalsUrl = `http://127.0.0.1:${process.env.ARBITER_PORT || 8080}`;
  let unexpectedAnswers = 0;
  process.on('SIGINT', () => void platform.stop().then(() => process.exit(130)));

  console.log('Arbiter demo: the agent proposes, policy decides, people approve, the saga acts or undoes\n');
  let client: ArbiterClient | undefined;
  try {
    const demos: ProcessDemo[] = await Promise.all(PROCESSES.map(async (process) => ({ process, plan: (await process.demo()).demoPlan(runTag) })));
    await platform.bringUp(say);
    const arbiter = await ArbiterClient.connect(settings);
    client = arbiter;

    console.log('\nStarting the scenarios through the typed client:');
    for (const { plan } of demos) {
      const done = await plan.setUp?.(standInsUrl);
      if (done) say(done);
    }
    const started = await Promise.all(demos.map(({ process, plan }) => Promise.all(plan.scenarios.map((s) => arbiter.start(process.name, s.request)))));
    const [first] = demos;
    const duplicate = first && first.plan.scenarios[0] ? await arbiter.start(first.process.name, first.plan.scenarios[0].request) : undefined;
    const counts = demos.map(({ process }, i) => `${started[i]!.length} ${process.name}`);
    say(`started ${counts.join(', ')} runs; starting the first ${first?.process.name} again returned the same run (started=${duplicate?.started})`);

    console.log('\nProgress (ArbiterStage as operators see it in the Web UI):');
    const forgeries: { workflowId: string; refused: string | undefined }[] = [];
    /** Follows a run to its end, deciding over HTTP as its approvers would when it waits for them. */
    const follow = async (workflowId: string, decisions: DemoDecision[], forgedBy?: DemoDecision['approver']): Promise<void> => {
      await followStages(arbiter, workflowId, say, async () => {
        if (forgedBy) {
          say(`${workflowId.padEnd(32)} a raw Temporal signal claims ${forgedBy.id} (${forgedBy.roles.join(', ')}) approves, past the endpoint`);
          const refused = await forgeDecision(arbiter, workflowId, forgedBy);
          say(`${''.padEnd(32)} the run ${refused ? `refused it: ${refused}` : 'did not refuse it'}`);
          forgeries.push({ workflowId, refused });
        }
        for (const decision of decisions.splice(0)) {
          say(`${workflowId.padEnd(32)} ${decision.approver.id} (${decision.approver.roles.join(', ')}) ${decision.decision}s`);
          const status = await decideOverHttp(approvalsUrl, workflowId, decision);
          say(`${''.padEnd(32)} endpoint answered ${status}${status === decision.expectStatus ? '' : ` (expected ${decision.expectStatus})`}`);
          if (status !== decision.expectStatus) unexpectedAnswers += 1;
        }
      });
    };
    const results = await Promise.all(
      demos.map(({ process, plan }, p) =>
        Promise.all(
          plan.scenarios.map(async (scenario, i) => {
            const run = started[p]![i]!;
            await follow(run.workflowId, [...(scenario.approvals ?? [])], scenario.forgedBy);
            return arbiter.result(process, run.workflowId);
          }),
        ),
      ),
    );

    const standIns = (await (await fetch(`${standInsUrl}/state`)).json()) as StandInsView;
    const rows: Row[] = demos.flatMap(({ plan }, p) =>
      plan.scenarios.map((scenario, i) => {
        const result = results[p]![i]!;
        const run = started[p]![i]!;
        const check = scenario.check(result, standIns);
        const ok = result.outcome === scenario.expected && check.ok;
        return {
          ok,
          cells: [
            ok ? 'ok' : 'UNEXPECTED',
            scenario.title,
            run.workflowId,
            `${result.outcome}${result.failure ? ` (${result.failure.step})` : ''}`,
            check.netEffect,
            run.webUiUrl,
          ],
        };
      }),
    );
    rows.push(duplicateRow(duplicate, started[0]?.[0]));
    for (const forgery of forgeries) {
      rows.push({
        ok: forgery.refused !== undefined,
        cells: [forgery.refused ? 'ok' : 'UNEXPECTED', 'forged decision by raw signal', forgery.workflowId, forgery.refused ? 'refused, listed' : 'not refused', '-', '-'],
      });
    }
    console.log('\nWhy (each run explains itself: `explain` query, or npx arbiter explain <workflowId>):');
    for (const [p, runs] of started.entries()) for (const [i, run] of runs.entries()) say(`${run.workflowId.padEnd(32)} ${results[p]![i]!.reason}`);
    // What each investigating agent looked up before it proposed, from the run's own trace.
    console.log('\nWhat the agents looked up before proposing:');
    for (const runs of started) {
      for (const run of runs) {
        const turns = (await client.explain(run.workflowId)).investigation?.turns ?? [];
        const calls = turns.flatMap((turn) => turn.calls.map((call) => `${call.tool} ${call.outcome}${call.bytes === undefined ? '' : ` (${call.bytes} bytes)`}`));
        if (calls.length) say(`${run.workflowId.padEnd(32)} ${turns.length} turn(s): ${calls.join(', ')}`);
      }
    }
    console.log();
    printTable(['check', 'scenario', 'workflow id', 'outcome', 'net effect in the stand-ins', 'Web UI'], rows.map((r) => r.cells));
    rows.push({
      ok: unexpectedAnswers === 0,
      cells: [unexpectedAnswers === 0 ? 'ok' : 'UNEXPECTED', 'endpoint answers as expected', '-', `${unexpectedAnswers} unexpected`, '-', approvalsUrl],
    });
    const failures = rows.filter((r) => !r.ok).length;
    console.log(
      failures === 0
        ? `\nAll ${rows.length} outcomes as expected. Browse the runs at ${settings.webUiUrl}`
        : `\n${failures} of ${rows.length} outcomes differ from what the scenario expects. Logs: .data/logs/`,
    );
    return failures === 0 ? 0 : 1;
  } finally {
    await client?.close();
    await platform.stop();
  }
}

/** The same request started twice must answer the first run, not start a second. */
function duplicateRow(duplicate: StartedProcess | undefined, firstRun: StartedProcess | undefined): Row {
  const ok = duplicate !== undefined && duplicate.started === false && duplicate.workflowId === firstRun?.workflowId;
  return {
    ok,
    cells: [ok ? 'ok' : 'UNEXPECTED', 'same request twice: one run', duplicate?.workflowId ?? '-', ok ? 'existing run returned' : 'a second run', '-', duplicate?.webUiUrl ?? '-'],
  };
}

/** Decides as an approver would: a token of their own, the card as shown now, then the decision. */
async function decideOverHttp(approvalsUrl: string, workflowId: string, d: DemoDecision): Promise<number> {
  const secret = localJwtSecret({ create: false });
  if (!secret) throw new Error('no token secret: set ARBITER_JWT_SECRET');
  const token = await mintLocalToken(secret, { sub: d.approver.id, roles: d.approver.roles, tenant: 'acme', expiresIn: '10m' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const path = `${approvalsUrl}/approvals/${encodeURIComponent(workflowId)}`;
  const card = await fetch(path, { headers });
  if (card.status !== 200) return card.status;
  const { cardHash } = (await card.json()) as { cardHash: string };
  const body = JSON.stringify({ decision: d.decision, comment: d.comment, cardHash });
  return (await fetch(`${path}/decision`, { method: 'POST', headers, body })).status;
}

/**
 * What anyone who can reach Temporal could try: an approval signalled straight to the run, under
 * an approver's id and roles, with no endpoint signature. Answers the run's reason for refusing it.
 */
async function forgeDecision(client: ArbiterClient, workflowId: string, approver: DemoDecision['approver']): Promise<string | undefined> {
  const view = await client.approval(workflowId);
  if (!view) return undefined;
  const before = (await client.explain(workflowId)).refusedDecisions.length;
  await client.temporal.workflow.getHandle(workflowId).signal(approvalDecisionSignal, { decision: 'approve', approver, cardHash: view.cardHash });
  for (let attempt = 0; attempt < 50; attempt++) {
    const refused = (await client.explain(workflowId)).refusedDecisions;
    if (refused.length > before) return refused[refused.length - 1]!.reason;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** Prints each stage change of a run until it closes; calls `onAwaitingApproval` when it waits for people. */
async function followStages(
  client: ArbiterClient,
  workflowId: string,
  say: (line: string) => void,
  onAwaitingApproval: () => Promise<void>,
): Promise<void> {
  let last: string | undefined;
  for (;;) {
    const status = await client.getStatus(workflowId);
    if (status.stage && status.stage !== last) {
      say(`${workflowId.padEnd(32)} ${status.stage}`);
      last = status.stage;
      if (status.stage === 'awaiting-approval') await onAwaitingApproval();
    }
    if (status.status !== 'RUNNING') return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
