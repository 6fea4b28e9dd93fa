// The span of one model completion, a child of the activity's span: which model, the tokens it
// counted and what they cost, and how the call ended. Never the prompt, the messages or the
// answer: they carry the customer's words.
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { RouteCandidate } from '../../policies/routing';

export interface ModelCallSpan {
  /** The usage the provider reported, and the cost the candidate's prices give it. */
  answered(usage: { model: string; tokensIn: number; tokensOut: number; costUsd: number }): void;
  /** Ends the span with the call's outcome (`answered`, `rate-limited`, `timeout`, `rejected 401`...); once. */
  end(outcome: string): void;
}

export function startModelCallSpan(candidate: RouteCandidate, prompt: { id: string; version: number }): ModelCallSpan {
  // Named and described in the OpenTelemetry conventions for generative AI, plus Arbiter's own.
  const span: Span = trace.getTracer('arbiter-llm').startSpan(`chat ${candidate.model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': candidate.provider,
      'gen_ai.request.model': candidate.model,
      'gen_ai.request.max_tokens': candidate.maxOutputTokens,
      'arbiter.model.id': candidate.modelId,
      'arbiter.prompt.id': prompt.id,
      'arbiter.prompt.version': prompt.version,
    },
  });
  let ended = false;
  return {
    answered({ model, tokensIn, tokensOut, costUsd }) {
      span.setAttributes({
        'gen_ai.response.model': model,
        'gen_ai.usage.input_tokens': tokensIn,
        'gen_ai.usage.output_tokens': tokensOut,
        'arbiter.model.cost_usd': costUsd,
      });
    },
    end(outcome) {
      if (ended) return;
      ended = true;
      span.setAttribute('arbiter.model.outcome', outcome);
      if (outcome !== 'answered') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      span.end();
    },
  };
}
