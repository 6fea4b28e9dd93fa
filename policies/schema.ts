// The shape of a policy: what an agent may do alone, what needs which approvers, what is never
// allowed, and whether AI may act at all. Policies are data; this schema is their contract.
import { z } from 'zod';
import { BUILTIN_TOOL_NAMES, BUILTIN_TOOLS, isBuiltinToolName, toolNameSchema } from '../common/agent-tools';
import { decisionKeySchema } from '../common/decision-receipt';

/** "90s", "15m", "24h", "3d" (or "500ms"): short enough for tests, readable in a review. */
export const policyDurationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 500ms, 90s, 15m, 24h or 3d');

const idSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes');

/**
 * A number to compare with, or another fact (e.g. the order amount), optionally less a third
 * (`{ fact: orderAmount, minus: alreadyRefunded }`: what is left to refund).
 */
export const numberOperandSchema = z.union([
  z.number().finite(),
  z.strictObject({ fact: z.string().min(1), minus: z.string().min(1).optional() }),
]);
export type NumberOperand = z.infer<typeof numberOperandSchema>;

export const numberConstraintSchema = z
  .strictObject({
    gt: numberOperandSchema.optional(),
    gte: numberOperandSchema.optional(),
    lt: numberOperandSchema.optional(),
    lte: numberOperandSchema.optional(),
    eq: numberOperandSchema.optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'give at least one of gt, gte, lt, lte, eq');

export const stringConstraintSchema = z
  .strictObject({
    in: z.array(z.string()).min(1).optional(),
    notIn: z.array(z.string()).min(1).optional(),
    /** Equal to another string fact, e.g. the refund's currency to the order's. */
    equalsFact: z.string().min(1).optional(),
  })
  .refine(
    (c) => [c.in, c.notIn, c.equalsFact].filter((v) => v !== undefined).length === 1,
    'give exactly one of in, notIn, equalsFact',
  );

export const listConstraintSchema = z
  .strictObject({ includesAny: z.array(z.string()).min(1).optional(), includesNone: z.array(z.string()).min(1).optional() })
  .refine((c) => (c.includesAny === undefined) !== (c.includesNone === undefined), 'give exactly one of includesAny, includesNone');

export const booleanConstraintSchema = z.strictObject({ is: z.boolean() });

export const constraintSchema = z.union([
  numberConstraintSchema,
  stringConstraintSchema,
  listConstraintSchema,
  booleanConstraintSchema,
]);
export type Constraint = z.infer<typeof constraintSchema>;

/** All constraints must hold (a conjunction); alternatives are separate rules. */
export const conditionSchema = z.record(z.string(), constraintSchema);
export type Condition = z.infer<typeof conditionSchema>;

export const factTypeSchema = z.enum(['number', 'string', 'string-list', 'boolean']);
export type FactType = z.infer<typeof factTypeSchema>;

export const approvalRequirementSchema = z.strictObject({
  type: z.literal('approve'),
  /** Distinct approvers needed. */
  approvals: z.number().int().min(1).max(10),
  /** An approver needs one of these roles. */
  roles: z.array(z.string().min(1)).min(1),
  escalateAfter: policyDurationSchema.optional(),
  escalateTo: z.string().min(1).optional(),
  /** After this the approval closes with `onExpiry`. */
  expireAfter: policyDurationSchema,
  onExpiry: z.enum(['reject', 'approve']),
});
export type ApprovalRequirement = z.infer<typeof approvalRequirementSchema>;

export const outcomeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto') }),
  z.strictObject({ type: z.literal('deny') }),
  approvalRequirementSchema,
]);
export type RuleOutcome = z.infer<typeof outcomeSchema>;

export const ruleSchema = z.strictObject({
  id: idSchema,
  when: conditionSchema.default({}),
  /** Why this rule exists, as a template over facts: "refund {amount} {currency} > 50 auto limit". */
  reason: z.string().min(1),
  outcome: outcomeSchema,
});
export type Rule = z.infer<typeof ruleSchema>;

export const invariantSchema = z.strictObject({
  id: idSchema,
  /** What must hold; when it does not, the action is denied whatever the rules say. */
  require: conditionSchema,
  reason: z.string().min(1),
});
export type Invariant = z.infer<typeof invariantSchema>;

export const rightsClassSchema = z.enum(['propose-only', 'bounded', 'trusted']);
export type RightsClass = z.infer<typeof rightsClassSchema>;

/** Where a tool comes from: Arbiter's own (common/agent-tools.ts), or a server in `mcpServers`. */
export const agentToolSourceSchema = z.union([z.literal('builtin'), z.strictObject({ mcp: idSchema })]);
export type AgentToolSource = z.infer<typeof agentToolSourceSchema>;

export const agentToolSchema = z.strictObject({
  /** The name the model calls it by; for an MCP tool, also its name on the server. */
  name: toolNameSchema,
  /** Shown to the model; a builtin tool has its own when this is left out. */
  description: z.string().min(1).max(1000).optional(),
  /** read: runs as an activity and its result goes back to the model. write: never run; the call is the proposal. */
  kind: z.enum(['read', 'write']),
  /** The rights classes of the agents that may call it. */
  callers: z.array(rightsClassSchema).min(1),
  maxCallsPerRun: z.number().int().min(1).max(1000),
  /** The class of data its result holds; only models allowed to see it may be handed the result. */
  resultDataClass: z.string().min(1),
  source: agentToolSourceSchema,
});
export type AgentTool = z.infer<typeof agentToolSchema>;

export const mcpServerSchema = z.strictObject({
  /** Streamable HTTP endpoint; `env:NAME` reads it from the worker's environment. */
  url: z.string().min(1),
  /** The only tools of this server a run may see or call, whatever else it offers. */
  allow: z.array(toolNameSchema).min(1),
});
export type McpServerPolicy = z.infer<typeof mcpServerSchema>;

/** What an investigating agent may call in one run, and how often; see policies/tools.ts. */
export const agentToolsSchema = z
  .strictObject({
    /** Model turns per run; when they run out without a proposal, the run takes its human path. */
    maxTurns: z.number().int().min(1).max(200),
    tools: z.array(agentToolSchema).min(1),
    mcpServers: z.record(idSchema, mcpServerSchema).default({}),
    /**
     * When a long investigation continues in a fresh run (Temporal's continue-as-new), checked
     * after each turn: after this many turns in one run, or once the run's history is this large,
     * or when Temporal suggests it. Limits (turns, calls per tool, budget) stay per request across
     * runs. Without it a run never continues as new, as runs pinned before it existed never did.
     */
    continueAsNew: z
      .strictObject({
        afterTurns: z.number().int().min(2).max(200),
        // Temporal refuses a history past 50 MB; leave room for the turn that is still running.
        afterHistoryBytes: z.number().int().min(256 * 1024).max(40 * 1024 * 1024),
      })
      .optional(),
  })
  .superRefine((section, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const seen = new Set<string>();
    section.tools.forEach((tool, i) => {
      if (seen.has(tool.name)) issue(['tools', i, 'name'], `"${tool.name}" is declared twice`);
      seen.add(tool.name);
      if (new Set(tool.callers).size !== tool.callers.length) issue(['tools', i, 'callers'], 'names a rights class twice');
      if (tool.source === 'builtin') {
        if (!isBuiltinToolName(tool.name)) {
          issue(['tools', i, 'name'], `unknown builtin tool "${tool.name}"; builtin tools are ${BUILTIN_TOOL_NAMES.join(', ')}`);
        } else if (BUILTIN_TOOLS[tool.name].kind !== tool.kind) {
          issue(['tools', i, 'kind'], `builtin tool "${tool.name}" is a ${BUILTIN_TOOLS[tool.name].kind} tool`);
        }
        return;
      }
      const server = Object.hasOwn(section.mcpServers, tool.source.mcp) ? section.mcpServers[tool.source.mcp] : undefined;
      if (!server) issue(['tools', i, 'source', 'mcp'], `unknown MCP server "${tool.source.mcp}": declare it under mcpServers`);
      else if (!server.allow.includes(tool.name)) issue(['tools', i, 'name'], `"${tool.name}" is not in mcpServers.${tool.source.mcp}.allow`);
      // A write tool's call is the process's proposal, whose schema is Arbiter's own.
      if (tool.kind === 'write') issue(['tools', i, 'kind'], 'an MCP tool may only read; the proposal tool is builtin');
    });
    const writes = section.tools.filter((tool) => tool.kind === 'write').length;
    if (writes !== 1) issue(['tools'], `declare exactly one write tool (the proposal), not ${writes}`);
  });
export type AgentTools = z.infer<typeof agentToolsSchema>;

export const processPolicySchema = z.strictObject({
  version: z.union([z.string().min(1), z.number()]).transform(String),
  process: idSchema,
  action: z.string().min(1),
  description: z.string().optional(),
  /** The facts rules may test, and their types; a rule naming any other fact is an error. */
  facts: z.record(z.string(), factTypeSchema),
  agents: z.record(z.string(), z.strictObject({ rights: rightsClassSchema })),
  /** Who may supply a proposal on the manual path: a person holding one of these roles, never the requester. */
  proposers: z.strictObject({ roles: z.array(z.string().min(1)).min(1) }),
  /** An agent the policy does not list gets these rights. */
  unknownAgentRights: rightsClassSchema.default('propose-only'),
  /** What an `auto` outcome becomes for a propose-only agent: its proposals always go to a human. */
  proposeOnlyReview: approvalRequirementSchema,
  invariants: z.array(invariantSchema).default([]),
  rules: z.array(ruleSchema).min(1),
  /** Fixed, written down so a reader of the policy sees them; the workflow enforces both. */
  segregationOfDuties: z.strictObject({
    requesterMayApprove: z.literal(false),
    sameApproverCountsOnce: z.literal(true),
  }),
  ai: z.strictObject({
    /** The kill switch: false sends every run down the manual path, where a human supplies the proposal. */
    enabled: z.boolean(),
    /** The agent id AI proposals are made under; its rights come from `agents`. */
    agent: z.string().min(1),
    /** The class of data the prompts carry; routing only picks models allowed to see it. */
    dataClass: z.string().min(1),
    maxCostPerCallUsd: z.number().positive(),
    preference: z.enum(['cheapest-adequate', 'quality-first']),
    minQuality: z.enum(['basic', 'standard', 'high']),
    /** Fields of the request that are personal data: redacted for models not allowed to see them. */
    personalFields: z.array(z.string()).default([]),
  }),
  budgets: z.strictObject({ perRunUsd: z.number().nonnegative(), perTenantDailyUsd: z.number().nonnegative() }),
  /** How long the manual path waits for a human to supply a proposal before the request is rejected. */
  manualProposalTimeout: policyDurationSchema,
  /** The tools an investigating agent may call; without it the agent proposes in one model call. */
  agentTools: agentToolsSchema.optional(),
  /**
   * When a run waiting for approval continues in a fresh run (Temporal's continue-as-new), carrying
   * the approval: once its history has this many events or bytes. Anyone who can signal a run adds
   * to its history, and a history past Temporal's limits ends the run. Without it a waiting run
   * continues as new only when Temporal suggests it.
   */
  approvalWait: z
    .strictObject({
      continueAsNew: z.strictObject({
        afterHistoryEvents: z.number().int().min(50).max(40_000),
        afterHistoryBytes: z.number().int().min(256 * 1024).max(40 * 1024 * 1024),
      }),
    })
    .optional(),
})
  .superRefine((policy, ctx) => {
    policy.agentTools?.tools.forEach((tool, i) => {
      if (tool.source !== 'builtin' || !isBuiltinToolName(tool.name)) return;
      const processes: readonly string[] = BUILTIN_TOOLS[tool.name].processes;
      if (!processes.includes(policy.process)) {
        ctx.addIssue({
          code: 'custom',
          path: ['agentTools', 'tools', i, 'name'],
          message: `builtin tool "${tool.name}" belongs to the ${processes.join(', ')} process, not ${policy.process}`,
        });
      }
    });
  });
export type ProcessPolicy = z.infer<typeof processPolicySchema>;

export const rolesFileSchema = z.strictObject({
  version: z.union([z.string().min(1), z.number()]).transform(String),
  roles: z.record(idSchema, z.strictObject({ description: z.string().min(1) })),
});
export type RolesFile = z.infer<typeof rolesFileSchema>;

export const modelSchema = z.strictObject({
  id: z.string().min(1),
  provider: z.string().min(1),
  model: z.string().min(1),
  inputUsdPerMillionTokens: z.number().nonnegative(),
  outputUsdPerMillionTokens: z.number().nonnegative(),
  regions: z.array(z.string().min(1)).min(1),
  dataClasses: z.array(z.string().min(1)).min(1),
  quality: z.enum(['basic', 'standard', 'high']),
  contextTokens: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  structuredOutput: z.boolean().default(false),
});
export type ModelSpec = z.infer<typeof modelSchema>;

export const modelsFileSchema = z.strictObject({
  version: z.union([z.string().min(1), z.number()]).transform(String),
  providers: z.record(
    z.string(),
    z.strictObject({
      /**
       * Base URL of an OpenAI-compatible Chat Completions API; `env:NAME` reads it from the
       * environment. A list is tried in order, the first that is set wins.
       */
      baseUrl: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
      apiKeyEnv: z.string().min(1).optional(),
      /**
       * Marks a stand-in, not a real model: at `baseUrl` when that is set explicitly, else at
       * `defaultBaseUrl` (where `npm start` or docker compose runs it) only while no real
       * provider's key is set (activities/llm/providers.ts, `providerAvailability`).
       */
      standIn: z.strictObject({ defaultBaseUrl: z.string().min(1).optional() }).optional(),
      description: z.string().optional(),
    }),
  ),
  models: z.array(modelSchema).min(1),
});
export type ModelsFile = z.infer<typeof modelsFileSchema>;

/** policies/trust.yaml: the keys whose signatures make a person's decision or proposal count. */
export const trustFileSchema = z
  .object({
    decisionKeys: z.array(decisionKeySchema).superRefine((keys, ctx) => {
      const seen = new Set<string>();
      keys.forEach((key, index) => {
        if (seen.has(key.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate key id "${key.id}"` });
        seen.add(key.id);
      });
    }),
    /**
     * Break glass: a decision or proposal without the endpoint's signature (a raw signal from the
     * `temporal` CLI or the Web UI) counts, audited as unsigned. False refuses and lists it.
     */
    unsignedOperatorDecisions: z.boolean(),
  })
  .strict();
export type TrustFile = z.infer<typeof trustFileSchema>;

/** Everything one run pins at its start: the process policy and the shared files it relies on. */
export interface PolicyBundle {
  policy: ProcessPolicy;
  roles: RolesFile;
  models: ModelsFile;
  /**
   * trust.yaml, with the keys the worker's environment adds. Absent in runs pinned before
   * decisions were signed; such runs never look at it.
   */
  trust?: TrustFile;
  /** sha256 of the bundle's canonical JSON: two runs with one hash used the same policy. */
  hash: string;
  /** `refund@3`, for traces and audit lines. */
  ref: string;
}
