// An investigating agent inside the workflow. Each model turn is an activity (routed, budgeted,
// failed over like any model call); each read tool call the model makes is asked of policy first
// (declared, allowed for the agent's rights, within its limit, arguments valid) and then runs as
// an activity on the integrations queue, cached per run by its arguments' digest. A write tool is
// never run: its call is the agent's proposal, checked by the process's proposal schema. A refused
// call is answered to the model and recorded, never run. The loop ends with a proposal, or throws,
// and the process takes its human path: the model proposes and investigates, the workflow decides.
// A long investigation continues as new at a turn boundary when its policy says so, handing the
// next run where it stands (workflows/carried-run.ts): turns and calls count over every run.
import { ApplicationFailure, isCancellation, proxyActivities, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { AgentToolActivities, ProposerActivities } from '../activities';
import type { CallReadToolInput } from '../activities/tools';
import type { AgentTurnInput } from '../activities/llm/chat-proposer';
import type { ToolCallRequest, ToolResultEntry, TranscriptRef } from '../activities/llm/agent-turn';
import { argumentsDigest, readToolIdempotencyKey } from '../common/agent-tools';
import { integrationsTaskQueue } from '../common/constants';
import { NO_MODEL_AVAILABLE } from '../common/error-types';
import { contentHash } from '../common/content-hash';
import { continueAsNewReason, modelToolDefinitions, offSubject, toolCallVerdict, type ToolSubjects } from '../policies/tools';
import type { AgentTools, PolicyBundle, RightsClass } from '../policies/schema';
import { agentToolActivity } from './activity-options';
import type { AgentState } from './carried-run';
import { askModels, estimateInputTokens } from './model-call';
import type { AiProposal } from './proposal';
import type { DecisionTrace, ToolCallRecord } from './trace';

export interface Investigation {
  process: AgentTurnInput['process'];
  tenant: string;
  region: string;
  /** What the agent is shown of the request: the same as a single-call agent's. */
  input: unknown;
  agentTools: AgentTools;
  rights: RightsClass;
  /** The records the agent may read: the request's own order, customer, SKUs. */
  subjects: ToolSubjects;
  bundle: PolicyBundle;
  trace: DecisionTrace;
  models: ActivityInterfaceFor<Pick<ProposerActivities, 'agentTurn'>>;
  /** Where the run this one continues left the investigation (its trace is restored already). */
  resume?: AgentState;
  /** Ends this run by continuing as new with `state`; never returns. */
  continueAsNew: (state: AgentState, reason: string) => Promise<never>;
}

/** A result's first line, for the trace and the Web UI: never the whole of it. */
const SUMMARY_CHARS = 120;

export async function investigate<P>(run: Investigation): Promise<AiProposal<P>> {
  const { agentTools, bundle, trace } = run;
  const tools = proxyActivities<AgentToolActivities>({ ...agentToolActivity, taskQueue: integrationsTaskQueue(workflowInfo().taskQueue) });
  // MCP servers' tools are listed once and pinned: every later call is refused if the server's
  // allowed tools change, so a server cannot widen mid-run what the agent may call.
  // A continued run keeps the first run's listings: it never lists again, so nothing new appears.
  const listings = run.resume?.listings ?? await Promise.all(
    Object.entries(agentTools.mcpServers)
      .filter(([name]) => agentTools.tools.some((tool) => tool.source !== 'builtin' && tool.source.mcp === name))
      .map(([name, server]) => tools.listMcpTools.executeWithOptions({ summary: `list the tools of MCP server ${name}` }, [{ server: { name, ...server } }])),
  );
  const definitions = modelToolDefinitions(agentTools, run.rights, listings.flatMap((listing) => listing.tools));
  const writeTool = agentTools.tools.find((tool) => tool.kind === 'write')!;
  // What the agent was shown, pinned: a later turn cannot be offered more than the first was.
  const record = trace.startInvestigation(contentHash({ definitions, listings: listings.map((l) => l.digest) }), definitions.map((d) => d.function.name));
  const { resume } = run;
  const calls = new Map<string, number>(Object.entries(resume?.calls ?? {}));
  // Reads made by earlier runs, by tool and arguments' digest: their results are in the transcript.
  const readBefore = new Set(resume?.readBefore ?? []);
  // Every read made so far, handed on when the run continues as new.
  const evidence = new Set(readBefore);
  // Keyed by tool and arguments' digest; holds the read in flight, so identical calls in one turn share it.
  const cache = new Map<string, Promise<ToolResultEntry | undefined>>();
  let transcript: TranscriptRef | undefined = resume?.transcript;
  let results: ToolResultEntry[] = resume?.results ?? [];
  let shownChars = resume?.shownChars ?? 0;
  const spent = { tokensIn: 0, tokensOut: 0, costUsd: 0, ...resume?.spent };
  const firstTurn = (resume?.turns ?? 0) + 1;

  for (let turn = firstTurn; turn <= agentTools.maxTurns; turn++) {
    const answer = await askModels(
      {
        purpose: 'agent-turn',
        tenant: run.tenant,
        region: run.region,
        estimatedInputTokens: estimateInputTokens(run.input) + Math.ceil(shownChars / 4),
        invoke: (limits) =>
          run.models.agentTurn.executeWithOptions({ summary: `agent turn ${turn} via ${limits.candidates.map((c) => c.modelId).join(' > ')}` }, [
            { process: run.process, request: run.input, personalFields: bundle.policy.ai.personalFields, ...limits, transcript, results, tools: definitions, proposeTool: writeTool.name },
          ]),
      },
      bundle,
      trace,
    );
    trace.addCall({ model: answer.model, tokensIn: answer.tokensIn, tokensOut: answer.tokensOut, costUsd: answer.costUsd });
    spent.tokensIn += answer.tokensIn;
    spent.tokensOut += answer.tokensOut;
    spent.costUsd += answer.costUsd;
    transcript = answer.transcript;
    const turnRecord = record.turn(turn, answer.model, answer.costUsd);

    // A write call is the proposal: the first one the policy allows and the schema accepts ends the loop.
    const proposed = answer.proposal.calls.find((call) => call.name === writeTool.name);
    let notAccepted = '';
    if (proposed) {
      const verdict = toolCallVerdict(agentTools, run.rights, proposed.name, calls.get(proposed.name) ?? 0, proposed.arguments);
      // Only an allowed call counts against the limit: a malformed proposal does not use up the only one.
      if (verdict.verdict === 'allowed') {
        turnRecord.calls.push(callRecord(proposed.name, verdict.args, 'proposal', 'the agent proposes'));
        return { proposal: verdict.args as P, model: answer.model, prompt: answer.prompt, ...spent, costsRecorded: true };
      }
      notAccepted = verdict.message;
      turnRecord.calls.push(callRecord(proposed.name, proposed.arguments, 'refused', `${verdict.reason}: ${verdict.message}`));
    }
    // Every other call of the turn is answered, in the order made; reads run at once.
    // Each call's record goes in its own slot, so the trace lists them in the order the model made them.
    const logs: ToolCallRecord[][] = answer.proposal.calls.map(() => []);
    results = await Promise.all(
      answer.proposal.calls.map(async (call, i): Promise<ToolResultEntry> => {
        const log = logs[i]!;
        if (call === proposed) return refusedEntry(call, `not accepted as a proposal: ${notAccepted}`);
        const verdict = toolCallVerdict(agentTools, run.rights, call.name, calls.get(call.name) ?? 0, call.arguments);
        // A name no policy declares is recorded as such, never as the model wrote it.
        const shownName = verdict.verdict === 'refused' && verdict.reason === 'undeclared' ? '(undeclared)' : call.name;
        if (verdict.verdict === 'refused') {
          log.push(callRecord(shownName, call.arguments, 'refused', `${verdict.reason}: ${verdict.message}`));
          return refusedEntry(call, verdict.message);
        }
        const elsewhere = offSubject(verdict.args, run.subjects);
        if (elsewhere) {
          log.push(callRecord(call.name, verdict.args, 'refused', `off-subject: ${elsewhere}`));
          return refusedEntry(call, `only this request's records may be read: ${elsewhere}`);
        }
        // Counted before any await, so parallel calls in one turn cannot pass the limit together.
        calls.set(call.name, (calls.get(call.name) ?? 0) + 1);
        if (verdict.tool.kind === 'write') {
          log.push(callRecord(call.name, verdict.args, 'refused', 'a second write tool is never run'));
          return refusedEntry(call, 'only the proposal tool ends an investigation');
        }
        const digest = argumentsDigest(verdict.args);
        const cached = cache.get(`${call.name}:${digest}`);
        if (cached) {
          log.push(callRecord(call.name, verdict.args, 'cached', 'answered from this run\'s earlier identical call'));
          const earlier = await cached;
          return earlier ? { ...earlier, callId: call.id } : refusedEntry(call, 'the tool failed after retries; go on without it');
        }
        if (readBefore.has(`${call.name}:${digest}`)) {
          log.push(callRecord(call.name, verdict.args, 'cached', 'read in an earlier run of this investigation: answered from the transcript'));
          return refusedEntry(call, 'this read was made earlier in this investigation; its result is above in the conversation');
        }
        const { source: declared } = verdict.tool;
        const listing = declared === 'builtin' ? undefined : listings.find((l) => l.server === declared.mcp);
        const source = declared === 'builtin' || !listing ? ('builtin' as const) : { mcp: { name: declared.mcp, ...agentTools.mcpServers[declared.mcp]! }, listingDigest: listing.digest };
        const reading = readTool(tools, call, verdict.args, verdict.tool.resultDataClass, source, log);
        cache.set(`${call.name}:${digest}`, reading);
        const entry = await reading;
        // A failed read is not kept: the model may ask again in a later turn.
        if (!entry) cache.delete(`${call.name}:${digest}`);
        else evidence.add(`${call.name}:${digest}`);
        return entry ?? refusedEntry(call, `the tool failed after retries; go on without it`);
      }),
    );
    turnRecord.calls.push(...logs.flat());
    shownChars += results.reduce((sum, r) => sum + ('content' in r ? r.content.length : r.bytes), 0);
    // At a turn boundary nothing is in flight: the next run can take over from exactly here.
    const info = workflowInfo();
    const why = continueAsNewReason(agentTools.continueAsNew, { turnsThisRun: turn - firstTurn + 1, historyBytes: info.historySize, suggested: info.continueAsNewSuggested });
    if (why && turn < agentTools.maxTurns) {
      await run.continueAsNew({ turns: turn, calls: Object.fromEntries(calls), transcript, results, readBefore: [...evidence], shownChars, spent, listings }, why);
    }
  }
  throw ApplicationFailure.nonRetryable(`the agent made no valid proposal within ${agentTools.maxTurns} turns`, NO_MODEL_AVAILABLE, {
    attempts: [],
    costUsd: 0,
  });

  function callRecord(tool: string, args: unknown, outcome: ToolCallRecord['outcome'], summary: string, bytes?: number): ToolCallRecord {
    return { tool, argsDigest: argumentsDigest(args).slice(0, 16), outcome, summary: summary.slice(0, SUMMARY_CHARS), bytes, at: new Date().toISOString() };
  }

  /** Runs one read; its result as the model will get it, or undefined when the tool failed every retry. */
  async function readTool(
    activities: ActivityInterfaceFor<AgentToolActivities>,
    call: ToolCallRequest,
    args: Record<string, unknown>,
    dataClass: string,
    source: CallReadToolInput['source'],
    log: ToolCallRecord[],
  ): Promise<ToolResultEntry | undefined> {
    try {
      const result = await activities.callReadTool.executeWithOptions({ summary: `${call.name} ${argumentsDigest(args).slice(0, 8)}` }, [
        { tool: call.name, args, idempotencyKey: readToolIdempotencyKey(workflowInfo().workflowId, call.name, args), source },
      ]);
      if (result.status === 'refused') {
        log.push(callRecord(call.name, args, 'refused', `${result.reason}: ${result.message}`));
        return refusedEntry(call, result.message);
      }
      log.push(callRecord(call.name, args, 'ok', firstLine(result.content), result.bytes));
      const shown = { kind: 'result' as const, status: 'ok' as const, callId: call.id, name: call.name, dataClass, truncated: result.truncated };
      // Kept in the blob store when large: history carries its digest, the model's turn fetches it.
      return result.shown ? { ...shown, digest: result.shown.digest, bytes: result.shown.size } : { ...shown, content: result.content };
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.push(callRecord(call.name, args, 'failed', 'failed after retries'));
      return undefined;
    }
  }
}

function refusedEntry(call: ToolCallRequest, message: string): ToolResultEntry {
  return { kind: 'result', status: 'refused', callId: call.id, name: call.name, dataClass: 'internal', content: message };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.slice(0, SUMMARY_CHARS);
}
