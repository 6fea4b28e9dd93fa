// What one kind of proposal needs from the chat proposer: a versioned prompt, the answer's zod
// schema and its JSON Schema for structured output. The refund triage and the price review are
// both tasks; the proposer's routing, failover, repair and cost accounting are shared.
import type OpenAI from 'openai';
import type { z } from 'zod';

export interface PromptOptions {
  /** Dotted paths replaced with "[redacted]"; empty for a model allowed to see them. */
  redact: readonly string[];
  /** The data classes the model called may see: a tool result of another class is withheld from it. */
  seesDataClasses?: readonly string[];
}

/** An answer read and checked: the proposal, or what was wrong with it (for the repair turn). */
export type CheckedAnswer<P> = { ok: true; proposal: P } | { ok: false; problems: string };

export interface ProposalTask<Input, Proposal> {
  prompt: { readonly id: string; readonly version: number };
  schema: z.ZodType<Proposal>;
  responseFormat: OpenAI.ResponseFormatJSONSchema;
  buildMessages(input: Input, options: PromptOptions): OpenAI.ChatCompletionMessageParam[];
  /** Tools the model may call; a task with tools reads the whole message (`readMessage`), not JSON content. */
  tools?: OpenAI.ChatCompletionFunctionTool[];
  readMessage?(message: OpenAI.ChatCompletionMessage): CheckedAnswer<Proposal>;
}

const MAX_PROBLEMS_CHARS = 300;

/** zod's issues as one capped line for the repair turn: paths and messages, never the answer itself. */
export function describeProblems(error: z.ZodError): string {
  const problems = error.issues.map((issue) => `${issue.path.join('.') || 'answer'}: ${issue.message}`).join('; ');
  return problems.length > MAX_PROBLEMS_CHARS ? `${problems.slice(0, MAX_PROBLEMS_CHARS)}...` : problems;
}
