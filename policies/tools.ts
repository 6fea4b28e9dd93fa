// The rules of an investigating agent's tool calls, over a process policy's `agentTools`: which
// tools the model is shown, and whether one call may run. Pure: the workflow asks these before
// it schedules a read and answers a refusal to the model instead of running anything.
import { z } from 'zod';
import { BUILTIN_TOOLS, isBuiltinToolName } from '../common/agent-tools';
import { describeIssues } from '../common/validation';
import type { AgentTool, AgentTools, RightsClass } from './schema';

/** A tool as the OpenAI-compatible Chat Completions API takes it. */
export interface ModelToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** What an MCP server said about one allowed tool when the run listed it (listMcpTools). */
export interface ListedMcpTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/**
 * The tools an agent with these rights is shown, in policy order. MCP tools appear only when the
 * run's pinned listing has them, with the schema the server gave then.
 */
export function modelToolDefinitions(
  agentTools: AgentTools,
  agentRights: RightsClass,
  mcpListing: readonly ListedMcpTool[] = [],
): ModelToolDefinition[] {
  const definitions: ModelToolDefinition[] = [];
  for (const tool of agentTools.tools) {
    if (!tool.callers.includes(agentRights)) continue;
    if (tool.source === 'builtin') {
      if (!isBuiltinToolName(tool.name)) continue;
      const builtin = BUILTIN_TOOLS[tool.name];
      definitions.push(definition(tool.name, tool.description ?? builtin.description, builtinParameters(tool.name)));
    } else {
      const listed = mcpListing.find((candidate) => candidate.name === tool.name);
      if (listed) definitions.push(definition(tool.name, tool.description ?? listed.description ?? tool.name, listed.inputSchema));
    }
  }
  return definitions;
}

/** The JSON schema of a builtin tool's arguments, as the model is given it. */
export function builtinParameters(name: keyof typeof BUILTIN_TOOLS): Record<string, unknown> {
  // `io: 'input'`: the model writes what the schema parses, optional fields included.
  const parameters = z.toJSONSchema(BUILTIN_TOOLS[name].args, { io: 'input' }) as Record<string, unknown>;
  // The dialect line is for documents; a function's parameters are a bare schema.
  delete parameters.$schema;
  return parameters;
}

function definition(name: string, description: string, parameters: Record<string, unknown>): ModelToolDefinition {
  return { type: 'function', function: { name, description, parameters } };
}

export const TOOL_REFUSAL_REASONS = ['undeclared', 'not-allowed-for-rights', 'over-limit', 'bad-arguments', 'off-subject'] as const;
export type ToolRefusalReason = (typeof TOOL_REFUSAL_REASONS)[number];

export type ToolCallVerdict =
  /** `args` are the parsed arguments (for a builtin tool, its schema's output). */
  | { verdict: 'allowed'; tool: AgentTool; args: Record<string, unknown> }
  /** `message` is what the model is told; the call is recorded and never run. */
  | { verdict: 'refused'; reason: ToolRefusalReason; message: string };

/**
 * Whether one call may run. `callsSoFar`: calls of this tool this run already allowed. `args`:
 * the model's arguments, as its JSON text or parsed. Checked in this order: declared, rights,
 * limit, arguments. A builtin tool's arguments are parsed by its schema; an MCP tool's need only
 * be a JSON object here, and its server validates them.
 */
export function toolCallVerdict(
  agentTools: AgentTools | undefined,
  agentRights: RightsClass,
  toolName: string,
  callsSoFar: number,
  args: unknown,
): ToolCallVerdict {
  const tool = agentTools?.tools.find((candidate) => candidate.name === toolName);
  if (!tool) return refused('undeclared', `there is no tool "${clip(toolName)}" in this process`);
  if (!tool.callers.includes(agentRights)) return refused('not-allowed-for-rights', `tool "${toolName}" may not be called by a ${agentRights} agent`);
  if (callsSoFar >= tool.maxCallsPerRun) {
    return refused('over-limit', `tool "${toolName}" was already called ${tool.maxCallsPerRun} times, its limit for this run`);
  }
  const parsedJson = typeof args === 'string' ? parseJson(args) : { value: args };
  if (!parsedJson) return refused('bad-arguments', `arguments of "${toolName}" are not valid JSON`);
  if (tool.source === 'builtin' && isBuiltinToolName(tool.name)) {
    const parsed = BUILTIN_TOOLS[tool.name].args.safeParse(parsedJson.value);
    if (!parsed.success) return refused('bad-arguments', `arguments of "${toolName}" are invalid: ${describeIssues(parsed.error)}`);
    return { verdict: 'allowed', tool, args: parsed.data as Record<string, unknown> };
  }
  const value = parsedJson.value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return refused('bad-arguments', `arguments of "${toolName}" must be a JSON object`);
  return { verdict: 'allowed', tool, args: value as Record<string, unknown> };
}

/**
 * The records a run's agent may read: for each identifying argument (`orderId`, `customerId`,
 * `sku`), the values of the run's own request, as the system of record has them. A read naming
 * another order, customer or SKU is refused, whatever a message or a tool result asked for.
 */
export type ToolSubjects = Record<string, readonly string[]>;

export function offSubject(args: Record<string, unknown>, subjects: ToolSubjects): string | undefined {
  for (const [name, allowed] of Object.entries(subjects)) {
    if (!Object.hasOwn(args, name)) continue;
    const value = args[name];
    if (typeof value !== 'string' || !allowed.includes(value)) return `${name} is not one of this request's (${allowed.join(', ')})`;
  }
  return undefined;
}

function refused(reason: ToolRefusalReason, message: string): ToolCallVerdict {
  return { verdict: 'refused', reason, message };
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** A model-chosen name is echoed back to it; never at any length. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

/** Where a run stands at the end of an agent turn, for `continueAsNewReason`. */
export interface RunSize {
  /** Turns made in this run (not in the runs it continued). */
  turnsThisRun: number;
  /** The run's history so far, as Temporal measures it (`workflowInfo().historySize`). */
  historyBytes: number;
  /** Temporal's own `continueAsNewSuggested`: the history nears the server's limits. */
  suggested: boolean;
}

/**
 * Why the run should continue as new now, or undefined to go on. A policy without a
 * `continueAsNew` section never does: runs pinned before the section existed replay as they ran.
 */
export function continueAsNewReason(section: AgentTools['continueAsNew'], run: RunSize): string | undefined {
  if (!section) return undefined;
  if (run.turnsThisRun >= section.afterTurns) return `${run.turnsThisRun} turns in this run (policy: after ${section.afterTurns})`;
  if (run.historyBytes >= section.afterHistoryBytes) return `history of ${run.historyBytes} bytes (policy: after ${section.afterHistoryBytes})`;
  if (run.suggested) return 'Temporal suggests continuing as new';
  return undefined;
}
