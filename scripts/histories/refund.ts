// The refund's recorded histories: completed, compensated, denied, approved by two people, the kill
// switch mid-call and a person's proposal rejected, cancelled mid-saga, and a stuck compensation an
// operator resolves; an investigation that continues as new, and a wait for approval that does
// (each of their runs recorded).
import { Context } from '@temporalio/activity';
import type { ProposerActivities } from '../../activities';
import type { RefundRequest } from '../../common/refund-schemas';
import { signalSignedProposal } from '../../test/helpers/decision-key';
import { registerOrderOf } from '../../test/helpers/payments-record';
import { recordingSystems } from '../../test/helpers/recording-systems';
import { copyPolicies } from '../../test/helpers/policies';
import { refundRequest } from '../../test/helpers/refund-fixtures';
import { signalUntilContinued } from '../../test/helpers/runs';
import { waitFor } from '../../test/helpers/wait';
import { approvalQuery, resolveCompensationSignal, setAiEnabledSignal, stepLogQuery } from '../../workflows/refund';
import { decide, waitForStage, type HistoryScenario, type RecordingContext } from './scenario';

const carol = { id: 'carol', roles: ['support-lead'] };

/** A model call that never answers, so the kill switch can be recorded mid-call. */
const hangingModel: Partial<ProposerActivities> = {
  async proposeRefund() {
    for (;;) {
      Context.current().heartbeat();
      await Context.current().sleep(50);
    }
  },
};

function withOrder(amount: number, orderId?: string, message?: string): () => RefundRequest {
  return () => {
    const request = refundRequest({ requestedBy: 'alice', ...(message ? { message } : {}) });
    request.order.amount = amount;
    if (orderId) request.order.id = orderId;
    // Payments knows the order as the request describes it.
    registerOrderOf(request);
    return request;
  };
}

/** The shipped refund policy with an agent that continues as new after two turns and may read the refund history 20 times. */
function continuingAfterTwoTurns(): string {
  return copyPolicies((refund) => {
    const tools = refund.agentTools as { continueAsNew: unknown; tools: { name: string; maxCallsPerRun: number }[] };
    tools.continueAsNew = { afterTurns: 2, afterHistoryBytes: 8 * 1024 * 1024 };
    for (const tool of tools.tools) if (tool.name === 'get_refund_history') tool.maxCallsPerRun = 20;
  });
}

/** The shipped refund policy with a wait for approval that continues as new past 120 history events. */
function continuingWhileWaiting(): string {
  return copyPolicies((refund) => (refund.approvalWait = { continueAsNew: { afterHistoryEvents: 120, afterHistoryBytes: 8 * 1024 * 1024 } }));
}

export function historyScenarios({ viaStandIns }: RecordingContext): HistoryScenario[] {
  return [
    {
      // 3000 EUR needs two of finance: fin-1 approves, refused signals grow the history past the
      // policy's 120 events, the run continues as new while waiting, and fin-2's approval completes it.
      file: 'refund-approval-continued.json',
      integrations: viaStandIns,
      request: withOrder(3000),
      policyDir: continuingWhileWaiting,
      everyRun: true,
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'fin-1', roles: ['finance'] });
        await waitFor(async () => (await h.query(approvalQuery))?.decisions.length === 1, 'the first decision');
        await signalUntilContinued(h);
        await decide(h, 'approve', { id: 'fin-2', roles: ['finance'] });
        return h.result();
      },
    },
    {
      // The stand-in model reads the order, the refund history and the notes (turn 1), then 12
      // look-ups eight at a time (turns 2-3) and proposes (turn 4): the run continues after turn 2.
      file: 'refund-continued-as-new.json',
      integrations: viaStandIns,
      request: withOrder(40, undefined, 'The parcel arrived broken. Please run 12 look-ups before you decide.'),
      policyDir: continuingAfterTwoTurns,
      everyRun: true,
      drive: (h) => h.result(),
    },
    { file: 'refund-completed.json', integrations: viaStandIns, request: withOrder(40), drive: (h) => h.result() },
    { file: 'refund-compensated.json', integrations: viaStandIns, request: withOrder(30, 'FAIL-CRM-recorded'), drive: (h) => h.result() },
    { file: 'refund-denied.json', integrations: viaStandIns, request: withOrder(6000), drive: (h) => h.result() },
    {
      file: 'refund-approved.json',
      integrations: viaStandIns,
      request: withOrder(740),
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'alice', roles: ['support-lead'] });
        await decide(h, 'approve', carol);
        return h.result();
      },
    },
    {
      file: 'refund-kill-switch-rejected.json',
      integrations: viaStandIns,
      request: withOrder(300),
      proposer: hangingModel,
      drive: async (h) => {
        await waitForStage(h, 'proposing');
        await new Promise((resolve) => setTimeout(resolve, 500));
        await h.signal(setAiEnabledSignal, { enabled: false, operator: 'ops', reason: 'recorded kill switch' });
        await waitForStage(h, 'awaiting-proposal');
        await signalSignedProposal(h, {
          submittedBy: 'dan', roles: ['support-agent'],
          proposal: { action: 'refund', amount: 300, currency: 'EUR', category: 'damaged', confidence: 1, rationale: 'seen the photo' },
        });
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'reject', carol, 'recorded rejection');
        return h.result();
      },
    },
    {
      file: 'refund-cancelled.json',
      integrations: () => recordingSystems({ hangingActivity: 'updateCrmCase' }).activities,
      request: withOrder(40),
      drive: async (h) => {
        await waitFor(async () => (await h.query(stepLogQuery)).length >= 2, 'two finished steps');
        await new Promise((resolve) => setTimeout(resolve, 500));
        await h.cancel();
        return h.result().catch(() => undefined);
      },
    },
    {
      file: 'refund-compensation-resolved.json',
      integrations: () =>
        recordingSystems({ failingActivity: 'updateCrmCase', failFirstCalls: { releaseFunds: 1, reverseRefund: 99 } }).activities,
      request: withOrder(40),
      drive: async (h) => {
        await waitFor(async () => (await h.query(stepLogQuery)).some((e) => e.step === 'issue-refund' && e.status === 'stuck'), 'stuck');
        await h.signal(resolveCompensationSignal, { step: 'issue-refund', action: 'mark-resolved', operator: 'ops', reason: 'done by hand' });
        await waitFor(async () => (await h.query(stepLogQuery)).some((e) => e.step === 'reserve-funds' && e.status === 'stuck'), 'stuck');
        await h.signal(resolveCompensationSignal, { step: 'reserve-funds', action: 'retry', operator: 'ops' });
        return h.result();
      },
    },
  ];
}
