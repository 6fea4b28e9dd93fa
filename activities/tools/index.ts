// The read tools an investigating agent calls, as activities on the integrations queue. The
// workflow has already asked policy (policies/tools.ts) whether the call may run; this checks the
// arguments again, reads (a builtin look-up, or an MCP server's tool), and hands back the result
// capped and digested. Transport failures throw
// and Temporal retries them; a refusal is an answer for the model.
import { BUILTIN_TOOLS, isBuiltinToolName } from '../../common/agent-tools';
import { describeIssues } from '../../common/validation';
import type { BlobStore } from '../blobs';
import type { LookupClient } from '../lookups';
import { builtinReaders, isBuiltinReadTool } from './builtin';
import type { McpListing, McpServerRef, McpToolClient } from './mcp';
import { DEFAULT_MAX_CONTENT_BYTES, shapeResult, type ReadToolRefusal, type ToolResult, type ToolResultOk } from './result';

export type { ReadToolRefusal, ToolResult, ToolResultOk, ToolResultRefused } from './result';
export { DEFAULT_MAX_CONTENT_BYTES, READ_TOOL_REFUSALS } from './result';
export { createMcpToolClient, listingOf, type McpListing, type McpServerRef, type McpToolClient } from './mcp';

export interface ToolDeps {
  lookups: LookupClient;
  mcp: McpToolClient;
  /** Bytes of a result the model is shown; the rest is cut. */
  maxContentBytes?: number;
  /** Where a result that was cut is kept whole, under its digest, for activities to fetch. */
  blobs?: BlobStore;
  /**
   * Bytes of a shown result that travel in history; past this (with a blob store) it goes by
   * digest. The bench sets it past the content limit to measure a history that holds every result.
   */
  inlineBytes?: number;
}

export interface CallReadToolInput {
  /** The tool's name as policy declares it. */
  tool: string;
  /** The arguments policy's verdict parsed. */
  args: Record<string, unknown>;
  /** `<workflowId>/tool:<name>:<argumentsDigest>` (readToolIdempotencyKey): one read per distinct call. */
  idempotencyKey: string;
  /** builtin, or the MCP server (as policy declares it) with the digest of the listing the run pinned. */
  source: 'builtin' | { mcp: McpServerRef; listingDigest: string };
}

export interface CallMcpToolInput {
  server: McpServerRef;
  tool: string;
  args: Record<string, unknown>;
  idempotencyKey: string;
  /** From the run's listMcpTools: the call is refused when the server's allowed tools differ now. */
  listingDigest: string;
}

/** Results shown to the model up to this size travel in history; larger ones by digest. */
export const DEFAULT_INLINE_BYTES = 1024;
/** What history keeps of a result stored by digest: its first characters, for the trace. */
const SUMMARY_CHARS = 120;

export function createToolActivities(deps: ToolDeps) {
  const maxBytes = deps.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const inlineBytes = deps.inlineBytes ?? DEFAULT_INLINE_BYTES;

  /**
   * The result as the model may see it. With a blob store, history never holds more than a line
   * of it: what the model is shown goes to the store when it is over `inlineBytes` (the agent's turn
   * fetches it by digest), and a result that was cut is kept whole there too.
   */
  async function resultOf(text: string): Promise<ToolResultOk> {
    const shaped = shapeResult(text, maxBytes);
    const { blobs } = deps;
    if (!blobs) return shaped;
    const stored = shaped.truncated ? (await blobs.put(new TextEncoder().encode(text)), true) : undefined;
    const shownBytes = new TextEncoder().encode(shaped.content);
    if (shownBytes.length <= inlineBytes) return { ...shaped, ...(stored && { stored }) };
    const shown = await blobs.put(shownBytes);
    return { ...shaped, content: shaped.content.slice(0, SUMMARY_CHARS), shown, ...(stored && { stored }) };
  }
  const activities = {
    /**
     * The allow-listed tools a server offers and their digest. A run calls it once per server and
     * keeps the answer: the model is shown those schemas, every call is checked against the digest.
     */
    async listMcpTools(input: { server: McpServerRef }): Promise<McpListing> {
      return deps.mcp.listTools(input.server);
    },

    async callMcpTool(input: CallMcpToolInput): Promise<ToolResult> {
      const { server, tool, args, idempotencyKey, listingDigest } = input;
      if (!server.allow.includes(tool)) return refused('not-allowed-by-server', `tool "${tool}" of ${server.name} is not allowed by policy`);
      const now = await deps.mcp.listTools(server);
      if (now.digest !== listingDigest) {
        return refused('tool-list-changed', `MCP server ${server.name} changed its tools since this run listed them; its tools are not called again in this run`);
      }
      if (!now.tools.some((listed) => listed.name === tool)) return refused('unknown-tool', `MCP server ${server.name} does not offer "${tool}"`);
      const outcome = await deps.mcp.callTool(server, tool, args, idempotencyKey);
      return { ...(await resultOf(outcome.text)), ...(outcome.isError && { toolError: true }) };
    },

    async callReadTool(input: CallReadToolInput): Promise<ToolResult> {
      const { tool, args, idempotencyKey, source } = input;
      if (source !== 'builtin') return activities.callMcpTool({ server: source.mcp, tool, args, idempotencyKey, listingDigest: source.listingDigest });
      if (!isBuiltinToolName(tool) || !isBuiltinReadTool(tool)) return refused('unknown-tool', `there is no builtin read tool "${tool}"`);
      const parsed = BUILTIN_TOOLS[tool].args.safeParse(args);
      if (!parsed.success) return refused('bad-arguments', `arguments of "${tool}" are invalid: ${describeIssues(parsed.error)}`);
      // Each reader takes its own tool's arguments; the table pairs them, the parse above checked them.
      const read = builtinReaders[tool] as (client: LookupClient, args: unknown, key: string) => Promise<unknown>;
      const answer = await read(deps.lookups, parsed.data, idempotencyKey);
      return resultOf(JSON.stringify(answer));
    },
  };
  return activities;
}

function refused(reason: ReadToolRefusal, message: string): ToolResult {
  return { status: 'refused', reason, message };
}
