// The stand-ins' MCP server: the refund look-ups (get_order, get_refund_history, get_case_notes)
// over MCP's Streamable HTTP transport, from the same state and seeds as the HTTP routes. It also
// offers get_customer_contact, which no shipped policy allows, so tests can see the allow-list
// hold. Stateless: each POST gets a fresh server and transport, as the SDK's stateless example does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { BUILTIN_TOOLS } from '../common/agent-tools';
import { externalIdSchema } from '../common/id-and-money-schemas';
import { REFUND_HISTORY_DAYS } from '../common/lookup-schemas';
import { parseJson, readBody, sendJson } from './http';
import { caseNotes, refundHistory } from './lookups';
import { unitInterval } from './lookup-seeds';
import { orderStanding } from './orders';
import type { StandInState } from './schemas';

export const MCP_PATH = '/mcp';

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

function buildMcpServer(state: StandInState): McpServer {
  const server = new McpServer({ name: 'arbiter-standins', version: '1.0.0' });
  server.registerTool(
    'get_order',
    { description: BUILTIN_TOOLS.get_order.description, inputSchema: BUILTIN_TOOLS.get_order.args },
    async ({ orderId }) => text(orderStanding(state, orderId) ?? { found: false, message: `payments has no order ${orderId}` }),
  );
  server.registerTool(
    'get_refund_history',
    { description: BUILTIN_TOOLS.get_refund_history.description, inputSchema: BUILTIN_TOOLS.get_refund_history.args },
    async ({ customerId, days }) => text(refundHistory(state, customerId, days ?? REFUND_HISTORY_DAYS, new Date())),
  );
  server.registerTool(
    'get_case_notes',
    { description: BUILTIN_TOOLS.get_case_notes.description, inputSchema: BUILTIN_TOOLS.get_case_notes.args },
    async ({ orderId }) => text(caseNotes(state, orderId, new Date())),
  );
  server.registerTool(
    'get_customer_contact',
    { description: "The customer's e-mail address and phone number.", inputSchema: z.strictObject({ customerId: externalIdSchema }) },
    async ({ customerId }) =>
      text({ customerId, email: `${customerId}@example.com`, phone: `+49 30 ${String(Math.floor(unitInterval(customerId) * 1e7)).padStart(7, '0')}` }),
  );
  return server;
}

/** Answers one request on MCP_PATH. The body is read under the stand-ins' size cap first. */
export async function answerMcp(state: StandInState, req: IncomingMessage, res: ServerResponse): Promise<number> {
  if (req.method !== 'POST') {
    // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
    sendJson(res, { status: 405, body: { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null } }, { allow: 'POST' });
    return 405;
  }
  const body = parseJson(await readBody(req));
  const server = buildMcpServer(state);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
  return res.statusCode;
}
