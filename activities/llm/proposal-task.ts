// What one kind of proposal needs from the chat proposer: a versioned prompt, the answer's zod
// schema and its JSON Schema for structured output. The refund triage and the price review are
// both tasks; the proposer's routing, failover, repair and cost accounting are shared.
import type OpenAI from 'openai';
import type { z } from 'zod';

export interface PromptOptions {
  /** Dotted paths replaced with "[redacted]"; empty for a model allowed to see them. */
  redact: readonly string[];
}

export interface ProposalTask<Input, Proposal> {
  prompt: { readonly id: string; readonly version: number };
  schema: z.ZodType<Proposal>;
  responseFormat: OpenAI.ResponseFormatJSONSchema;
  buildMessages(input: Input, options: PromptOptions): OpenAI.ChatCompletionMessageParam[];
}
