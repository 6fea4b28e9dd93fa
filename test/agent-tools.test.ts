// An investigating agent's tools as policy declares them: the load refuses what it cannot honour
// (naming the field), the model is shown only what its rights allow, and each call is allowed or
// refused with a reason code, before anything runs.
import { rmSync } from 'node:fs';
import { argumentsDigest } from '../common/agent-tools';
import { checkPolicy } from '../policies/check';
import { PolicyValidationError, readPolicyFiles } from '../policies/load';
import type { AgentTools } from '../policies/schema';
import { modelToolDefinitions, toolCallVerdict } from '../policies/tools';
import { copyPolicies, type RawPolicy } from './helpers/policies';

type RawTools = { maxTurns: number; tools: Record<string, unknown>[]; mcpServers?: Record<string, unknown> };

function loadRefundWith(change: (tools: RawTools) => void) {
  const dir = copyPolicies((policy: RawPolicy) => change(policy.agentTools as RawTools));
  try {
    return readPolicyFiles(dir, 'refund').policy;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadIssues(change: (tools: RawTools) => void): string[] {
  try {
    loadRefundWith(change);
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.issues.map((i) => `${i.field}: ${i.message}`);
    throw error;
  }
  return [];
}

const refundTools = (): AgentTools => readPolicyFiles('policies', 'refund').policy.agentTools!;

test('loads the shipped refund and price-change tools', () => {
  expect(refundTools().tools.map((t) => t.name)).toEqual(['get_order', 'get_refund_history', 'get_case_notes', 'propose_refund']);
  expect(readPolicyFiles('policies', 'price-change').policy.agentTools?.tools.map((t) => t.name)).toEqual([
    'get_sales',
    'get_competitor_prices',
    'propose_price_changes',
  ]);
});

test('refuses an unknown builtin tool at load, naming the field', () => {
  const issues = loadIssues((tools) => void (tools.tools[0]!.name = 'get_everything'));
  expect(issues).toEqual([expect.stringMatching(/^agentTools\.tools\.0\.name: unknown builtin tool "get_everything"; builtin tools are get_order, /)]);
});

test.each<[string, (tools: RawTools) => void, string]>([
  ['another process’s builtin', (t) => void (t.tools[0]!.name = 'get_sales'), 'agentTools.tools.0.name: builtin tool "get_sales" belongs to the price-change process, not refund'],
  ['a builtin with the wrong kind', (t) => void (t.tools[0]!.kind = 'write'), 'agentTools.tools.0.kind: builtin tool "get_order" is a read tool'],
  ['a tool declared twice', (t) => void t.tools.push({ ...t.tools[0] }), 'agentTools.tools.4.name: "get_order" is declared twice'],
  ['no write tool', (t) => void t.tools.pop(), 'agentTools.tools: declare exactly one write tool (the proposal), not 0'],
  ['an unknown rights class', (t) => void (t.tools[0]!.callers = ['admin']), 'agentTools.tools.0.callers.0:'],
  ['an unknown field', (t) => void (t.tools[0]!.retries = 2), 'agentTools.tools.0: Unrecognized key: "retries"'],
  ['an undeclared MCP server', (t) => void (t.tools[0]!.source = { mcp: 'crm' }), 'agentTools.tools.0.source.mcp: unknown MCP server "crm": declare it under mcpServers'],
  [
    'an MCP tool the server’s allow-list leaves out',
    (t) => {
      t.mcpServers = { standins: { url: 'env:ARBITER_MCP_URL', allow: ['get_case_notes'] } };
      t.tools[0]!.source = { mcp: 'standins' };
    },
    'agentTools.tools.0.name: "get_order" is not in mcpServers.standins.allow',
  ],
])('refuses %s at load, naming the field', (_what, change, expected) => {
  expect(loadIssues(change).join('\n')).toContain(expected);
});

test('policy check names a tool whose result no model may see', () => {
  const files = readPolicyFiles('policies', 'refund');
  const toolFindings = () => checkPolicy(files, 'refund.yaml').filter((finding) => finding.field.startsWith('agentTools'));
  expect(toolFindings()).toEqual([]);
  files.policy.agentTools!.tools[1]!.resultDataClass = 'health-records';
  expect(toolFindings()).toEqual([
    expect.objectContaining({ field: 'agentTools.tools.1.resultDataClass', severity: 'error', message: expect.stringContaining('"health-records"') }),
  ]);
});

test('shows the model each tool its rights allow, with a JSON schema of the arguments', () => {
  const tools = refundTools();
  tools.tools[2] = { ...tools.tools[2]!, callers: ['trusted'] };
  const shown = modelToolDefinitions(tools, 'bounded');
  expect(shown.map((t) => t.function.name)).toEqual(['get_order', 'get_refund_history', 'propose_refund']);
  expect(shown[0]).toEqual({
    type: 'function',
    function: {
      name: 'get_order',
      description: expect.stringContaining('payments'),
      parameters: {
        type: 'object',
        properties: { orderId: expect.objectContaining({ type: 'string' }) },
        required: ['orderId'],
        additionalProperties: false,
      },
    },
  });
  expect(shown[2]?.function.parameters).toMatchObject({ required: ['action', 'amount', 'currency', 'category', 'confidence', 'rationale'] });
});

test('shows an MCP tool only with the schema the run’s listing pinned', () => {
  const tools = loadRefundWith((t) => {
    t.mcpServers = { standins: { url: 'http://127.0.0.1:1/mcp', allow: ['get_case_notes'] } };
    t.tools[2]!.source = { mcp: 'standins' };
  }).agentTools!;
  expect(modelToolDefinitions(tools, 'bounded').map((t) => t.function.name)).not.toContain('get_case_notes');
  const listing = [{ name: 'get_case_notes', description: 'from the server', inputSchema: { type: 'object', properties: {} } }];
  expect(modelToolDefinitions(tools, 'bounded', listing)[2]?.function).toEqual({ name: 'get_case_notes', description: 'from the server', parameters: listing[0]!.inputSchema });
});

test('allows a declared call within its limit and hands back the parsed arguments', () => {
  const verdict = toolCallVerdict(refundTools(), 'bounded', 'get_order', 2, '{"orderId":"ORD-1"}');
  expect(verdict).toMatchObject({ verdict: 'allowed', tool: { name: 'get_order', kind: 'read' }, args: { orderId: 'ORD-1' } });
});

test.each<[string, Parameters<typeof toolCallVerdict>, string]>([
  ['an undeclared tool', [refundTools(), 'bounded', 'issue_refund', 0, {}], 'undeclared'],
  ['any tool when the policy declares none', [undefined, 'bounded', 'get_order', 0, { orderId: 'ORD-1' }], 'undeclared'],
  ['a tool the rights class may not call', [{ ...refundTools(), tools: refundTools().tools.map((t) => ({ ...t, callers: ['trusted' as const] })) }, 'bounded', 'get_order', 0, { orderId: 'ORD-1' }], 'not-allowed-for-rights'],
  ['a call past the limit', [refundTools(), 'bounded', 'get_order', 3, { orderId: 'ORD-1' }], 'over-limit'],
  ['arguments that fail the schema', [refundTools(), 'bounded', 'get_order', 0, { orderId: 'ORD-1', extra: true }], 'bad-arguments'],
  ['arguments that are not JSON', [refundTools(), 'bounded', 'get_order', 0, '{orderId:'], 'bad-arguments'],
  ['a proposal that fails the proposal schema', [refundTools(), 'bounded', 'propose_refund', 0, { action: 'refund', amount: 10000.001 }], 'bad-arguments'],
])('refuses %s with its reason code', (_what, args, reason) => {
  expect(toolCallVerdict(...args)).toMatchObject({ verdict: 'refused', reason, message: expect.any(String) });
});

test('digests arguments the same whatever their key order', () => {
  expect(argumentsDigest({ customerId: 'c', days: 90 })).toBe(argumentsDigest({ days: 90, customerId: 'c' }));
  expect(argumentsDigest({ customerId: 'c', days: 90 })).not.toBe(argumentsDigest({ customerId: 'c', days: 30 }));
  expect(argumentsDigest({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
});

test('refuses continue-as-new settings outside their bounds at load, naming the field', () => {
  const issues = loadIssues((tools) => void ((tools as RawTools & { continueAsNew: unknown }).continueAsNew = { afterTurns: 1, afterHistoryBytes: 60 * 1024 * 1024 }));
  expect(issues).toEqual(
    expect.arrayContaining([expect.stringMatching(/^agentTools\.continueAsNew\.afterTurns: /), expect.stringMatching(/^agentTools\.continueAsNew\.afterHistoryBytes: /)]),
  );
  expect(refundTools().continueAsNew).toEqual({ afterTurns: 50, afterHistoryBytes: 8 * 1024 * 1024 });
});
