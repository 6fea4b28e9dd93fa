// The credit-limit process. A B2B customer asks for a higher credit limit; the credit agent
// proposes a limit from the customer's record in the ERP (exposure, days past due); the pinned
// policy decides (auto, credit managers, then finance for the largest increases, or deny); then
// the saga sets the limit in the ERP and tells the account manager. A failure or a cancel before
// that notice puts the old limit back; the notice itself is the pivot.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities';
import {
  creditLimitFacts,
  creditLimitRequestSchema,
  creditRecordSchema,
  submittedCreditLimitProposalSchema,
  type CreditLimitProposal,
  type CreditLimitRequest,
  type CreditLimitResult,
  type CreditRecord,
} from '../common/credit-limit-schemas';
import type { PolicyDecision } from '../policies/evaluate';
import { systemReadLocalActivity } from './activity-options';
import { parseWorkflowInput } from './input';
import { runProcess, type ProcessRun } from './process-run';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';
export { approvalDecisionSignal, approvalQuery, decideUpdate } from './approval';
export { setAiEnabledSignal, submitProposalSignal } from './proposal';
export { explainQuery } from './trace';

const systemReads = proxyLocalActivities<Pick<IntegrationActivities, 'getCreditRecord'>>(systemReadLocalActivity);

/** `carried` is for Temporal's continue-as-new only (workflows/carried-run.ts): a start that passes it fails. */
export async function creditLimit(rawRequest: CreditLimitRequest, carried?: unknown): Promise<CreditLimitResult> {
  const request = parseWorkflowInput(creditLimitRequestSchema, rawRequest, 'credit-limit request');
  const startedSummary = `credit limit of ${request.requestedLimit} ${request.currency} requested for customer ${request.customerId}`;
  const firstRead = () => systemReads.getCreditRecord({ customerId: request.customerId });
  return runProcess<CreditLimitResult>({ process: 'credit-limit', requestId: request.requestId, request, tenant: request.tenant, requestedBy: request.requestedBy, startedSummary, carried, firstRead }, async (run) => {
    // 1. The customer as the ERP records them: policy decides on this, never on the request.
    const record = await recordedCustomer(run, request.customerId);

    // 2. A proposal: from the credit agent while AI is on, else from a credit analyst.
    const { proposal, by } = await run.obtainProposal({
      submissionSchema: submittedCreditLimitProposalSchema,
      agent: {
        activity: run.models.proposeCreditLimit,
        input: { request, record },
        region: request.region,
        summary: 'review the credit limit',
        subjects: { customerId: [record.customerId] },
      },
      personCard: {
        title: `Propose a credit limit for customer ${record.customerId}`,
        summary: `The customer asks for ${request.requestedLimit} ${request.currency}: ${request.reason}`,
        parameters: recordParameters(record, request),
      },
      // Any limit the agent proposes goes to policy: its invariants refuse one that raises nothing.
      describe: (p) => `a limit of ${p.newLimit} ${p.currency} (now ${record.creditLimit}; confidence ${p.confidence})`,
    });

    // 3. Policy decides, and people approve where it says so: credit managers first, then, for
    // the largest increases, finance. Each stage is the policy's decision, recorded on its own.
    const decision = await run.decide(creditLimitFacts(record, proposal, 'credit-review'));
    const card = (stage: PolicyDecision) => approvalCard(record, request, proposal, by, stage);
    const managers = await run.approve(decision, card(decision));
    if (decision.outcome === 'approve') {
      const finance = await run.decide(creditLimitFacts(record, proposal, 'finance-review'), { notesRisk: false });
      // A person's proposal was reviewed at the first stage: the policy's review of it is not a second stage.
      // Whoever approved one stage never approves the next.
      if (finance.approval !== run.policy.proposeOnlyReview) await run.approve(finance, card(finance), { alsoExcluded: managers });
    }

    // 4. The saga: the limit set in the ERP, undone if the account manager cannot be told.
    const outcome = await creditLimitSaga(run, record, proposal);
    const change = { previousLimit: record.creditLimit, newLimit: proposal.newLimit, currency: proposal.currency };
    if (outcome.ok) return { outcome: 'completed', reason: `credit limit raised to ${proposal.newLimit} ${proposal.currency} (${decision.reason})`, ...change, ...outcome.value };
    const reason = `step ${outcome.failure.step} failed (${outcome.failure.error.type}); the limit is back at ${record.creditLimit} ${record.currency}`;
    return { outcome: 'compensated', reason, ...change, failure: outcome.failure };
  });
}

/** The ERP's record of the customer, or the end of the run when the ERP does not know them. */
async function recordedCustomer(run: ProcessRun, customerId: string): Promise<CreditRecord> {
  // A read changes nothing, so it runs as a local activity (one marker in history), started
  // alongside the policy's pinning (the run options' `firstRead`).
  const answer = await run.firstRead();
  const recorded = answer === null ? undefined : creditRecordSchema.safeParse(answer);
  if (recorded?.success && recorded.data.customerId === customerId) return recorded.data;
  const reason = recorded ? `the ERP answered a malformed record for customer ${customerId}` : `customer ${customerId} is not known to the ERP`;
  run.note(reason);
  return run.end({ outcome: 'denied', reason });
}

/** One approval stage's card: the ERP's figures, the proposed limit, and the increase the stage judged. */
function approvalCard(record: CreditRecord, request: CreditLimitRequest, proposal: CreditLimitProposal, proposedBy: string, stage: PolicyDecision) {
  const requirement = stage.approval;
  return {
    title: `Raise customer ${record.customerId}'s credit limit to ${proposal.newLimit} ${proposal.currency}`,
    summary: `${proposedBy} proposes (confidence ${proposal.confidence}): ${proposal.rationale}`,
    parameters: { ...recordParameters(record, request), newLimit: proposal.newLimit, increase: Number(stage.facts.increase), proposedBy },
    risk: requirement && (requirement.approvals > 1 || requirement.roles.includes('finance')) ? ('high' as const) : ('medium' as const),
  };
}

/** Set the limit in the ERP (the old one restored on undo), then tell the account manager: the pivot. */
function creditLimitSaga(run: ProcessRun, record: CreditRecord, proposal: CreditLimitProposal) {
  const { saga, systems, undo } = run;
  const money = `${proposal.newLimit} ${proposal.currency}`;
  return saga.execute(async () => {
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
