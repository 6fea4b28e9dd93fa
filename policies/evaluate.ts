// Pure evaluation of a pinned policy against the facts of one proposed action. No I/O, no clock:
// workflows call it directly, and the same facts always give the same decision.
import { toCents } from '../common/money';
import type {
  ApprovalRequirement,
  Condition,
  Constraint,
  FactType,
  NumberOperand,
  PolicyBundle,
  ProcessPolicy,
  RightsClass,
} from './schema';

export type FactValue = number | string | string[] | boolean;
export type Facts = Record<string, FactValue>;

export interface PolicyDecision {
  action: string;
  outcome: 'auto' | 'approve' | 'deny';
  /** The rule or invariant that decided; `default-deny` when nothing matched. */
  ruleId: string;
  /** One line for people: "refund 740 EUR > 50 auto limit for bounded agents: needs 1 support-lead approval (rule refund-mid)". */
  reason: string;
  approval?: ApprovalRequirement;
  agent: string;
  agentRights: RightsClass;
  facts: Facts;
  policyRef: string;
  policyHash: string;
}

/**
 * Who proposed the action. An agent's id is a name in the policy's `agents`; a person's id is
 * whatever their identity provider calls them, and may well be the same string, so the kind
 * is what decides, never the id. A bare string is an agent's id.
 */
export type Proposer = string | { kind: 'agent' | 'person'; id: string };

/** The facts name the agent's rights class too, so rules can test it; this sets it from the policy. */
export function rightsOf(policy: ProcessPolicy, proposer: Proposer): RightsClass {
  const { kind, id } = typeof proposer === 'string' ? { kind: 'agent', id: proposer } : proposer;
  // A person's proposal is always reviewed by someone else, whatever their id: a person named
  // `support-bot` must not inherit the agent's rights.
  if (kind === 'person') return 'propose-only';
  return Object.hasOwn(policy.agents, id) ? policy.agents[id]!.rights : policy.unknownAgentRights;
}

export function evaluatePolicy(bundle: PolicyBundle, proposer: Proposer, inputFacts: Facts): PolicyDecision {
  const { policy } = bundle;
  const agent = typeof proposer === 'string' ? proposer : proposer.id;
  const agentRights = rightsOf(policy, proposer);
  const facts: Facts = { ...inputFacts, agentRights };
  const decide = (outcome: PolicyDecision['outcome'], ruleId: string, why: string, approval?: ApprovalRequirement): PolicyDecision => ({
    action: policy.action,
    outcome,
    ruleId,
    reason: `${why}: ${describeOutcome(outcome, approval)} (${ruleId === 'default-deny' ? 'no rule matched' : `rule ${ruleId}`})`,
    approval,
    agent,
    agentRights,
    facts,
    policyRef: bundle.ref,
    policyHash: bundle.hash,
  });

  // Facts the policy declares must all be there, with their declared types: a missing fact
  // would make a restricting rule (say, low confidence) silently not match.
  const types: Record<string, FactType> = { ...policy.facts, agentRights: 'string' };
  const malformed = Object.entries(types).find(([name, type]) => !hasType(facts[name], type));
  if (malformed) {
    return decide('deny', 'default-deny', `${policy.action} lacks a valid fact "${malformed[0]}" (${malformed[1]})`);
  }

  for (const invariant of policy.invariants) {
    if (!conditionHolds(invariant.require, facts, types)) {
      return decide('deny', invariant.id, renderReason(invariant.reason, facts));
    }
  }
  const rule = policy.rules.find((r) => conditionHolds(r.when, facts, types));
  if (!rule) return decide('deny', 'default-deny', `${policy.action} matches no rule of ${bundle.ref}`);

  const why = renderReason(rule.reason, facts);
  if (rule.outcome.type === 'approve') return decide('approve', rule.id, why, rule.outcome);
  if (rule.outcome.type === 'deny') return decide('deny', rule.id, why);
  if (agentRights === 'propose-only') {
    // A propose-only agent never executes: what would run on its own goes to a person.
    const who = typeof proposer !== 'string' && proposer.kind === 'person' ? `${agent} is a person and` : `agent ${agent}`;
    return decide('approve', rule.id, `${why}, but ${who} may only propose`, policy.proposeOnlyReview);
  }
  return decide('auto', rule.id, why);
}

export function describeOutcome(outcome: PolicyDecision['outcome'], approval?: ApprovalRequirement): string {
  if (outcome === 'auto') return 'runs without approval';
  if (outcome === 'deny' || !approval) return 'denied';
  const roles = approval.roles.join(' or ');
  return approval.approvals === 1
    ? `needs 1 ${roles} approval`
    : `needs ${approval.approvals} distinct ${roles} approvals`;
}

/** Fills `{fact}` placeholders; an unknown fact stays visible as `{name}` rather than vanishing. */
export function renderReason(template: string, facts: Facts): string {
  return template.replace(/\{([A-Za-z0-9_.]+)\}/g, (whole, name: string) => {
    const value = facts[name];
    if (value === undefined) return whole;
    return Array.isArray(value) ? value.join(',') : String(value);
  });
}

/** Every constraint must hold. A constraint on a missing fact does not hold: absence never widens a rule. */
export function conditionHolds(condition: Condition, facts: Facts, types: Record<string, FactType>): boolean {
  return Object.entries(condition).every(([fact, constraint]) => {
    const type = types[fact];
    const value = facts[fact];
    if (type === undefined || value === undefined) return false;
    return constraintHolds(constraint, type, value, facts);
  });
}

function hasType(value: FactValue | undefined, type: FactType): boolean {
  switch (type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'string-list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/** Which fact type a constraint is written for, by its keys. */
export function constraintKind(constraint: Constraint): FactType {
  if ('is' in constraint) return 'boolean';
  if ('includesAny' in constraint || 'includesNone' in constraint) return 'string-list';
  if ('in' in constraint || 'notIn' in constraint || 'equalsFact' in constraint) return 'string';
  return 'number';
}

function constraintHolds(constraint: Constraint, type: FactType, value: FactValue, facts: Facts): boolean {
  // A constraint written for another type never holds (`policy check` reports it as an error).
  if (constraintKind(constraint) !== type) return false;
  switch (type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      const c = constraint as Partial<Record<'gt' | 'gte' | 'lt' | 'lte' | 'eq', NumberOperand>>;
      const bound = (operand: NumberOperand | undefined): number | undefined | null => {
        if (operand === undefined) return undefined;
        if (typeof operand === 'number') return operand;
        const referenced = facts[operand.fact];
        if (typeof referenced !== 'number') return null;
        if (operand.minus === undefined) return referenced;
        const subtracted = facts[operand.minus];
        // In cents, as money is: 40 - 12.1 must be 27.9, not 27.900000000000002.
        return typeof subtracted === 'number' ? (toCents(referenced) - toCents(subtracted)) / 100 : null;
      };
      const checks: [NumberOperand | undefined, (limit: number) => boolean][] = [
        [c.gt, (l) => value > l],
        [c.gte, (l) => value >= l],
        [c.lt, (l) => value < l],
        [c.lte, (l) => value <= l],
        [c.eq, (l) => value === l],
      ];
      return checks.every(([operand, test]) => {
        const limit = bound(operand);
        if (limit === undefined) return true;
        // A limit that refers to a missing fact cannot be met.
        return limit !== null && test(limit);
      });
    }
    case 'string': {
      if (typeof value !== 'string') return false;
      const c = constraint as { in?: string[]; notIn?: string[]; equalsFact?: string };
      if (c.in) return c.in.includes(value);
      if (c.notIn) return !c.notIn.includes(value);
      if (c.equalsFact) return facts[c.equalsFact] === value;
      return false;
    }
    case 'string-list': {
      if (!Array.isArray(value)) return false;
      const c = constraint as { includesAny?: string[]; includesNone?: string[] };
      if (c.includesAny) return c.includesAny.some((v) => value.includes(v));
      if (c.includesNone) return !c.includesNone.some((v) => value.includes(v));
      return false;
    }
    case 'boolean': {
      const c = constraint as { is?: boolean };
      return typeof value === 'boolean' && value === c.is;
    }
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Policy durations ("24h") in milliseconds, for workflow timers. */
export function durationMs(duration: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`not a policy duration: "${duration}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
