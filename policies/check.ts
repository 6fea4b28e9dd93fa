// Static checks of a process policy beyond its schema, for `arbiter policy check`: the facts and
// roles it names exist, approvals escalate before they expire, and every rule can match and is not
// hidden behind an earlier one. Pure: it reads nothing, so tests can hand in any policy.
import { boxContains, boxesIntersect, conditionBox, emptyFacts, isNumberConstraint, type ConditionBox } from './condition-box';
import { durationMs } from './evaluate';
import { canonicalJson } from '../common/canonical-json';
import type { LoadedFiles, PolicyIssue } from './load';
import type { ApprovalRequirement, Condition, Constraint, FactType, RolesFile } from './schema';

/** What a check found, before it is tagged with the file. */
type Finding = Omit<PolicyIssue, 'file'>;

/** The evaluator sets this fact from the agent's rights class, so rules may test it undeclared. */
const IMPLICIT_FACTS: Record<string, FactType> = { agentRights: 'string' };

/** The rule id a decision carries when no rule matched; a rule of that name would be ambiguous. */
const RESERVED_IDS = new Set(['default-deny']);

export function checkPolicy(files: LoadedFiles, fileName: string): PolicyIssue[] {
  const { policy, roles } = files;
  const factTypes: Record<string, FactType> = { ...policy.facts, ...IMPLICIT_FACTS };
  const findings: Finding[] = [];

  const declaredRights = policy.facts.agentRights;
  if (declaredRights !== undefined && declaredRights !== 'string') {
    findings.push(error('facts.agentRights', `is always a string (the agent's rights class), not ${declaredRights}`));
  }
  policy.invariants.forEach((invariant, i) => {
    findings.push(...conditionFindings(invariant.require, `invariants.${i}.require`, factTypes, invariant.id));
  });
  const rulesWithFactErrors = new Set<number>();
  policy.rules.forEach((rule, i) => {
    const found = conditionFindings(rule.when, `rules.${i}.when`, factTypes, rule.id);
    if (found.length) rulesWithFactErrors.add(i);
    findings.push(...found);
    if (rule.outcome.type === 'approve') findings.push(...approvalFindings(rule.outcome, `rules.${i}.outcome`, roles, rule.id));
  });
  findings.push(...approvalFindings(policy.proposeOnlyReview, 'proposeOnlyReview', roles));
  policy.proposers.roles.forEach((role, j) => {
    if (!Object.hasOwn(roles.roles, role)) findings.push(error(`proposers.roles.${j}`, `unknown role "${role}": not in roles.yaml`));
  });
  findings.push(...idFindings(policy));
  findings.push(...toolDataClassFindings(files));
  // A rule naming an unknown or mistyped fact has no meaningful box; its fact error comes first.
  findings.push(...ruleOrderFindings(policy.rules, rulesWithFactErrors));

  return findings.map((finding) => ({ file: fileName, ...finding }));
}

function error(field: string, message: string, ruleId?: string): Finding {
  return { field, message, severity: 'error', ...(ruleId ? { ruleId } : {}) };
}

function constraintKind(constraint: Constraint): FactType {
  if (isNumberConstraint(constraint)) return 'number';
  if ('is' in constraint) return 'boolean';
  if ('includesAny' in constraint || 'includesNone' in constraint) return 'string-list';
  return 'string';
}

/** Every fact a condition names, directly or as an operand, is declared with a fitting type. */
function conditionFindings(condition: Condition, at: string, factTypes: Record<string, FactType>, ruleId: string): Finding[] {
  const findings: Finding[] = [];
  const expectFact = (fact: string, type: FactType, field: string) => {
    const declared = Object.hasOwn(factTypes, fact) ? factTypes[fact] : undefined;
    if (declared === undefined) findings.push(error(field, `unknown fact "${fact}": declare it under facts`, ruleId));
    else if (declared !== type) findings.push(error(field, `"${fact}" is a ${declared} fact, but is used as a ${type}`, ruleId));
  };
  for (const [fact, constraint] of Object.entries(condition)) {
    expectFact(fact, constraintKind(constraint), `${at}.${fact}`);
    if (isNumberConstraint(constraint)) {
      for (const [key, operand] of Object.entries(constraint)) {
        if (operand !== undefined && typeof operand !== 'number') {
          expectFact(operand.fact, 'number', `${at}.${fact}.${key}.fact`);
          if (operand.minus !== undefined) expectFact(operand.minus, 'number', `${at}.${fact}.${key}.minus`);
        }
      }
    }
    if ('equalsFact' in constraint && constraint.equalsFact !== undefined) {
      expectFact(constraint.equalsFact, 'string', `${at}.${fact}.equalsFact`);
    }
  }
  return findings;
}

/** Approvers and escalation targets hold known roles, and escalation happens before expiry. */
function approvalFindings(approval: ApprovalRequirement, at: string, roles: RolesFile, ruleId?: string): Finding[] {
  const findings: Finding[] = [];
  const checkRole = (role: string, field: string) => {
    if (!Object.hasOwn(roles.roles, role)) findings.push(error(field, `unknown role "${role}": not in roles.yaml`, ruleId));
  };
  approval.roles.forEach((role, j) => checkRole(role, `${at}.roles.${j}`));
  if (approval.escalateTo !== undefined) checkRole(approval.escalateTo, `${at}.escalateTo`);
  if (approval.escalateAfter !== undefined) {
    if (approval.escalateTo === undefined) {
      findings.push(error(`${at}.escalateTo`, 'is required when escalateAfter is set: nobody would receive the escalation', ruleId));
    }
    if (durationMs(approval.escalateAfter) >= durationMs(approval.expireAfter)) {
      findings.push(
        error(`${at}.escalateAfter`, `${approval.escalateAfter} must be shorter than expireAfter ${approval.expireAfter}, or it never escalates`, ruleId),
      );
    }
  }
  return findings;
}

/** Decisions and audit lines name the deciding rule or invariant by id, so ids must be unique. */
function idFindings(policy: LoadedFiles['policy']): Finding[] {
  const findings: Finding[] = [];
  const firstUse = new Map<string, string>();
  const entries = [
    ...policy.invariants.map((invariant, i) => ({ id: invariant.id, field: `invariants.${i}.id` })),
    ...policy.rules.map((rule, i) => ({ id: rule.id, field: `rules.${i}.id` })),
  ];
  for (const { id, field } of entries) {
    const earlier = firstUse.get(id);
    if (earlier !== undefined) findings.push(error(field, `duplicate id "${id}": already used at ${earlier}`, id));
    else if (RESERVED_IDS.has(id)) findings.push(error(field, `"${id}" is reserved for decisions no rule matched`, id));
    else firstUse.set(id, field);
  }
  return findings;
}

/** A tool result is handed to the model that asked for it: some model must be allowed to see its data class. */
function toolDataClassFindings({ policy, models }: LoadedFiles): Finding[] {
  const seen = new Set(models.models.flatMap((model) => model.dataClasses));
  return (policy.agentTools?.tools ?? []).flatMap((tool, i) =>
    seen.has(tool.resultDataClass)
      ? []
      : [error(`agentTools.tools.${i}.resultDataClass`, `no model in models.yaml may see "${tool.resultDataClass}" data, so no model could read this tool's result`)],
  );
}

/** The first matching rule decides, so order matters: rules that never match, or only ever lose. */
function ruleOrderFindings(rules: LoadedFiles['policy']['rules'], skipped: Set<number>): Finding[] {
  const findings: Finding[] = [];
  const boxes: (ConditionBox | undefined)[] = rules.map((rule, i) => {
    if (skipped.has(i)) return undefined;
    const box = conditionBox(rule.when);
    const empty = emptyFacts(box);
    for (const fact of empty) {
      findings.push(error(`rules.${i}.when.${fact}`, `can never match: no value of ${fact} meets all of its constraints`, rule.id));
    }
    return empty.length ? undefined : box;
  });
  rules.forEach((rule, i) => {
    const box = boxes[i];
    if (!box) return;
    const earlier = rules.slice(0, i).flatMap((other, j) => {
      const otherBox = boxes[j];
      return otherBox ? [{ rule: other, box: otherBox }] : [];
    });
    const covering = earlier.find((other) => boxContains(other.box, box));
    if (covering) {
      findings.push(error(`rules.${i}.when`, `unreachable: every case it matches is matched first by rule ${covering.rule.id}`, rule.id));
      return;
    }
    const outcome = canonicalJson(rule.outcome);
    for (const other of earlier) {
      if (canonicalJson(other.rule.outcome) !== outcome && boxesIntersect(other.box, box)) {
        findings.push({
          field: `rules.${i}.when`,
          message: `overlaps rule ${other.rule.id}: where both match, ${other.rule.id} wins`,
          ruleId: rule.id,
          severity: 'warning',
        });
      }
    }
  });
  return findings;
}
