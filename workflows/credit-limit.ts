// The credit-limit process. A B2B customer asks for a higher credit limit; the credit agent
// proposes a limit from the customer's record in the ERP (exposure, days past due); the pinned
// policy decides (auto, credit managers, then finance for the largest increases, or deny); then
// the saga sets the limit in the ERP and tells the account manager. A failure or a cancel before
// that notice puts the old limit back; the notice itself is the pivot.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities';
import { ArbiterCostUsd, ArbiterRiskTier, SagaStage } from '../common/constants';
import {
  creditLimitFacts,
  creditLimitRequestSchema,
  creditRecordSchema,
  submittedCreditLimitProposalSchema,
  type ApprovalStage,
  type CreditLimitRequest,
  type CreditLimitResult,
  type CreditRecord,
} from '../common/credit-limit-schemas';
import { evaluatePolicy, type PolicyDecision } from '../policies/evaluate';
import { systemReadLocalActivity } from './activity-options';
import { parseWorkflowInput } from './input';
import { askModels, estimateInputTokens } from './model-call';
import { startProcessRun } from './process-run';
import { ProposalDesk, proposerOf } from './proposal';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';
export { approvalDecisionSignal, approvalQuery, decideUpdate } from './approval';
export { setAiEnabledSignal, submitProposalSignal } from './proposal';
export { explainQuery } from './trace';

const systemReads = proxyLocalActivities<Pick<IntegrationActivities, 'getCreditRecord'>>(systemReadLocalActivity);

export async function creditLimit(rawRequest: CreditLimitRequest): Promise<CreditLimitResult> {
  const request = parseWorkflowInput(creditLimitRequestSchema, rawRequest, 'credit-limit request');
  // 1. The run's machinery, and the policy pinned for the whole run.
  const run = await startProcessRun<CreditLimitResult>({
    process: 'credit-limit',
    requestId: request.requestId,
    request,
    tenant: request.tenant,
    requestedBy: request.requestedBy,
    startedSummary: `credit limit of ${request.requestedLimit} ${request.currency} requested for customer ${request.customerId}`,
  });
  const { attributes, saga, trace, audit, gate, bundle, systems, undo, models, cardBasics, finish } = run;

  // 2. The customer as the ERP records them: policy decides on this, never on the request.
  // A read changes nothing, so it runs as a local activity: one marker in history.
  const answer = await systemReads.getCreditRecord({ customerId: request.customerId });
  const recorded = answer === null ? undefined : creditRecordSchema.safeParse(answer);
  if (!recorded?.success || recorded.data.customerId !== request.customerId) {
    const reason = recorded ? `the ERP answered a malformed record for customer ${request.customerId}` : `customer ${request.customerId} is not known to the ERP`;
    trace.note(reason);
    return finish({ outcome: 'denied', reason });
  }
  const record = recorded.data;

  // 3. A proposal: from the credit agent while AI is on, else from a credit analyst.
  const desk = new ProposalDesk({
    submissionSchema: submittedCreditLimitProposalSchema,
    aiEnabled: bundle.policy.ai.enabled,
    agent: bundle.policy.ai.agent,
    proposers: run.proposers,
    signatures: run.proposalSignatures,
    trace,
    audit,
    onAwaitingHuman: (why) =>
      gate.showProposalCard(
        {
          ...cardBasics,
          title: `Propose a credit limit for customer ${record.customerId}`,
          summary: `The customer asks for ${request.requestedLimit} ${request.currency}: ${request.reason}`,
          parameters: recordParameters(record, request),
          reason: why,
          risk: 'medium',
        },
        [request.requestedBy],
        bundle.policy.manualProposalTimeout,
        run.proposerRoles,
      ),
  });
  run.setStage(SagaStage.proposing);
  const review = { request, record };
  const obtained = await desk.obtain(
    () =>
      askModels(
        {
          purpose: 'proposal',
          tenant: request.tenant,
          region: request.region,
          estimatedInputTokens: estimateInputTokens(review),
          invoke: (limits) =>
            models.proposeCreditLimit.executeWithOptions({ summary: `review the credit limit via ${limits.candidates.map((c) => c.modelId).join(' > ')}` }, [
              { request: review, personalFields: bundle.policy.ai.personalFields, ...limits },
            ]),
        },
        bundle,
        trace,
      ),
    // Any limit the agent proposes goes to policy: its invariants refuse one that raises nothing.
    () => undefined,
    bundle.policy.manualProposalTimeout,
  );
  if (obtained.source !== 'ai') gate.clearCard();
  attributes.note({ key: ArbiterCostUsd, value: trace.data.costs.totalUsd });
  if (obtained.source === 'none') return finish({ outcome: 'rejected', reason: obtained.reason });

  const { proposal, by: proposedBy } = obtained;
  run.recordProposal(obtained, `a limit of ${proposal.newLimit} ${proposal.currency} (now ${record.creditLimit}; confidence ${proposal.confidence})`);
  const proposer = proposerOf(obtained, run.distinguishesPeople);

  // 4. Policy decides, and people approve where it says so: credit managers first, then, for
  // the largest increases, finance. Each stage is the policy's decision, recorded on its own.
  const decide = (stage: ApprovalStage): PolicyDecision => {
    const decision = evaluatePolicy(bundle, proposer, creditLimitFacts(record, proposal, stage));
    trace.data.decisions.push(decision);
    audit.record({
      type: 'policy.decided',
      actor: { kind: 'policy', id: bundle.ref },
      authority: `policy ${bundle.ref} rule ${decision.ruleId}`,
      summary: decision.reason,
      shown: { facts: decision.facts },
      changed: { outcome: decision.outcome },
    });
    return decision;
  };
  const decision = decide('credit-review');
  attributes.note({ key: ArbiterRiskTier, value: riskTier(decision) });
  await audit.flush();
  if (decision.outcome === 'deny') return finish({ outcome: 'denied', reason: decision.reason });

  if (decision.outcome === 'approve' && decision.approval) {
    // Whoever asked or proposed never approves; whoever approved one stage never approves the next.
    const excluded = [request.requestedBy, ...(obtained.source === 'human' ? [obtained.by] : [])];
    const managers = await approve(decision, excluded);
    if (managers.rejected) return finish({ outcome: 'rejected', reason: managers.rejected });
    const finance = decide('finance-review');
    await audit.flush();
    if (finance.outcome === 'deny') return finish({ outcome: 'denied', reason: finance.reason });
    // A person's proposal was reviewed at the first stage: the policy's review of it is not a second stage.
    if (finance.outcome === 'approve' && finance.approval && finance.approval !== bundle.policy.proposeOnlyReview) {
      const signOff = await approve(finance, [...excluded, ...managers.approvers]);
      if (signOff.rejected) return finish({ outcome: 'rejected', reason: signOff.rejected });
    }
  }

  async function approve(stage: PolicyDecision, excluded: string[]): Promise<{ rejected?: string; approvers: string[] }> {
    const requirement = stage.approval!;
    const state = await gate.request(
      requirement,
      excluded,
      {
        ...cardBasics,
        title: `Raise customer ${record.customerId}'s credit limit to ${proposal.newLimit} ${proposal.currency}`,
        summary: `${proposedBy} proposes (confidence ${proposal.confidence}): ${proposal.rationale}`,
        parameters: { ...recordParameters(record, request), newLimit: proposal.newLimit, increase: Number(stage.facts.increase), proposedBy },
        reason: stage.reason,
        ruleId: stage.ruleId,
        risk: requirement.approvals > 1 || requirement.roles.includes('finance') ? 'high' : 'medium',
      },
      `policy ${bundle.ref} rule ${stage.ruleId}`,
    );
    await audit.flush();
    const approvers = state.decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId);
    if (state.status !== 'rejected' && state.status !== 'expired-rejected') return { approvers };
    const who = state.decisions.find((d) => d.decision === 'reject')?.approverId;
    return { rejected: who ? `rejected by ${who}` : `no decision within ${requirement.expireAfter}: auto-rejected`, approvers };
  }

  // 5. The saga: the limit set in the ERP, undone if the account manager cannot be told.
  const money = `${proposal.newLimit} ${proposal.currency}`;
  const outcome = await saga.execute(async () => {
    const applied = await saga.step(
      'set-credit-limit',
      (idempotencyKey) =>
        systems.setCreditLimit.executeWithOptions({ summary: `set customer ${record.customerId}'s limit to ${money}` }, [
          { idempotencyKey, customerId: record.customerId, newLimit: proposal.newLimit, currency: proposal.currency, expectedLimit: record.creditLimit },
        ]),
      (r, idempotencyKey) =>
        undo.restoreCreditLimit.executeWithOptions({ summary: `restore customer ${r.customerId}'s limit to ${r.previousLimit} ${r.currency}` }, [
          { idempotencyKey, changeId: r.changeId },
        ]),
    );
    const notice = await saga.pivot('notify-account-manager', (idempotencyKey) =>
      systems.notifyAccountManager.executeWithOptions({ summary: `tell ${record.accountManager} of the new limit` }, [
        {
          idempotencyKey,
          accountManager: record.accountManager,
          customerId: record.customerId,
          text: `Customer ${record.customerId}'s credit limit is now ${money} (was ${applied.previousLimit}); change ${applied.changeId}.`,
        },
      ]),
    );
    return { changeId: applied.changeId, messageId: notice.messageId };
  });

  const change = { previousLimit: record.creditLimit, newLimit: proposal.newLimit, currency: proposal.currency };
  if (outcome.ok) return finish({ outcome: 'completed', reason: `credit limit raised to ${money} (${decision.reason})`, ...change, ...outcome.value });
  return finish({
    outcome: 'compensated',
    reason: `step ${outcome.failure.step} failed (${outcome.failure.error.type}); the limit is back at ${record.creditLimit} ${record.currency}`,
    ...change,
    failure: outcome.failure,
  });
}

/** What every card of the run shows of the customer: ids and amounts, the ERP's figures. */
function recordParameters(record: CreditRecord, request: CreditLimitRequest) {
  return {
    customerId: record.customerId,
    currentLimit: record.creditLimit,
    requestedLimit: request.requestedLimit,
    currency: record.currency,
    exposure: record.exposure,
    daysPastDue: record.daysPastDue,
  };
}

function riskTier(decision: PolicyDecision): 'low' | 'medium' | 'high' {
  if (decision.outcome === 'auto') return 'low';
  if (decision.outcome === 'deny' || (decision.approval?.approvals ?? 1) > 1) return 'high';
  return 'medium';
}
