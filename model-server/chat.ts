// The Chat Completions answer of the stand-in model: reads the request, runs the triage, price
// review, credit review or customer-reply rules and returns the OpenAI response shape, or the
// broken content a content fault asks for.
import { z } from 'zod';
import { nextCalls, toolsSchema, type Investigation } from './agent-rules';
import { readCreditBlock, reviewCredit } from './credit-rules';
import { readPricingBlock, reviewPrices } from './pricing-rules';
import { draftReply, readReplyBlock } from './reply-rules';
import { readRequestBlock, triage } from './triage-rules';

/** Marks Arbiter's repair attempt after an invalid answer. */
export const REPAIR_MARKER = 'REPAIR:';

/** Text the openai client sends either as a string or as a list of content parts. */
const contentSchema = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() })), z.null()]);

const toolCallSchema = z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });

export const chatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(z.object({ role: z.string(), content: contentSchema.optional(), tool_calls: z.array(toolCallSchema).optional(), tool_call_id: z.string().optional() }))
    .min(1),
  response_format: z.object({ type: z.string() }).optional(),
  tools: toolsSchema.optional(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;
type ChatMessage = ChatRequest['messages'][number];

/** Content faults: the call succeeds at the HTTP level and the content is what is wrong. */
export const MALFORMED_CONTENT = 'Sure! Here is my decision: refund the customer in full, they sound upset.';
export const WRONG_SCHEMA_CONTENT = '{ "refund": true }';

function textOf(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => part.text ?? '').join('\n');
}

export function isRepairCall(request: ChatRequest): boolean {
  return request.messages.some((message) => (message.role === 'system' || message.role === 'user') && textOf(message).includes(REPAIR_MARKER));
}

/**
 * The triage answer as JSON text. The request block is read from the latest user message that
 * has one, so a repair turn appended after the invalid answer still finds the original request.
 * The answer is always JSON, whether or not `response_format` asked for it.
 */
export function triageContent(request: ChatRequest): string {
  const userTexts = request.messages.filter((message) => message.role === 'user').map(textOf).reverse();
  const block = userTexts.map(readRequestBlock).find((found) => found !== undefined);
  return JSON.stringify(triage(block));
}

/**
 * The rules' answer as JSON text: a customer reply when the request block holds a `reply`, a credit
 * review when it holds a credit record, a price review when it lists SKUs, else a refund triage
 * (which also answers a prompt with no request at all).
 */
export function ruleContent(request: ChatRequest): string {
  const userTexts = request.messages.filter((message) => message.role === 'user').map(textOf).reverse();
  const reply = userTexts.map(readReplyBlock).find((found) => found !== undefined);
  if (reply) return JSON.stringify(draftReply(reply));
  const credit = userTexts.map(readCreditBlock).find((found) => found !== undefined);
  if (credit) return JSON.stringify(reviewCredit(credit));
  const pricing = userTexts.map(readPricingBlock).find((found) => found !== undefined);
  return pricing ? JSON.stringify(reviewPrices(pricing)) : triageContent(request);
}

/** The conversation an agent turn carries: the tools offered, the request, and each call with its result. */
export function investigationOf(request: ChatRequest): Investigation {
  const results = new Map(request.messages.filter((m) => m.role === 'tool' && m.tool_call_id).map((m) => [m.tool_call_id!, textOf(m)]));
  return {
    offered: (request.tools ?? []).map((tool) => tool.function.name),
    userTexts: request.messages.filter((message) => message.role === 'user').map(textOf).reverse(),
    calls: request.messages.flatMap((m) => (m.tool_calls ?? []).map((call) => ({ name: call.function.name, arguments: call.function.arguments, result: results.get(call.id) }))),
  };
}

/** The stand-in agent's tool calls for this turn, in the OpenAI shape. */
export function toolCallsFor(request: ChatRequest, id: string) {
  return nextCalls(investigationOf(request)).map((call, i) => ({
    id: `call_${id}_${i}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
}

/** Rough token counts (a quarter of the characters), so cost accounting has figures to add up. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function completionBody(request: ChatRequest, content: string, id: string) {
  const promptTokens = countTokens(request.messages.map(textOf).join(''));
  // Offered tools, the stand-in investigates: it answers with tool calls, not text.
  if (request.tools?.length) {
    const toolCalls = toolCallsFor(request, id);
    const completionTokens = countTokens(JSON.stringify(toolCalls));
    return {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, tool_calls: toolCalls }, logprobs: null, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'arbiter-standin',
    };
  }
  const completionTokens = countTokens(content);
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: 'arbiter-standin',
  };
}
