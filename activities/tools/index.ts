// The read tools an investigating agent calls, as activities on the integrations queue. The
// workflow has already asked policy (policies/tools.ts) whether the call may run; this checks the
// arguments again, reads, and hands back the result capped and digested. Transport failures throw
// and Temporal retries them; a refusal is an answer for the model.
import { BUILTIN_TOOLS, isBuiltinToolName } from '../../common/agent-tools';
import { describeIssues } from '../../common/validation';
import type { LookupClient } from '../lookups';
import { builtinReaders, isBuiltinReadTool } from './builtin';
import { DEFAULT_MAX_CONTENT_BYTES, shapeResult, type ReadToolRefusal, type ToolResult } from './result';

export type { ReadToolRefusal, ToolResult, ToolResultOk, ToolResultRefused } from './result';
export { DEFAULT_MAX_CONTENT_BYTES, READ_TOOL_REFUSALS } from './result';

export interface ToolDeps {
  lookups: LookupClient;
  /** Bytes of a result the model is shown; the rest is cut. */
  maxContentBytes?: number;
}

export interface CallReadToolInput {
  /** The tool's name as policy declares it. */
  tool: string;
  /** The arguments policy's verdict parsed. */
  args: Record<string, unknown>;
  /** `<workflowId>/tool:<name>:<argumentsDigest>` (readToolIdempotencyKey): one read per distinct call. */
  idempotencyKey: string;
  source: 'builtin';
}

export function createToolActivities(deps: ToolDeps) {
  const maxBytes = deps.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  return {
    async callReadTool(input: CallReadToolInput): Promise<ToolResult> {
      const { tool, args, idempotencyKey } = input;
      if (!isBuiltinToolName(tool) || !isBuiltinReadTool(tool)) return refused('unknown-tool', `there is no builtin read tool "${tool}"`);
      const parsed = BUILTIN_TOOLS[tool].args.safeParse(args);
      if (!parsed.success) return refused('bad-arguments', `arguments of "${tool}" are invalid: ${describeIssues(parsed.error)}`);
      // Each reader takes its own tool's arguments; the table pairs them, the parse above checked them.
      const read = builtinReaders[tool] as (client: LookupClient, args: unknown, key: string) => Promise<unknown>;
      const answer = await read(deps.lookups, parsed.data, idempotencyKey);
      return shapeResult(JSON.stringify(answer), maxBytes);
    },
  };
}

function refused(reason: ReadToolRefusal, message: string): ToolResult {
  return { status: 'refused', reason, message };
}
