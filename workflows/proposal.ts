// Where a run's proposal comes from: the AI agent while AI is on, a person otherwise. The
// operator's kill switch (`setAiEnabled`) reroutes a running workflow to the manual path,
// cancelling a model call in flight; model failures fall back to the same manual path.
import {
  CancellationScope,
  condition,
  ContinueAsNew,
  defineSignal,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import type { z } from 'zod';
import { setAiEnabledSchema, type SetAiEnabled } from '../common/approval-schemas';
import type { DecisionReceipt } from '../common/decision-receipt';
import { proposalStatement, verifyStatement, type SignaturePolicy, type StatementRun, type StatementSignature } from '../common/signed-statements';
import { describeIssues } from '../common/validation';
import { checkProposer } from '../policies/approvals';
import type { Proposer } from '../policies/evaluate';
import { durationMs } from '../policies/evaluate';
import type { AuditTrail } from './audit';
import { toStepFailure } from './saga';
import type { DecisionTrace } from './trace';

// Typed for senders; the handlers still validate, since anyone who reaches Temporal can send anything.
export const setAiEnabledSignal = defineSignal<[SetAiEnabled]>('setAiEnabled');
/** A person's proposal on the manual path: `{ proposal, submittedBy, roles, cardHash, signature }`, validated by the process's schema. */
export const submitProposalSignal = defineSignal<[Submission]>('submitProposal');

export interface AiProposal<P> {
  proposal: P;
  model: string;
  prompt: { id: string; version: number };
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** True when the calls were put in the trace one by one (an agent's turns): not added again. */
  costsRecorded?: boolean;
}

export type ObtainedProposal<P> =
  | { source: 'ai'; by: string; proposal: P; model: string; prompt: { id: string; version: number } }
  | { source: 'human'; by: string; proposal: P; receipt?: DecisionReceipt; unsigned?: boolean }
  | { source: 'none'; reason: string };

/**
 * Who policy evaluates a proposal as: the agent, or a person, whatever their id happens to be.
 * Runs from before people were told apart from agents (`distinguishesPeople` false) replay as
 * they ran, with the proposer's id looked up among the agents.
 */
export function proposerOf(obtained: Exclude<ObtainedProposal<unknown>, { source: 'none' }>, distinguishesPeople: boolean): Proposer {
  if (!distinguishesPeople) return obtained.by;
  return obtained.source === 'ai' ? { kind: 'agent', id: obtained.by } : { kind: 'person', id: obtained.by };
}

/** What every process's submission schema parses: the proposal, who sent it, and the endpoint's signature. */
export type Submission = { proposal: unknown; submittedBy: string; roles?: string[]; cardHash?: string; signature?: StatementSignature };

export interface ProposalDeskOptions<S extends z.ZodType<Submission>> {
  /** The schema a person's submission must pass: the same proposal schema the AI output passes. */
  submissionSchema: S;
  /**
   * Who may supply a proposal: the policy's proposer roles; never the requester, never an agent's
   * id. Undefined only for runs started before proposers were checked, which replay as they ran.
   */
  proposers: { proposerRoles: string[]; excluded: string[]; agentIds: string[] } | undefined;
  /**
   * Whose signature makes a person's proposal count, and the card it must answer. Undefined only
   * for runs from before proposals were signed, which replay as they ran.
   */
  signatures: (SignaturePolicy & StatementRun & { cardHash: () => string | undefined }) | undefined;
  aiEnabled: boolean;
  agent: string;
  trace: DecisionTrace;
  audit: AuditTrail;
  /** Tells the process when it waits for a person, and why, so it can show a card and set its stage. */
  onAwaitingHuman: (why: string) => void;
}

export class ProposalDesk<S extends z.ZodType<Submission>> {
  private aiEnabled: boolean;
  private submission: { parsed: z.infer<S>; receipt?: DecisionReceipt; unsigned?: boolean } | undefined;
  private acceptingSubmissions = false;

  constructor(private readonly options: ProposalDeskOptions<S>) {
    this.aiEnabled = options.aiEnabled;
    options.trace.data.aiEnabled = options.aiEnabled;
    setHandler(setAiEnabledSignal, (raw) => this.switchAi(raw));
    setHandler(submitProposalSignal, (raw) => this.receiveSubmission(raw));
  }

  get isAiEnabled(): boolean {
    return this.aiEnabled;
  }

  /**
   * Asks the AI while it is on; if it is switched off meanwhile, the call is cancelled. A failed
   * call, an AI switched off, or an AI proposal the process cannot act on leads to a person.
   */
  async obtain(
    askAi: () => Promise<AiProposal<z.infer<S>['proposal']>>,
    acceptsAiProposal: (p: z.infer<S>['proposal']) => string | undefined,
    manualTimeout: string,
  ): Promise<ObtainedProposal<z.infer<S>['proposal']>> {
    const { trace } = this.options;
    let why: string;
    if (this.aiEnabled) {
      const outcome = await this.askWhileEnabled(askAi);
      if (outcome.kind === 'proposal') {
        const ai = outcome.value;
        if (!ai.costsRecorded) trace.addCall({ model: ai.model, tokensIn: ai.tokensIn, tokensOut: ai.tokensOut, costUsd: ai.costUsd });
        const objection = acceptsAiProposal(ai.proposal);
        if (!objection) return { source: 'ai', by: this.options.agent, proposal: ai.proposal, model: ai.model, prompt: ai.prompt };
        why = `AI proposal not acted on: ${objection}; a person decides`;
      } else {
        why = outcome.reason;
      }
    } else {
      why = 'AI is switched off for this run: a person supplies the proposal';
    }
    trace.note(why);
    return this.waitForPerson(manualTimeout, why);
  }

  private async askWhileEnabled(
    askAi: () => Promise<AiProposal<z.infer<S>['proposal']>>,
  ): Promise<{ kind: 'proposal'; value: AiProposal<z.infer<S>['proposal']> } | { kind: 'fallback'; reason: string }> {
    const scope = new CancellationScope();
    const call = scope.run(askAi);
    // Stays pending once the call is done. When the whole run is cancelled it rejects, and an
    // unhandled rejection would fail the workflow task, hence the empty handler.
    const switchedOff = condition(() => !this.aiEnabled).then(
      () => scope.cancel(),
      () => undefined,
    );
    try {
      return { kind: 'proposal', value: await call };
    } catch (err) {
      if (isCancellation(err) && !this.aiEnabled) {
        return { kind: 'fallback', reason: 'AI switched off while the model was working: a person supplies the proposal' };
      }
      // A long investigation going on in a fresh run is not a failure: the run ends here, continued.
      if (isCancellation(err) || err instanceof ContinueAsNew) throw err;
      const failure = toStepFailure('propose', err);
      return { kind: 'fallback', reason: `no AI proposal (${failure.error.message}): a person supplies the proposal` };
    } finally {
      void switchedOff;
    }
  }

  private async waitForPerson(timeout: string, why: string): Promise<ObtainedProposal<z.infer<S>['proposal']>> {
    this.acceptingSubmissions = true;
    this.options.onAwaitingHuman(why);
    const arrived = await condition(() => this.submission !== undefined, durationMs(timeout));
    this.acceptingSubmissions = false;
    if (!arrived || !this.submission) return { source: 'none', reason: `no proposal from a person within ${timeout}` };
    const { parsed, receipt, unsigned } = this.submission;
    return { source: 'human', by: parsed.submittedBy, proposal: parsed.proposal, receipt, unsigned };
  }

  private switchAi(raw: unknown): void {
    const parsed = setAiEnabledSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.trace.note(`setAiEnabled refused: ${describeIssues(parsed.error)}`);
      return;
    }
    const { enabled, operator, reason } = parsed.data;
    if (enabled === this.aiEnabled) return;
    this.aiEnabled = enabled;
    this.options.trace.data.aiEnabled = enabled;
    this.options.trace.note(`${operator} switched AI ${enabled ? 'on' : 'off'}${reason ? `: ${reason}` : ''}`);
    this.options.audit.record({
      type: 'ai.switched',
      actor: { kind: 'operator', id: operator },
      authority: 'operator kill switch',
      summary: `AI switched ${enabled ? 'on' : 'off'} for this run${reason ? `: ${reason}` : ''}`,
    });
  }

  private receiveSubmission(raw: unknown): void {
    const parsed = this.options.submissionSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.trace.note(`submitProposal refused: ${describeIssues(parsed.error)}`);
      return;
    }
    const { submittedBy, roles } = parsed.data;
    if (!this.acceptingSubmissions || this.submission) {
      this.options.trace.note(`submitProposal from ${submittedBy} refused: no manual proposal is awaited`);
      return;
    }
    // The id and roles are claims until the endpoint's signature vouches for them.
    const signed = this.verify(parsed.data);
    if (!signed.ok) return this.refuse(submittedBy, signed.code, signed.reason, false);
    // Checked here too, whichever way the proposal came: the endpoint checks, a raw signal does not.
    const check = this.options.proposers ? checkProposer({ id: submittedBy, roles: roles ?? [] }, this.options.proposers) : { ok: true as const };
    if (!check.ok) return this.refuse(submittedBy, check.code, check.reason, true);
    this.submission = { parsed: parsed.data, receipt: 'receipt' in signed ? signed.receipt : undefined, unsigned: 'unsigned' in signed };
  }

  private verify(submission: Submission) {
    const signatures = this.options.signatures;
    if (!signatures) return { ok: true as const };
    // A signature answers one card: the one shown now, so a proposal for an earlier card is refused.
    if (submission.signature && submission.cardHash !== signatures.cardHash()) {
      return { ok: false as const, code: 'stale-card', reason: 'the proposal answers a card that is no longer shown' };
    }
    return verifyStatement(signatures, proposalStatement(signatures, submission, submission.signature?.at ?? ''), submission.signature);
  }

  /** `verified`: the endpoint's signature (or, for runs from before signatures, nothing) vouched for the sender. */
  private refuse(submittedBy: string, code: string, reason: string, verified: boolean): void {
    this.options.trace.note(`submitProposal from ${submittedBy} refused: ${reason}`);
    this.options.audit.record({
      type: 'proposal.refused',
      // Nobody proved who sent an unverified one: the trail does not pin it on the person it names.
      actor: verified ? { kind: 'human', id: submittedBy } : { kind: 'system', id: 'arbiter' },
      summary: verified ? `proposal by ${submittedBy} refused (${code}): ${reason}` : `a proposal claiming to be ${submittedBy}'s refused (${code}): ${reason}`,
    });
  }
}
