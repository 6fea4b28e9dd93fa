// What a run that continues as new hands the next run of the same workflow, and the checks that
// run makes before it believes any of it. Anyone who can start a workflow can pass a second
// argument, so carried state is taken only from a run Temporal itself continued (a client cannot
// set `continuedFromExecutionRunId`), only when it names that very run (a retried or cron run
// also has the field, with the starter's input). It resumes an investigation between turns, or a
// wait for approval: the proposal and the approvals' decisions, which the next run checks again
// (workflows/approval.ts, resume) after deciding policy again on the facts it reads itself, so
// carried state never skips policy or people. Then Temporal is asked where it came from
// (acceptCarriedOrigin, activities/carried-origin.ts).
import { ApplicationFailure } from '@temporalio/workflow';
import type { CarriedOriginVerdict } from '../activities/carried-origin';
import { z } from 'zod';
import { builtOnce } from '../common/built-once';
import { approvalDecisionSchema, approvalStatusSchema } from '../common/approval-schemas';
import { auditEventHash, parseRunEventId } from '../common/audit-chain';
import { auditEventSchema, type AuditEvent } from '../common/audit-schemas';
import { INVALID_INPUT } from '../common/error-types';
import { contentHash } from '../common/content-hash';
import { toolNameSchema } from '../common/agent-tools';
import { describeIssues } from '../common/validation';
import { rightsOf } from '../policies/evaluate';
import type { PolicyBundle } from '../policies/schema';
import { modelToolDefinitions } from '../policies/tools';

type LoadedFiles = Pick<PolicyBundle, 'policy' | 'roles' | 'models' | 'trust'>;

/**
 * The carried state's schema, built on first use: only a continued run parses one, and every
 * schema built at module load is built again in every run's sandbox (docs/performance.md).
 */
function buildCarriedRunSchema() {
  const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 hex digits');
  const usd = z.number().finite().nonnegative();
  const at = z.string().max(40);
  const line = z.string().max(4000);

  const resultBase = {
    kind: z.literal('result'),
    status: z.enum(['ok', 'refused']),
    callId: z.string().min(1).max(200),
    name: toolNameSchema,
    dataClass: z.string().min(1).max(100),
    truncated: z.boolean().optional(),
  };
  // What the model is answered for one call: inline text (at most a few KB), or a blob digest.
  const toolResultEntrySchema = z.union([
    // Inline results are at most 1 KB; Arbiter's own refusals can name many argument issues.
    z.strictObject({ ...resultBase, content: z.string().max(64_000) }),
    z.strictObject({ ...resultBase, digest: hex64, bytes: z.number().int().nonnegative() }),
  ]);

  const listingSchema = z.strictObject({
    server: z.string().min(1),
    tools: z.array(z.strictObject({ name: toolNameSchema, description: z.string().optional(), inputSchema: z.record(z.string(), z.unknown()) })),
    digest: hex64,
  });

  /** Where the investigate loop stands between turns: enough for the next run to go on as if it were the same. */
  const agentStateSchema = z.strictObject({
    /** Turns made so far, over every run: `maxTurns` counts them all. */
    turns: z.number().int().min(1).max(200),
    /** Calls counted against each tool's `maxCallsPerRun`, over every run. */
    calls: z.record(toolNameSchema, z.number().int().nonnegative()),
    /** The conversation so far, in the blob store by digest. */
    transcript: z.strictObject({ digest: hex64, entries: z.number().int().nonnegative() }).optional(),
    /** The results of the last turn's calls, not yet shown to the model. */
    results: z.array(toolResultEntrySchema).max(16),
    /**
     * Reads already made, by `<tool>:<arguments' digest>`: made again, one is answered from the
     * transcript, where its result is. Keys only, so the state stays small however much was read.
     */
    readBefore: z.array(z.string().max(200)).max(10_000),
    shownChars: z.number().int().nonnegative(),
    spent: z.strictObject({ tokensIn: z.number().int().nonnegative(), tokensOut: z.number().int().nonnegative(), costUsd: usd }),
    /** The MCP tool listings the first run pinned: later runs never list again. */
    listings: z.array(listingSchema),
  });

  const toolCallRecordSchema = z.strictObject({
    tool: z.string().max(100),
    argsDigest: z.string().max(64),
    // `proposal` only in a run waiting for approval: the loop ended at it.
    outcome: z.enum(['ok', 'cached', 'refused', 'failed', 'proposal']),
    summary: line,
    bytes: z.number().int().nonnegative().optional(),
    at,
  });

  /**
   * Where a run waiting for approval stands: the proposal it acts on, the kill switch, and each
   * approval asked so far (a process may ask in stages), the last one still open. Each approval
   * keeps the times its card showed and the decisions as they came, signatures and all.
   */
  const proposalBody = z.record(z.string(), z.unknown());
  const waitingSchema = z.strictObject({
    proposal: z.discriminatedUnion('source', [
      z.strictObject({ source: z.literal('ai'), by: line, proposal: proposalBody, model: line, prompt: z.strictObject({ id: z.string().max(200), version: z.number().int() }) }),
      z.strictObject({
        source: z.literal('human'),
        by: line,
        proposal: proposalBody,
        receipt: z.strictObject({ keyId: z.string().max(200), signature: z.string().max(400), signed: z.record(z.string(), z.unknown()) }).optional(),
        unsigned: z.boolean().optional(),
      }),
    ]),
    aiEnabled: z.boolean(),
    approvals: z
      .array(
        z.strictObject({
          /** The policy rule that asked for it: it resumes only that stage. */
          authority: z.string().min(1).max(400),
          cardHash: hex64,
          // Timers are set from these: a malformed time must not become a NaN deadline.
          createdAt: z.iso.datetime(),
          escalateAt: z.iso.datetime().optional(),
          expiresAt: z.iso.datetime(),
          escalated: z.boolean(),
          status: approvalStatusSchema,
          decisions: z.array(z.strictObject({ message: approvalDecisionSchema, at: z.iso.datetime() })).max(100),
        }),
      )
      .min(1)
      .max(8),
  });

  /** The trace so far: model calls (the budget spent), notes and the agent's turns; no proposal or decision. */
  const carriedTraceSchema = z.strictObject({
    notes: z.array(z.strictObject({ at, text: line })).max(301),
    /** Decisions sent while no card was shown, refused (at most 100 are listed). */
    refusedDecisions: z.array(z.strictObject({ at, approverId: line, reason: line, unverified: z.literal(true).optional() })).max(100),
    modelCalls: z
      .array(
        z.strictObject({
          // A run waiting for approval has made its one-call proposal too.
          purpose: z.enum(['agent-turn', 'proposal']),
          route: line,
          excluded: z.array(z.strictObject({ modelId: z.string(), reason: line })),
          attempts: z.array(z.strictObject({ modelId: z.string(), outcome: line })),
          servedBy: z.strictObject({ provider: z.string(), modelId: z.string() }).optional(),
          budget: line.optional(),
        }),
      )
      .max(400),
    costs: z.strictObject({
      totalUsd: usd,
      calls: z.array(z.strictObject({ model: z.string().max(200), tokensIn: z.number().int().nonnegative(), tokensOut: z.number().int().nonnegative(), costUsd: usd, at })).max(400),
    }),
    investigation: z
      .strictObject({
        toolsHash: hex64,
        tools: z.array(toolNameSchema),
        turns: z.array(z.strictObject({ turn: z.number().int().min(1), model: z.string().max(200), costUsd: usd, calls: z.array(toolCallRecordSchema).max(64), at })).max(200),
        runs: z.array(z.strictObject({ runId: z.string().min(1), firstTurn: z.number().int().min(1), lastTurn: z.number().int().min(1), reason: line })).max(200),
      })
      // Absent when no agent investigated: the run waits for approval of a one-call or a person's proposal.
      .optional(),
  });

  /**
   * The policy files as JSON objects only: their content is checked against its hash here, and
   * against the policy schema outside the sandbox by the origin check (activities/carried-origin.ts),
   * which compares it with what the worker loads or, for a retired ref, parses it. Parsing it here
   * built the whole policy schema in every run's module set-up, continued or not (docs/performance.md).
   */
  const policyFile = z.record(z.string(), z.unknown());
  const carriedBundleSchema = z.strictObject({
    policy: policyFile,
    roles: policyFile,
    models: policyFile,
    trust: policyFile,
    hash: hex64,
    ref: z.string().min(1),
  });

  const carriedRunSchema = z.strictObject({
    v: z.literal(1),
    /** The run that continued as new: must be the one Temporal says this run continues. */
    fromRunId: z.string().min(1),
    /** Runs before this one. */
    runs: z.number().int().min(1).max(1000),
    /** The policy the first run pinned, whole: a later run never loads a newer one. */
    policy: carriedBundleSchema,
    trace: carriedTraceSchema,
    /** Set when the run continued between an agent's turns; `waiting` when it waited for approval. */
    agent: agentStateSchema.optional(),
    waiting: waitingSchema.optional(),
    /** The previous run's audit head, so the new run's trail names the one it continues. */
    auditHead: hex64,
    /**
     * A waiting run's last trail events, left unwritten so that it ends with no await after its
     * last look at the approval: this run writes them, under the ids and hashes they were sealed with.
     */
    auditTail: z.array(auditEventSchema).max(MAX_CARRIED_AUDIT_EVENTS).optional(),
  });
  return carriedRunSchema;
}

/** Trail events a waiting run may hand to the next one unwritten (workflows/process-run.ts, drainTrail). */
export const MAX_CARRIED_AUDIT_EVENTS = 200;

type CarriedRunSchema = ReturnType<typeof buildCarriedRunSchema>;
const carriedRunSchema = (): CarriedRunSchema => builtOnce('carried-run#carriedRunSchema', buildCarriedRunSchema);

/** Where the investigate loop stands between turns: enough for the next run to go on as if it were the same. */
export type AgentState = NonNullable<z.infer<CarriedRunSchema>['agent']>;
/** Where a run waiting for approval stands (see the schema): what the next run resumes from. */
export type CarriedWaiting = NonNullable<z.infer<CarriedRunSchema>['waiting']>;
export type CarriedApproval = CarriedWaiting['approvals'][number];
export type CarriedTrace = z.infer<CarriedRunSchema>['trace'];
export type CarriedRun = Omit<z.infer<CarriedRunSchema>, 'policy' | 'auditTail'> & { policy: PolicyBundle; auditTail?: AuditEvent[] };

/** What Temporal says about this run: a client can set neither. */
export interface RunOrigin {
  process: string;
  /** The workflow id, which a carried trail tail's events must name. */
  workflowId?: string;
  continuedFromExecutionRunId?: string;
}

function refused(field: string, why: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`carried run state refused (${field}): ${why}`, INVALID_INPUT);
}

/**
 * The carried state this run may resume from, or undefined for a run that starts afresh. Throws
 * (non-retryable, naming the field) for state a start passed, state another run wrote, or state
 * that does not hold together: a policy whose content is not its hash, tool listings or a tool
 * list not their digests, a total cost that is not its calls', limits already past.
 */
export function acceptCarriedRun(raw: unknown, origin: RunOrigin): CarriedRun | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!origin.continuedFromExecutionRunId) {
    throw refused('carried', 'only a run that Temporal continued as new takes carried state; start a run with its request alone');
  }
  const parsed = carriedRunSchema().safeParse(raw);
  if (!parsed.success) throw refused('carried', describeIssues(parsed.error).replace(/^|; /g, (sep) => `${sep}carried.`));
  // Typed as the bundle it must be; the shape itself is checked by the origin check, and a
  // malformed one fails the checks below as a refusal, never as a failed workflow task.
  const carried = parsed.data as CarriedRun;
  try {
    return checkCarriedRun(raw, carried, origin);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw refused('carried.policy', 'does not hold together as a policy bundle');
  }
}

function checkCarriedRun(raw: unknown, carried: CarriedRun, origin: RunOrigin): CarriedRun {
  if (carried.fromRunId !== origin.continuedFromExecutionRunId) {
    throw refused('carried.fromRunId', `names run ${carried.fromRunId}, but this run continues ${origin.continuedFromExecutionRunId}`);
  }
  // Hashed as the loader hashed it (policies/load.ts, pinBundle), from what came in, not the parse.
  const files = (raw as { policy: Record<keyof LoadedFiles, unknown> }).policy;
  if (contentHash({ policy: files.policy, roles: files.roles, models: files.models, trust: files.trust }) !== carried.policy.hash) {
    throw refused('carried.policy.hash', 'the carried policy is not the one pinned under this hash');
  }
  const { policy } = carried.policy;
  if (policy.process !== origin.process) throw refused('carried.policy.policy.process', `is "${policy.process}", this run is ${origin.process}`);
  const { agent, waiting, trace } = carried;
  if ((agent === undefined) === (waiting === undefined)) throw refused('carried', 'carries either an agent\'s state or a wait for approval, exactly one');
  if (waiting) {
    if (waiting.proposal.source === 'ai' && waiting.proposal.by !== policy.ai.agent) {
      throw refused('carried.waiting.proposal.by', `"${waiting.proposal.by}" is not the policy's agent`);
    }
    if (waiting.approvals.slice(0, -1).some((a) => a.status === 'pending')) throw refused('carried.waiting.approvals', 'only the last approval may still be open');
    checkAuditTail(carried, origin);
  } else {
    if (carried.auditTail) throw refused('carried.auditTail', 'only a run that waited for approval hands over unwritten trail events');
    checkCarriedAgent(agent!, policy, trace);
  }
  // Summed as the trace sums it (DecisionTrace.addCall), so an honest total matches exactly.
  const sum = trace.costs.calls.reduce((total, call) => Math.round((total + call.costUsd) * 1e6) / 1e6, 0);
  if (sum !== trace.costs.totalUsd) throw refused('carried.trace.costs.totalUsd', `is ${trace.costs.totalUsd}, its calls add up to ${sum}`);
  if (agent && agent.spent.costUsd > trace.costs.totalUsd + 1e-6) throw refused('carried.agent.spent.costUsd', 'is more than the trace\'s total');
  return carried;
}

/** The unwritten events must be the previous run's, chained to each other and ending at its head, each as it was sealed. */
function checkAuditTail(carried: CarriedRun, origin: RunOrigin): void {
  // As parsed, which is what the audit activity writes: an event with keys the schema drops would
  // be stored otherwise than it was hashed, and is refused here for it.
  const tail = carried.auditTail ?? [];
  let sequence = 0;
  tail.forEach((event, i) => {
    const field = `carried.auditTail.${i}`;
    const workflowId = origin.workflowId ?? event.workflowId;
    const id = parseRunEventId(event.eventId);
    if (event.runId !== carried.fromRunId || event.workflowId !== workflowId || id?.runKey !== `${workflowId}/${carried.fromRunId}` || id.sequence <= sequence) {
      throw refused(field, 'is not an event of the run this one continues, in order');
    }
    sequence = id.sequence;
    if (event.hash !== auditEventHash(event)) throw refused(`${field}.hash`, 'is not the hash of the event');
    if (i > 0 && event.prevHash !== tail[i - 1]!.hash) throw refused(`${field}.prevHash`, 'does not link to the event before it');
  });
  const last = tail.at(-1);
  if (last && last.hash !== carried.auditHead) throw refused('carried.auditHead', 'is not the hash of the last unwritten event');
}

function checkCarriedAgent(agent: AgentState, policy: PolicyBundle['policy'], trace: CarriedTrace): void {
  const agentTools = policy.agentTools;
  if (!agentTools) throw refused('carried.policy.policy.agentTools', 'a run continues as new between turns only while its agent investigates');
  if (!trace.investigation) throw refused('carried.trace.investigation', 'an investigating agent\'s run carries its investigation');
  for (const [i, listing] of agent.listings.entries()) {
    if (contentHash(listing.tools) !== listing.digest) throw refused(`carried.agent.listings.${i}.digest`, 'is not the digest of the listed tools');
  }
  const definitions = modelToolDefinitions(agentTools, rightsOf(policy, { kind: 'agent', id: policy.ai.agent }), agent.listings.flatMap((l) => l.tools));
  if (contentHash({ definitions, listings: agent.listings.map((l) => l.digest) }) !== trace.investigation.toolsHash) {
    throw refused('carried.trace.investigation.toolsHash', 'is not the hash of the tools the policy and listings offer');
  }
  if (agent.turns !== trace.investigation.turns.length) throw refused('carried.agent.turns', `says ${agent.turns}, the trace holds ${trace.investigation.turns.length}`);
  if (agent.turns >= agentTools.maxTurns) throw refused('carried.agent.turns', `${agent.turns} turns leave none of the policy's ${agentTools.maxTurns}`);
  for (const [name, count] of Object.entries(agent.calls)) {
    const tool = agentTools.tools.find((t) => t.name === name);
    if (!tool || count > tool.maxCallsPerRun) throw refused(`carried.agent.calls.${name}`, tool ? `${count} is past the limit of ${tool.maxCallsPerRun}` : 'no such tool in the policy');
  }
  if (trace.investigation.turns.some((turn) => turn.calls.some((call) => call.outcome === 'proposal'))) {
    throw refused('carried.trace.investigation.turns', 'an investigation that goes on has made no proposal yet');
  }
}

/**
 * Refuses (non-retryable, naming the field) carried state that Temporal says came from a run of
 * another workflow type or task queue, or from no run continued as new, or whose policy the
 * worker loads under the same ref with other content (activities/carried-origin.ts).
 */
export function acceptCarriedOrigin(verdict: CarriedOriginVerdict): Exclude<CarriedOriginVerdict, { refused: object }> {
  if (verdict.refused) throw refused(verdict.refused.field, verdict.refused.why);
  return verdict;
}
