// What every Arbiter process does around its own steps: the activity proxies, the run's search
// attributes, saga, decision trace and audit trail, the pinned policy, the approval gate, the
// record of the proposal it acts on, and the end of the run. A process file keeps only what is
// its own: its request, its proposal, its policy facts and its saga steps.
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { IntegrationActivities, PolicyActivities, ProposerActivities } from '../activities';
import { ArbiterApprovalPending, integrationsTaskQueue, llmTaskQueue } from '../common/constants';
import { bookkeepingLocalActivity, compensationActivity, llmActivity, sagaStepActivity } from './activity-options';
import { createReceiptChecker } from '../common/decision-receipt';
import { personalValuesOf } from '../common/personal-data';
import type { SignaturePolicy, StatementRun } from '../common/signed-statements';
import { policyAgentIds } from '../policies/approvals';
import { ApprovalGate } from './approval';
import { AuditTrail } from './audit';
import { pinPolicy } from './pin-policy';
import type { ObtainedProposal } from './proposal';
import { Saga } from './saga';
import { runHas } from './run-markers';
import { RunAttributes } from './search-attributes';
import { DecisionTrace } from './trace';


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
}

/** What every process's result carries; `finish` adds the request id and the policy. */
interface ProcessResult {
  requestId: string;
  /** Optional in the processes' result schemas; `finish` always sets it. */
  policyRef?: string;
  /** The hash of the run's last audit event (`run.finished`); optional like `policyRef`. */
  auditHead?: string;
  outcome: string;
  reason: string;
}

/**
 * Sets the run up and pins its policy. Throws (non-retryable, audited) when the policy cannot
 * load, so the process never runs on a policy it cannot show.
 */
export async function startProcessRun<Result extends ProcessResult>(options: ProcessRunOptions) {
  const { process, tenant, requestedBy } = options;
  // Patch markers are asked for first, before any await, so every run records them in its first
  // workflow task, ahead of the policy's local activity marker.
  const checksProposers = runHas('checksProposers');
  const checksSignatures = runHas('checksSignatures');
  const attributes = new RunAttributes(process, tenant);
  const setStage = attributes.setStage;
  const saga = new Saga({ onStage: setStage, parallelCompensation: options.parallelCompensation });
  const trace = new DecisionTrace(process, () => saga.log);

  // Activity queues follow the workflow's own, so a deployment that moves one moves them all.
  // Saga steps run on the workflow queue itself, eagerly (see activity-options.ts for why).
  const workflowQueue = workflowInfo().taskQueue;
  const systems = proxyActivities<IntegrationActivities>(sagaStepActivity);
  const undo = proxyActivities<IntegrationActivities>({ ...compensationActivity, taskQueue: integrationsTaskQueue(workflowQueue) });
  const platform = proxyLocalActivities<PolicyActivities>(bookkeepingLocalActivity);
  const models = proxyActivities<ProposerActivities>({ ...llmActivity, taskQueue: llmTaskQueue(workflowQueue) });
  const audit = new AuditTrail(process, tenant, (events) => platform.appendAuditEvents(events));

  audit.record({ type: 'run.started', actor: { kind: 'agent', id: requestedBy }, summary: options.startedSummary });
  // Loaded once through an activity, so history records exactly the policy the run used.
  const bundle = await pinPolicy(process, platform, { trace, audit, setStage });

  const agentIds = policyAgentIds(bundle.policy);
  // A run pinned before policies named proposer roles has none: nobody may propose (fail closed),
  // and such a run waiting for a person's proposal ends rejected at its manual timeout.
  const proposerRoles = bundle.policy.proposers?.roles ?? [];
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
  const gate = new ApprovalGate({
    audit,
    trace,
    // Runs from before agents' ids were refused as approvers replay as they ran.
    agentIds: checksProposers ? agentIds : [],
    // Runs from before decisions were signed replay as they ran: their decisions were taken unsigned.
    signatures,
    personal: personalValuesOf(options.request, bundle.policy.ai.personalFields),
    onPendingChange: (pending, stage) => {
      attributes.note({ key: ArbiterApprovalPending, value: pending });
      if (pending) setStage(stage);
    },
  });

  return {
    attributes,
    setStage,
    saga,
    trace,
    audit,
    gate,
    bundle,
    systems,
    undo,
    models,
    /** Who may supply a proposal on the manual path, for the ProposalDesk. */
    // Runs from before proposers were checked replay as they ran: their submissions were taken unchecked.
    proposers: checksProposers ? { proposerRoles, excluded: [requestedBy], agentIds } : undefined,
    /** How the ProposalDesk checks a person's signed proposal: against the card shown now. */
    proposalSignatures: signatures && { ...signatures, cardHash: () => gate.shownCardHash },
    proposerRoles,
    /** False for runs from before a person's proposal was told apart from an agent's (see proposerOf). */
    distinguishesPeople: checksProposers,
    /** What every card of this run shows, whatever it asks for. */
    cardBasics: { process, tenant, action: bundle.policy.action, policyRef: bundle.ref, requestedBy },

    /** Puts the proposal the run acts on in the trace and the audit trail, with who made it and how. */
    recordProposal<P extends Record<string, unknown>>(obtained: Exclude<ObtainedProposal<P>, { source: 'none' }>, summary: string): void {
      const ai = obtained.source === 'ai' ? obtained : undefined;
      trace.data.proposals.push({
        source: obtained.source,
        by: obtained.by,
        proposal: obtained.proposal,
        summary,
        model: ai?.model,
        prompt: ai?.prompt,
        at: new Date().toISOString(),
      });
      const person = obtained.source === 'human' ? obtained : undefined;
      audit.record({
        type: 'proposal.received',
        actor: ai ? { kind: 'agent', id: obtained.by } : { kind: 'human', id: obtained.by },
        summary: `${obtained.by} proposes ${summary}${person?.unsigned ? ' (unsigned: the policy takes unsigned proposals)' : ''}`,
        shown: ai ? { model: ai.model, prompt: ai.prompt } : undefined,
        changed: { proposal: obtained.proposal, ...(person?.unsigned ? { signed: false } : {}) },
        ...(person?.receipt ? { receipt: person.receipt } : {}),
      });
    },

    /** Ends the run: the outcome in the trace, the stage and the audit trail, written before the result is returned. */
    async finish(result: Omit<Result, 'requestId' | 'policyRef' | 'auditHead'>): Promise<Result> {
      trace.data.outcome = { outcome: result.outcome, reason: result.reason };
      setStage(result.outcome);
      audit.record({ type: 'run.finished', actor: { kind: 'system', id: 'arbiter' }, summary: `${result.outcome}: ${result.reason}`, changed: result });
      await audit.flush();
      // The result lands in the run's history, out of reach of whoever can edit the trail: it
      // anchors the chain's head, so `arbiter audit verify --head` can tell a trail cut short.
      return { requestId: options.requestId, policyRef: bundle.ref, auditHead: audit.head, ...result } as Result;
    },
  };
}
