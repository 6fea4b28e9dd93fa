// The refund's customer reply: a model words it, the workflow checks it states the refund's facts,
// and the template stands in whenever AI is off, no model may be called, or the draft is wrong.
// Drafting never fails the run: the reply is sent either way.
import { isCancellation, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { ProposerActivities } from '../activities';
import { replyObjection, templateReply, type ReplyDraftRequest } from '../common/reply-schemas';
import type { PolicyBundle } from '../policies/schema';
import { askModels, estimateInputTokens } from './model-call';
import { toStepFailure } from './saga';
import type { DecisionTrace } from './trace';

export interface DraftContext {
  tenant: string;
  region: string;
  aiEnabled: boolean;
  bundle: PolicyBundle;
  trace: DecisionTrace;
  models: ActivityInterfaceFor<Pick<ProposerActivities, 'draftCustomerReply'>>;
}

export async function draftCustomerReply(request: ReplyDraftRequest, context: DraftContext): Promise<string> {
  const { trace, bundle } = context;
  const fallback = (why: string) => {
    trace.note(`customer reply from the template: ${why}`);
    return templateReply(request);
  };
  if (!context.aiEnabled) return fallback('AI is switched off');
  try {
    const draft = await askModels(
      {
        purpose: 'customer-reply',
        tenant: context.tenant,
        region: context.region,
        estimatedInputTokens: estimateInputTokens(request),
        invoke: (limits) =>
          context.models.draftCustomerReply.executeWithOptions({ summary: `draft the reply on refund ${request.refundId}` }, [
            { request, personalFields: bundle.policy.ai.personalFields, ...limits },
          ]),
      },
      bundle,
      trace,
    );
    trace.addCall({ model: draft.model, tokensIn: draft.tokensIn, tokensOut: draft.tokensOut, costUsd: draft.costUsd });
    const objection = replyObjection(draft.proposal.text, request);
    if (objection) return fallback(`${objection} (${draft.model})`);
    trace.note(`customer reply drafted by ${draft.model} with prompt ${draft.prompt.id}@${draft.prompt.version}`);
    return draft.proposal.text;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return fallback(`no draft (${toStepFailure('draft-reply', err).error.message})`);
  }
}
