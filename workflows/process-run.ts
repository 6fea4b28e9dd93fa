// What every Arbiter process does around its own steps, as a run with a few verbs: obtain a
// proposal (agent, kill switch, a person when no model can), let policy decide, ask people where
// it says so, and finish with the outcome in the trace and the audit trail. A process file keeps
// only what is its own: its request, its cards, its policy facts and its saga steps.
import { allHandlersFinished, ApplicationFailure, CancelledFailure, condition, continueAsNew, isCancellation, proxyActivities, proxyLocalActivities, TemporalFailure, workflowInfo, type ActivityFunctionWithOptions } from '@temporalio/workflow';
import type { IntegrationActivities, PolicyActivities, ProposerActivities } from '../activities';
import type { ChatProposalResult, ProposeInput } from '../activities/llm/chat-proposer';
import { ArbiterApprovalPending, ArbiterCostUsd, ArbiterRiskTier, integrationsTaskQueue, llmTaskQueue, SagaStage } from '../common/constants';
import { createReceiptChecker } from '../common/decision-receipt';
import { personalValuesOf } from '../common/personal-data';
import type { SignaturePolicy, StatementRun } from '../common/signed-statements';
import { policyAgentIds, waitingContinueReason } from '../policies/approvals';
import { INVALID_INPUT, PROCESS_DEFINITION_ERROR } from '../common/error-types';
import { evaluatePolicy, rightsOf, type Facts, type PolicyDecision } from '../policies/evaluate';
import type { PolicyBundle } from '../policies/schema';
import type { ToolSubjects } from '../policies/tools';
import { bookkeepingLocalActivity, compensationActivity, llmActivity, sagaStepActivity } from './activity-options';
import { investigate, type Investigation } from './agent';
import { ApprovalGate, carriedRejection, type CardDraft, type WaitLimit } from './approval';
import { AuditTrail } from './audit';
import { runMetrics, type RunMetrics } from './metrics';
import { acceptCarriedOrigin, acceptCarriedRun, MAX_CARRIED_AUDIT_EVENTS, type AgentState, type CarriedApproval, type CarriedRun, type CarriedWaiting } from './carried-run';
import { askModels, estimateInputTokens } from './model-call';
import { carriedPolicy, pinPolicy } from './pin-policy';
import { ProposalDesk, proposerOf, type ObtainedProposal, type Submission } from './proposal';
import { runHas } from './run-markers';
import { Saga } from './saga';
import { inSpan } from './spans';
import { RunAttributes } from './search-attributes';
import { DecisionTrace, type InvestigationRecord } from './trace';
import type { z } from 'zod';

export interface ProcessRunOptions {
  /** The process name policies, audit events and search attributes use: `refund`, `price-change`. */
  process: string;
  requestId: string;
  tenant: string;
  requestedBy: string;
  /** One line for the audit trail's `run.started` event. */
  startedSummary: string;
  /** The request, whose fields the policy names personal (`ai.personalFields`) are kept out of the audit trail's card copies. */
  request: unknown;
  /** True when the saga's steps are independent of each other, so their undos may run at once. */
  parallelCompensation?: boolean;
  /**
   * The workflow's second argument, as it came: what the run this one continues as new carried
   * over. Checked before anything runs (workflows/carried-run.ts); a start that passes it fails.
   */
  carried?: unknown;
  /**
   * The process's read of its system of record (the facts policy will decide on), through a
   * local activity. A run started afresh begins it alongside the policy's pinning: a read changes
   * nothing, and the two can then come back in one activation of the first workflow task (in a
   * replay they do). The body takes the answer with `run.firstRead()`, unparsed. Refused runs
   * (a policy that cannot load) have read all the same: a read changes nothing.
   */
  firstRead?: () => Promise<unknown>;
}

/** What every process's result carries; `finish` adds the request id, the policy and the trail's head. */
interface ProcessResult {
  requestId: string;
  /** Optional in the processes' result schemas; `finish` always sets it. */
  policyRef?: string;
  /** The hash of the run's last audit event (`run.finished`); optional like `policyRef`. */
  auditHead?: string;
  outcome: string;
  reason: string;
}

/** What a process returns, or ends with: its result without what the run adds itself. */
export type Outcome<Result extends ProcessResult> = Omit<Result, 'requestId' | 'policyRef' | 'auditHead'>;

/** Thrown by a run's verbs to end it early (denied, rejected, no proposal); `runProcess` finishes with it. */
class RunEnded {
  constructor(readonly outcome: { outcome: string; reason: string }) {}
}

/**
 * Sets the run up, pins its policy, runs the process's body and finishes the run with the outcome
 * the body returns or a verb ended it with. Throws (non-retryable, audited) when the policy cannot
 * load, so the process never runs on a policy it cannot show.
 */
export async function runProcess<Result extends ProcessResult>(options: ProcessRunOptions, body: (run: ProcessRun) => Promise<Outcome<Result>>): Promise<Result> {
  const run = await ProcessRun.start(options);
  let outcome: Outcome<Result>;
  try {
    outcome = await body(run);
  } catch (err) {
    if (!(err instanceof RunEnded)) {
      // A Temporal failure ends the run (failed or cancelled); any other error only fails this
      // workflow task, which is retried, and must not count once per retry.
      if (err instanceof TemporalFailure) run.metrics.runFinished(isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
    outcome = err.outcome as Outcome<Result>;
  }
  return run.finish(outcome);
}

/** The process's agent: its proposer activity, what it is shown, and a line for the Web UI. */
export interface AgentCall<Input, P> {
  activity: ActivityFunctionWithOptions<(input: ProposeInput<Input>) => Promise<ChatProposalResult<P>>>;
  input: Input;
  region: string;
  /** `triage the refund request`; the routed models are added. */
  summary: string;
  /** What an investigating agent may look up: the request's own records (see policies/tools.ts, offSubject). */
  subjects: ToolSubjects;
}

/** The card shown to whoever may propose when no agent does: title, summary, parameters. */
export type CardContent = Pick<CardDraft, 'title' | 'summary' | 'parameters'> & Partial<Pick<CardDraft, 'reason' | 'risk'>>;

export interface ProposalSpec<S extends z.ZodType<Submission>, Input> {
  /** What a person's submission must pass: the same proposal schema the agent's output passes. */
  submissionSchema: S;
  agent: AgentCall<Input, z.infer<S>['proposal']>;
  /** The card for a person, shown when AI is off or no model gave a proposal the process can act on. */
  personCard: CardContent;
  /** Why the process cannot act on the agent's proposal (a person is asked instead), or undefined. */
  objectsTo?: (proposal: z.infer<S>['proposal']) => string | undefined;
  /** One line for the trace and the audit trail: `refund 40 EUR (damaged, confidence 0.9)`. */
  describe: (proposal: z.infer<S>['proposal']) => string;
}

export type Proposal<P> = Exclude<ObtainedProposal<P>, { source: 'none' }>;

export class ProcessRun {
  /** Where the proposal came from, once obtained: policy evaluates it as this proposer's. */
  private obtained: Proposal<unknown> | undefined;
  private desk: ProposalDesk<z.ZodType<Submission>> | undefined;
  /** The approvals this run has asked for so far, as a run that continues as new carries them. */
  private readonly approvalsAsked: CarriedApproval[] = [];
  /** The approvals the run this one continues carried, taken in the order the process asks again. */
  private readonly approvalsToResume: CarriedApproval[];
  /** `options.firstRead` under way, once started. */
  private firstReadStarted: Promise<unknown> | undefined;

  private constructor(
    private readonly options: ProcessRunOptions,
    readonly bundle: PolicyBundle,
    readonly saga: Saga,
    readonly trace: DecisionTrace,
    private readonly attributes: RunAttributes,
    private readonly audit: AuditTrail,
    private readonly gate: ApprovalGate,
    private readonly markers: { checksProposers: boolean; signatures: (SignaturePolicy & StatementRun) | undefined; continuesWhileWaiting: boolean },
    /** The run's counters (workflows/metrics.ts): emitted only while not replaying. */
    readonly metrics: RunMetrics,
    /** Where the run this one continues as new left off; undefined for a run that started afresh. */
    private readonly carried: CarriedRun | undefined,
    earlyRead: Promise<unknown> | undefined,
  ) {
    this.approvalsToResume = [...(carried?.waiting?.approvals ?? [])];
    this.firstReadStarted = earlyRead;
  }

  // Activity queues follow the workflow's own, so a deployment that moves one moves them all.
  // Saga steps run on the workflow queue itself, eagerly (see activity-options.ts for why).
  readonly systems = proxyActivities<IntegrationActivities>(sagaStepActivity);
  readonly undo = proxyActivities<IntegrationActivities>({ ...compensationActivity, taskQueue: integrationsTaskQueue(workflowInfo().taskQueue) });
  readonly models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(workflowInfo().taskQueue) });

  static async start(options: ProcessRunOptions): Promise<ProcessRun> {
    const { process, tenant, requestedBy } = options;
    // Before anything is recorded: a start that carries state fails here, with the field named.
    const info = workflowInfo();
    const carried = acceptCarriedRun(options.carried, { process, workflowId: info.workflowId, continuedFromExecutionRunId: info.continuedFromExecutionRunId });
    // Patch markers are asked for first, before any await, so every run records them in its first
    // workflow task, ahead of the policy's local activity marker.
    const checksProposers = runHas('checksProposers');
    const checksSignatures = runHas('checksSignatures');
    // Runs from before a wait for approval could continue as new wait as they did.
    const continuesWhileWaiting = runHas('continuesWhileWaiting');
    // Runs from before the first read went alongside the policy start it when the body asks.
    const readsWithPolicy = runHas('readsWithPolicy');
    // Asked only by a continued run: a run that starts afresh records no more than before.
    const checksOrigin = carried !== undefined && runHas('checksCarriedOrigin');
    const attributes = new RunAttributes(process, tenant);
    const setStage = attributes.setStage;
    const metrics = runMetrics(process, tenant);
    const saga = new Saga({ onStage: setStage, parallelCompensation: options.parallelCompensation, metrics });
    const trace = new DecisionTrace(process, () => saga.log);
    const platform = proxyLocalActivities<PolicyActivities>(bookkeepingLocalActivity);
    const audit = new AuditTrail(process, tenant, (events) => platform.appendAuditEvents(events));
    // Where the carried state came from, asked of Temporal before anything is recorded: a refusal
    // leaves no audit event. Continued runs recorded before this check replay without it.
    const origin =
      carried && checksOrigin
        ? acceptCarriedOrigin(
            await platform.checkCarriedOrigin({
              workflowId: info.workflowId,
              previousRunId: carried.fromRunId,
              workflowType: info.workflowType,
              taskQueue: info.taskQueue,
              process,
              policyRef: carried.policy.ref,
              policyHash: carried.policy.hash,
              policyFiles: { policy: carried.policy.policy, roles: carried.policy.roles, models: carried.policy.models, trust: carried.policy.trust },
            }),
          )
        : undefined;

    // Loaded once through an activity, so history records exactly the policy the run used; a
    // continued run has it in its input instead.
    let bundle: PolicyBundle;
    let earlyRead: Promise<unknown> | undefined;
    if (carried) {
      bundle = carriedPolicy(carried, origin, { trace, audit });
    } else {
      audit.record({ type: 'run.started', actor: { kind: 'agent', id: requestedBy }, summary: options.startedSummary });
      earlyRead = readsWithPolicy ? options.firstRead?.() : undefined;
      // Nobody awaits it when the policy cannot load, and an unhandled rejection would fail the task.
      earlyRead?.catch(() => undefined);
      bundle = await pinPolicy(process, platform, { trace, audit, setStage });
    }

    // Signatures are checked against the keys pinned with the policy, so a replay checks exactly as
    // the run did. A bundle without trust.yaml trusts nobody: every person's message is refused.
    const signatures: (SignaturePolicy & StatementRun) | undefined = checksSignatures
      ? {
          check: createReceiptChecker(bundle.trust?.decisionKeys ?? []),
          allowUnsigned: bundle.trust?.unsignedOperatorDecisions ?? false,
          workflowId: workflowInfo().workflowId,
          tenant,
        }
      : undefined;
    // The run, once made: the gate asks it whether and how a long wait goes on in a fresh run.
    const made: { run?: ProcessRun } = {};
    // History before this run's first workflow task: what a continued run was handed, which its
    // own growth is measured without, or a large carried state would continue as new at once.
    const startHistoryBytes = info.historySize;
    const waitLimit: WaitLimit | undefined = continuesWhileWaiting
      ? {
          reason: () => made.run!.waitingContinueReason(startHistoryBytes),
          drain: () => made.run!.drainTrail(),
          continueAsNew: (approval, why) => made.run!.continueWhileWaiting(approval, why),
        }
      : undefined;
    if (carried?.waiting) audit.carryOver(carried.auditTail ?? []);
    const gate = new ApprovalGate({
      waitLimit,
      resumes: carried?.waiting !== undefined,
      audit,
      trace,
      // Runs from before agents' ids were refused as approvers replay as they ran.
      agentIds: checksProposers ? policyAgentIds(bundle.policy) : [],
      // Runs from before decisions were signed replay as they ran: their decisions were taken unsigned.
      signatures,
      personal: personalValuesOf(options.request, bundle.policy.ai.personalFields),
      metrics,
      onPendingChange: (pending, stage) => {
        attributes.note({ key: ArbiterApprovalPending, value: pending });
        if (pending) setStage(stage);
      },
    });
    made.run = new ProcessRun(options, bundle, saga, trace, attributes, audit, gate, { checksProposers, signatures, continuesWhileWaiting }, metrics, carried, earlyRead);
    return made.run;
  }

  get policy(): PolicyBundle['policy'] {
    return this.bundle.policy;
  }

  /** Whether AI may still be asked: the policy's switch, then the operator's kill switch. */
  get aiEnabled(): boolean {
    return this.desk?.isAiEnabled ?? this.bundle.policy.ai.enabled;
  }

  /** The answer of `options.firstRead`: started alongside the policy, or now (a continued run, or a run from before). */
  firstRead(): Promise<unknown> {
    // A defect in the process's code: fail the run, not the workflow task over and over.
    if (!this.options.firstRead) throw ApplicationFailure.nonRetryable('the process reads first without naming firstRead in its run options', PROCESS_DEFINITION_ERROR);
    return (this.firstReadStarted ??= this.options.firstRead());
  }

  /** A line in the decision trace (`explain`). */
  note(text: string): void {
    this.trace.note(text);
  }

  /** Ends the run now with this outcome: finished, audited and returned as the result. */
  end(outcome: { outcome: string; reason: string }): never {
    throw new RunEnded(outcome);
  }

  /**
   * A proposal: from the agent while AI is on; from a person (the policy's proposer roles, never
   * the requester) when AI is off, switched off meanwhile, no model could answer, or the process
   * objects to the agent's answer. Ends the run rejected when nobody proposes in time.
   */
  async obtainProposal<S extends z.ZodType<Submission>, Input>(spec: ProposalSpec<S, Input>): Promise<Proposal<z.infer<S>['proposal']>> {
    const { bundle, gate, trace, options } = this;
    const policy = bundle.policy;
    // A run pinned before policies named proposer roles has none: nobody may propose (fail closed),
    // and such a run waiting for a person's proposal ends rejected at its manual timeout.
    const proposerRoles = policy.proposers?.roles ?? [];
    const { checksProposers, signatures } = this.markers;
    const desk = new ProposalDesk({
      submissionSchema: spec.submissionSchema,
      // Where the operator left the kill switch in the run this one continues; a switch sent since still counts.
      aiEnabled: policy.ai.enabled && (this.carried?.waiting?.aiEnabled ?? true),
      agent: policy.ai.agent,
      // Runs from before proposers were checked replay as they ran: their submissions were taken unchecked.
      proposers: checksProposers ? { proposerRoles, excluded: [options.requestedBy], agentIds: policyAgentIds(policy) } : undefined,
      // A person's signed proposal answers the card shown now.
      signatures: signatures && { ...signatures, cardHash: () => gate.shownCardHash },
      trace,
      audit: this.audit,
      onAwaitingHuman: (why) =>
        gate.showProposalCard({ ...this.cardBasics(), risk: 'medium', ...spec.personCard, reason: why }, [options.requestedBy], policy.manualProposalTimeout, proposerRoles),
    });
    this.desk = desk as unknown as ProposalDesk<z.ZodType<Submission>>;
    const waiting = this.carried?.waiting;
    if (waiting) return this.resumeProposal(spec, waiting);
    this.attributes.setStage(SagaStage.proposing);
    const { agent } = spec;
    const { agentTools } = policy;
    // An agent the policy grants tools investigates over several turns; otherwise it proposes in one call.
    const investigation = agentTools && {
      process: options.process as Investigation['process'],
      tenant: options.tenant,
      region: agent.region,
      input: agent.input,
      agentTools,
      rights: rightsOf(policy, { kind: 'agent', id: policy.ai.agent }),
      subjects: agent.subjects,
      bundle,
      trace,
      models: this.models,
      resume: this.carried?.agent,
      continueAsNew: (state: AgentState, reason: string) => this.continueAsNew(state, reason),
    };
    const obtained = await desk.obtain(
      () =>
        investigation ? investigate<z.infer<S>['proposal']>(investigation) : askModels(
          {
            purpose: 'proposal',
            tenant: options.tenant,
            region: agent.region,
            estimatedInputTokens: estimateInputTokens(agent.input),
            invoke: (limits) =>
              agent.activity.executeWithOptions({ summary: `${agent.summary} via ${limits.candidates.map((c) => c.modelId).join(' > ')}` }, [
                { request: agent.input, personalFields: policy.ai.personalFields, ...limits },
              ]),
          },
          bundle,
          trace,
        ),
      spec.objectsTo ?? (() => undefined),
      policy.manualProposalTimeout,
    );
    if (obtained.source !== 'ai') gate.clearCard();
    this.attributes.note({ key: ArbiterCostUsd, value: trace.data.costs.totalUsd });
    if (obtained.source === 'none') return this.end({ outcome: 'rejected', reason: obtained.reason });
    this.recordProposal(obtained, spec.describe(obtained.proposal));
    this.obtained = obtained;
    return obtained;
  }

  /**
   * The proposal a run waiting for approval carried over: checked by the process's proposal schema
   * again, and acted on as it was, with the operator's kill switch where it stood. Policy decides
   * on it again, on facts this run reads itself.
   */
  private resumeProposal<S extends z.ZodType<Submission>, Input>(spec: ProposalSpec<S, Input>, waiting: CarriedWaiting): Proposal<z.infer<S>['proposal']> {
    const carried = waiting.proposal;
    const checked = spec.submissionSchema.safeParse({ proposal: carried.proposal, submittedBy: carried.by });
    if (!checked.success) {
      throw ApplicationFailure.nonRetryable('carried run state refused (carried.waiting.proposal): not a proposal this process takes', INVALID_INPUT);
    }
    const obtained = { ...carried, proposal: checked.data.proposal } as Proposal<z.infer<S>['proposal']>;
    this.recordProposal(obtained, spec.describe(obtained.proposal), this.carried!.fromRunId);
    this.obtained = obtained;
    return obtained;
  }

  /**
   * Policy's decision on these facts, for the proposal obtained, in the trace and the audit trail.
   * A person's proposal is a person's, whatever their id: policy has someone else review it.
   */
  judge(facts: Facts, subject?: string): PolicyDecision {
    if (!this.obtained) throw new Error('policy decides on a proposal: obtain one first');
    const proposer = proposerOf(this.obtained, this.markers.checksProposers);
    // Policy and rule ids and the outcome only: the facts can carry amounts and customer details.
    const decision = inSpan(
      'policy.evaluate',
      { 'arbiter.process': this.options.process, 'arbiter.policy.ref': this.bundle.ref },
      () => evaluatePolicy(this.bundle, proposer, facts),
      (d) => ({ 'arbiter.policy.rule': d.ruleId, 'arbiter.policy.outcome': d.outcome }),
    );
    this.trace.data.decisions.push(decision);
    // A run resuming a wait decides again on the facts it read: counted once, by the run that asked.
    if (!this.carried?.waiting) this.metrics.policyDecided(decision.outcome);
    this.audit.record({
      type: 'policy.decided',
      actor: { kind: 'policy', id: this.bundle.ref },
      authority: `policy ${this.bundle.ref} rule ${decision.ruleId}`,
      summary: subject ? `${subject}: ${decision.reason}` : decision.reason,
      shown: { facts: decision.facts },
      changed: { outcome: decision.outcome },
    });
    return decision;
  }

  /**
   * Policy decides, in the audit trail before anything moves; a denial ends the run. The risk
   * tier the decision implies is shown to operators unless `notesRisk` is false (a later stage).
   */
  async decide(facts: Facts, options: { notesRisk?: boolean } = {}): Promise<PolicyDecision> {
    const decision = this.judge(facts);
    if (options.notesRisk !== false) this.noteRiskTier(riskTier(decision));
    await this.recorded();
    if (decision.outcome === 'deny') this.end({ outcome: 'denied', reason: decision.reason });
    return decision;
  }

  /** `ArbiterRiskTier` for operators' filters, written with the next stage change. */
  noteRiskTier(tier: 'low' | 'medium' | 'high'): void {
    this.attributes.note({ key: ArbiterRiskTier, value: tier });
  }

  /** Writes what the audit trail holds so far: decisions are on record before money moves. */
  recorded(): Promise<void> {
    return this.audit.flush();
  }

  /**
   * Asks people where the decision says so and ends the run rejected if they refuse or the
   * approval expires. Returns who approved (none when policy let the agent act alone).
   */
  async approve(decision: PolicyDecision, card: CardContent, options: { alsoExcluded?: string[] } = {}): Promise<string[]> {
    const answer = await this.askApproval(decision, card, options);
    if (answer.rejection) this.end({ outcome: 'rejected', reason: answer.rejection });
    return answer.approvers;
  }

  /**
   * Like `approve`, but a refusal is returned, not the end of the run (a batch goes on without
   * what was refused). Whoever asked or proposed never approves; nor does anyone in `alsoExcluded`.
   */
  async askApproval(decision: PolicyDecision, card: CardContent, options: { alsoExcluded?: string[] } = {}): Promise<{ approvers: string[]; rejection?: string }> {
    const requirement = decision.approval;
    if (decision.outcome !== 'approve' || !requirement) {
      // Policy no longer asks on the facts this run read; a rejection carried from the run it
      // continues still stands. Nothing carried applies any more.
      const carried = this.approvalsToResume[0];
      const rejection = carried && carriedRejection(carried);
      this.stopResuming();
      return rejection ? { approvers: [], rejection } : { approvers: [] };
    }
    const proposedByPerson = this.obtained?.source === 'human' ? [this.obtained.by] : [];
    const excluded = [this.options.requestedBy, ...proposedByPerson, ...(options.alsoExcluded ?? [])];
    // What the agent read before it proposed, so the approver decides on the same facts.
    const investigation = this.obtained?.source === 'ai' ? this.trace.data.investigation : undefined;
    const parameters = investigation ? { ...card.parameters, evidence: evidenceLine(investigation) } : card.parameters;
    const draft = { ...this.cardBasics(), reason: decision.reason, ruleId: decision.ruleId, risk: riskTier(decision), ...card, parameters };
    const authority = `policy ${this.bundle.ref} rule ${decision.ruleId}`;
    // A carried approval resumes only the stage it was asked for, under the same rule.
    if (this.approvalsToResume[0] && this.approvalsToResume[0].authority !== authority && !carriedRejection(this.approvalsToResume[0])) this.stopResuming();
    const carried = this.approvalsToResume.shift();
    const resume = carried && { approval: carried, last: this.approvalsToResume.length === 0 };
    const state = await this.gate.request(requirement, excluded, draft, authority, resume);
    // An approval that opened afresh leaves the later ones carried nothing to stand on.
    if (resume && this.gate.resumeRefused) this.stopResuming();
    if (this.markers.continuesWhileWaiting) this.approvalsAsked.push(this.gate.carried());
    await this.audit.flush();
    const approvers = state.decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId);
    if (state.status !== 'rejected' && state.status !== 'expired-rejected') return { approvers };
    const who = state.decisions.find((d) => d.decision === 'reject')?.approverId;
    return { approvers, rejection: who ? `rejected by ${who}` : `no decision within ${requirement.expireAfter}: auto-rejected` };
  }

  /** Ends the run: the outcome in the trace, the stage and the audit trail, written before the result is returned. */
  async finish<Result extends ProcessResult>(result: Outcome<Result>): Promise<Result> {
    // Decisions held for an approval the run never came back to are refused (and audited) now.
    if (this.carried?.waiting) {
      this.stopResuming();
      await condition(allHandlersFinished);
    }
    this.trace.data.outcome = { outcome: result.outcome, reason: result.reason };
    this.attributes.setStage(result.outcome);
    this.metrics.runFinished(result.outcome);
    this.audit.record({ type: 'run.finished', actor: { kind: 'system', id: 'arbiter' }, summary: `${result.outcome}: ${result.reason}`, changed: result });
    await this.audit.flush();
    // The result lands in the run's history, out of reach of whoever can edit the trail: it
    // anchors the chain's head, so `arbiter audit verify --head` can tell a trail cut short.
    return { requestId: this.options.requestId, policyRef: this.bundle.ref, auditHead: this.audit.head, ...result } as unknown as Result;
  }

  /**
   * Ends this run and goes on in a fresh one with the same request, when a long investigation's
   * history should not grow further: the trail is written first, then the next run gets the
   * pinned policy, the trace (budget spent, turns) and the agent's state.
   */
  private async continueAsNew(agent: AgentState, reason: string): Promise<never> {
    // The kill switch may land in the same activation as the turn's last read, before the loop's
    // scope is cancelled: the next run would start with AI on again. End the loop as switched off.
    if (!this.aiEnabled) throw new CancelledFailure('AI switched off at a turn boundary');
    const { runId } = workflowInfo();
    const investigation = this.trace.data.investigation!;
    const earlier = investigation.runs ?? [];
    const firstTurn = (earlier.at(-1)?.lastTurn ?? 0) + 1;
    investigation.runs = [...earlier, { runId, firstTurn, lastTurn: agent.turns, reason }];
    this.audit.record({ type: 'run.continued-as-new', actor: { kind: 'system', id: 'arbiter' }, summary: `agent turns ${firstTurn}-${agent.turns} done; continues as new: ${reason}` });
    await this.audit.flush();
    return this.continueInFreshRun({ agent });
  }

  /**
   * Why a run waiting for approval should go on in a fresh run now, or undefined. Only before the
   * saga has changed anything: a run with steps done keeps them, and their undos, in its history.
   */
  private waitingContinueReason(startHistoryBytes: number): string | undefined {
    // Nor while approvals carried over are still to be resumed: they would be carried no further.
    if (!this.obtained || this.saga.log.length > 0 || this.approvalsToResume.length > 0) return undefined;
    const info = workflowInfo();
    return waitingContinueReason(this.bundle.policy.approvalWait, {
      historyEvents: info.historyLength,
      historyBytes: info.historySize - startHistoryBytes,
      suggested: info.continueAsNewSuggested,
    });
  }

  /**
   * Writes the trail before a waiting run continues as new, again while more arrives (each
   * refused signal adds an event), at most a few times: true once what is left is small enough
   * to hand to the next run.
   */
  private async drainTrail(): Promise<boolean> {
    for (let round = 0; round < 5 && this.audit.unwritten > 0; round++) await this.audit.flush();
    // One place kept for `run.continued-as-new`, which goes with them.
    return this.audit.unwritten < MAX_CARRIED_AUDIT_EVENTS;
  }

  /** No approval carried from the run this one continues applies any more: held decisions are taken now. */
  private stopResuming(): void {
    this.approvalsToResume.length = 0;
    this.gate.endResume();
  }

  /**
   * Ends this run while it waits for approval and goes on in a fresh one with the same request:
   * the trail is written first, handlers finish, then the next run gets the pinned policy, the
   * trace, the proposal, the kill switch and every approval asked so far, the open one last.
   */
  private continueWhileWaiting(approval: CarriedApproval, reason: string): Promise<never> {
    const proposal = this.obtained!;
    this.trace.note(`continued as new while awaiting approval: ${reason}`);
    this.audit.record({
      type: 'run.continued-as-new',
      actor: { kind: 'system', id: 'arbiter' },
      summary: `awaiting approval with ${approval.decisions.length} decision(s) so far; continues as new: ${reason}`,
    });
    const waiting: CarriedWaiting = {
      proposal:
        proposal.source === 'ai'
          ? { source: 'ai', by: proposal.by, proposal: proposal.proposal as Record<string, unknown>, model: proposal.model, prompt: proposal.prompt }
          : {
              source: 'human',
              by: proposal.by,
              proposal: proposal.proposal as Record<string, unknown>,
              ...(proposal.receipt && { receipt: proposal.receipt as Extract<CarriedWaiting['proposal'], { source: 'human' }>['receipt'] }),
              ...(proposal.unsigned && { unsigned: true }),
            },
      aiEnabled: this.aiEnabled,
      approvals: [...this.approvalsAsked, approval],
    };
    // The trail's last events, this one included, go with the state: the next run writes them.
    return this.continueInFreshRun({ waiting, auditTail: this.audit.takeUnwritten() });
  }

  /**
   * Continues as new with the same request, handing on what every continued run needs (the pinned
   * policy, the trace, the trail's head) and where this one stands: between agent turns, or waiting.
   */
  private continueInFreshRun(where: Pick<CarriedRun, 'agent'> | Pick<CarriedRun, 'waiting' | 'auditTail'>): Promise<never> {
    const carried: CarriedRun = {
      v: 1,
      fromRunId: workflowInfo().runId,
      runs: (this.carried?.runs ?? 0) + 1,
      policy: this.bundle as CarriedRun['policy'],
      trace: this.trace.carried(),
      ...where,
      auditHead: this.audit.head,
    };
    // The request as this run parsed it: every process's workflow takes (request, carried).
    return continueAsNew<(request: unknown, carried: CarriedRun) => Promise<unknown>>(this.options.request, carried);
  }

  /** What every card of this run shows, whatever it asks for. */
  private cardBasics() {
    const { process, tenant, requestedBy } = this.options;
    return { process, tenant, action: this.bundle.policy.action, policyRef: this.bundle.ref, requestedBy };
  }

  /** Puts the proposal the run acts on in the trace and the audit trail, with who made it and how. */
  private recordProposal(obtained: Proposal<unknown>, summary: string, carriedFrom?: string): void {
    const ai = obtained.source === 'ai' ? obtained : undefined;
    this.trace.data.proposals.push({
      source: obtained.source,
      by: obtained.by,
      proposal: obtained.proposal as Record<string, unknown>,
      summary,
      model: ai?.model,
      prompt: ai?.prompt,
      at: new Date().toISOString(),
    });
    if (carriedFrom) {
      // Received, with its receipt, in the trail of the run that obtained it.
      this.audit.record({
        type: 'proposal.carried',
        actor: { kind: 'system', id: 'arbiter' },
        summary: `${obtained.by}'s proposal (${summary}) carried from run ${carriedFrom}, checked again`,
        changed: { proposal: obtained.proposal },
      });
      return;
    }
    const person = obtained.source === 'human' ? obtained : undefined;
    this.audit.record({
      type: 'proposal.received',
      actor: ai ? { kind: 'agent', id: obtained.by } : { kind: 'human', id: obtained.by },
      summary: `${obtained.by} proposes ${summary}${person?.unsigned ? ' (unsigned: the policy takes unsigned proposals)' : ''}`,
      shown: ai ? { model: ai.model, prompt: ai.prompt } : undefined,
      changed: { proposal: obtained.proposal, ...(person?.unsigned ? { signed: false } : {}) },
      ...(person?.receipt ? { receipt: person.receipt } : {}),
    });
  }
}

/** The look-ups an agent made, one line for a card: `get_order ok 412 bytes; get_case_notes refused`. */
function evidenceLine(investigation: InvestigationRecord): string {
  const reads = investigation.turns.flatMap((turn) => turn.calls).filter((call) => call.outcome !== 'proposal');
  const shown = reads.slice(0, 12).map((call) => `${call.tool} ${call.outcome}${call.bytes === undefined ? '' : ` ${call.bytes} bytes`}`);
  const more = reads.length > shown.length ? `; and ${reads.length - shown.length} more` : '';
  return reads.length ? `${shown.join('; ')}${more}` : 'no look-ups';
}

/** Low when the agent may act alone, high for a denial or more than one approver, medium otherwise. */
export function riskTier(decision: PolicyDecision): 'low' | 'medium' | 'high' {
  if (decision.outcome === 'auto') return 'low';
  if (decision.outcome === 'deny' || (decision.approval?.approvals ?? 1) > 1) return 'high';
  return 'medium';
}
