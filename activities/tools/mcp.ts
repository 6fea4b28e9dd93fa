// Tools from MCP servers, through the official SDK's client over Streamable HTTP. A run lists a
// server's tools once and pins the allow-listed part by its sha256; every later call lists again
// and refuses when that digest changed, so a server that changes its tools mid-run cannot widen
// what the agent may do. Tools outside the policy's allow-list are never shown or called.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { contentHash } from '../../common/content-hash';
import { cappedFetch } from './capped-fetch';
import type { ListedMcpTool } from '../../policies/tools';
import type { McpServerPolicy } from '../../policies/schema';

/** A server as the run's policy declares it, with its name (the key under mcpServers). */
export interface McpServerRef extends McpServerPolicy {
  name: string;
}

export interface McpListing {
  server: string;
  /** The allow-listed tools the server offers, sorted by name. */
  tools: ListedMcpTool[];
  /** sha256 of the tools' canonical JSON: what the run pins. */
  digest: string;
}

export interface McpCallOutcome {
  /** The result's text parts, joined; other parts are named, not included. */
  text: string;
  /** The tool itself reported an error (MCP `isError`): the model sees it and may try again. */
  isError: boolean;
}

export interface McpToolClient {
  listTools(server: McpServerRef): Promise<McpListing>;
  callTool(server: McpServerRef, tool: string, args: Record<string, unknown>, idempotencyKey: string): Promise<McpCallOutcome>;
}

export interface McpClientDeps {
  /** Where `env:NAME` URLs are read from. */
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
  /** The most one answer of a server may stream (default 16 MB, as the stand-in systems' answers). */
  maxAnswerBytes?: number;
}

const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** Pages a listing may take; a server that pages on past this is treated as broken. */
const MAX_LIST_PAGES = 20;

export function createMcpToolClient(deps: McpClientDeps = {}): McpToolClient {
  const env = deps.env ?? process.env;
  const timeout = deps.requestTimeoutMs ?? 10_000;
  const fetchCapped = cappedFetch(deps.fetch ?? fetch, deps.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES);

  async function withClient<T>(server: McpServerRef, work: (client: Client) => Promise<T>): Promise<T> {
    const transport = new StreamableHTTPClientTransport(serverUrl(server, env), { fetch: fetchCapped });
    const client = new Client({ name: 'arbiter-worker', version: '1.0.0' });
    await client.connect(transport, { timeout });
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }

  return {
    listTools: (server) =>
      withClient(server, async (client) => {
        const offered: ListedMcpTool[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
          const answer = await client.listTools(cursor ? { cursor } : {}, { timeout });
          for (const tool of answer.tools) {
            offered.push({ name: tool.name, ...(tool.description !== undefined && { description: tool.description }), inputSchema: tool.inputSchema });
          }
          cursor = answer.nextCursor;
          if (!cursor) return listingOf(server, offered);
        }
        throw new Error(`MCP server ${server.name} kept paging its tool list past ${MAX_LIST_PAGES} pages`);
      }),
    callTool: (server, tool, args, idempotencyKey) =>
      withClient(server, async (client) => {
        // A server outside Arbiter gets a key that dedupes the call, not the run's workflow (request) id.
        const opaqueKey = contentHash(idempotencyKey);
        const result = await client.callTool({ name: tool, arguments: args, _meta: { idempotencyKey: opaqueKey } }, undefined, { timeout });
        const parts = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: unknown }>) : [];
        const text = parts.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : `[${part.type} part not shown]`)).join('\n');
        return { text, isError: result.isError === true };
      }),
  };
}

/** The allow-listed part of what a server offers, sorted so the digest does not depend on its order. */
export function listingOf(server: McpServerRef, offered: readonly ListedMcpTool[]): McpListing {
  const tools = offered.filter((tool) => server.allow.includes(tool.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { server: server.name, tools, digest: contentHash(tools) };
}

/** `env:NAME` is a deployment setting read on the worker; anything else must be an http(s) URL. */
export function serverUrl(server: McpServerRef, env: NodeJS.ProcessEnv): URL {
  const raw = server.url.startsWith('env:') ? env[server.url.slice(4)] : server.url;
  if (!raw) throw new Error(`MCP server ${server.name}: ${server.url.slice(4)} is not set`);
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`MCP server ${server.name}: ${url.protocol} is not http or https`);
  return url;
}
