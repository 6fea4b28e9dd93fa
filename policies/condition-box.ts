// The set of fact values a rule's `when` can match, modelled per fact as a "box", so the policy
// check can prove a rule empty, covered by an earlier rule, or overlapping one. Conservative:
// whatever it cannot decide (a bound set by another fact, list constraints) never proves anything.
import type { z } from 'zod';
import type { Condition, Constraint, numberConstraintSchema } from './schema';

type NumberConstraint = z.infer<typeof numberConstraintSchema>;

interface Bound {
  value: number;
  /** An open end excludes the value itself (gt, lt); a closed end includes it (gte, lte, eq). */
  open: boolean;
}

type FactBox =
  | { kind: 'number'; low?: Bound; high?: Bound; dependsOnFacts: boolean }
  | { kind: 'string'; values: Set<string>; complement: boolean }
  | { kind: 'boolean'; value: boolean }
  /** Constraints the box cannot model (lists, equalsFact): only equal ones compare. */
  | { kind: 'opaque'; key: string; dependsOnFacts: boolean };

/** Facts a rule does not constrain are absent from its box: any value, or none, matches. */
export type ConditionBox = Map<string, FactBox>;

export function conditionBox(condition: Condition): ConditionBox {
  return new Map(Object.entries(condition).map(([fact, constraint]) => [fact, factBox(constraint)]));
}

function factBox(constraint: Constraint): FactBox {
  if ('in' in constraint && constraint.in) return { kind: 'string', values: new Set(constraint.in), complement: false };
  if ('notIn' in constraint && constraint.notIn) return { kind: 'string', values: new Set(constraint.notIn), complement: true };
  if ('is' in constraint) return { kind: 'boolean', value: constraint.is };
  if (!isNumberConstraint(constraint)) {
    return { kind: 'opaque', key: stableKey(constraint), dependsOnFacts: 'equalsFact' in constraint };
  }
  const box: FactBox = { kind: 'number', dependsOnFacts: false };
  const tighten = (operand: unknown, apply: (value: number) => void) => {
    if (typeof operand === 'number') apply(operand);
    else if (operand !== undefined) box.dependsOnFacts = true;
  };
  tighten(constraint.gt, (value) => (box.low = tighterLow(box.low, { value, open: true })));
  tighten(constraint.gte, (value) => (box.low = tighterLow(box.low, { value, open: false })));
  tighten(constraint.eq, (value) => {
    box.low = tighterLow(box.low, { value, open: false });
    box.high = tighterHigh(box.high, { value, open: false });
  });
  tighten(constraint.lt, (value) => (box.high = tighterHigh(box.high, { value, open: true })));
  tighten(constraint.lte, (value) => (box.high = tighterHigh(box.high, { value, open: false })));
  return box;
}

export function isNumberConstraint(c: Constraint): c is NumberConstraint {
  return ['gt', 'gte', 'lt', 'lte', 'eq'].some((key) => key in c);
}

function tighterLow(current: Bound | undefined, next: Bound): Bound {
  if (!current || next.value > current.value) return next;
  return next.value === current.value ? { value: next.value, open: current.open || next.open } : current;
}

function tighterHigh(current: Bound | undefined, next: Bound): Bound {
  if (!current || next.value < current.value) return next;
  return next.value === current.value ? { value: next.value, open: current.open || next.open } : current;
}

function stableKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** The facts whose constraint no value can meet (gt 10 with lt 5): the rule never matches. */
export function emptyFacts(box: ConditionBox): string[] {
  return [...box].filter(([, fact]) => fact.kind === 'number' && intervalEmpty(fact.low, fact.high)).map(([name]) => name);
}

function intervalEmpty(low: Bound | undefined, high: Bound | undefined): boolean {
  if (!low || !high) return false;
  return low.value > high.value || (low.value === high.value && (low.open || high.open));
}

/** True only when every case `inner` matches is proven to be matched by `outer`. */
export function boxContains(outer: ConditionBox, inner: ConditionBox): boolean {
  return [...outer].every(([name, outerFact]) => {
    const innerFact = inner.get(name);
    return innerFact !== undefined && factContains(outerFact, innerFact);
  });
}

function factContains(outer: FactBox, inner: FactBox): boolean {
  if (outer.kind === 'number' && inner.kind === 'number') {
    if (outer.dependsOnFacts || inner.dependsOnFacts) return false;
    return lowCovers(outer.low, inner.low) && highCovers(outer.high, inner.high);
  }
  if (outer.kind === 'string' && inner.kind === 'string') {
    if (!outer.complement) return !inner.complement && subset(inner.values, outer.values);
    return inner.complement ? subset(outer.values, inner.values) : disjoint(inner.values, outer.values);
  }
  if (outer.kind === 'boolean' && inner.kind === 'boolean') return outer.value === inner.value;
  if (outer.kind === 'opaque' && inner.kind === 'opaque') return !outer.dependsOnFacts && outer.key === inner.key;
  return false;
}

function lowCovers(outer: Bound | undefined, inner: Bound | undefined): boolean {
  if (!outer) return true;
  if (!inner) return false;
  return outer.value < inner.value || (outer.value === inner.value && (!outer.open || inner.open));
}

function highCovers(outer: Bound | undefined, inner: Bound | undefined): boolean {
  if (!outer) return true;
  if (!inner) return false;
  return outer.value > inner.value || (outer.value === inner.value && (!outer.open || inner.open));
}

/** False only when no case can match both; unknown parts are assumed to overlap. */
export function boxesIntersect(a: ConditionBox, b: ConditionBox): boolean {
  return [...a].every(([name, aFact]) => {
    const bFact = b.get(name);
    return bFact === undefined || factsIntersect(aFact, bFact);
  });
}

function factsIntersect(a: FactBox, b: FactBox): boolean {
  if (a.kind === 'number' && b.kind === 'number') {
    // Bounds set by other facts only narrow the interval further, so disjoint known parts prove it.
    return !intervalEmpty(tighterLowOf(a.low, b.low), tighterHighOf(a.high, b.high));
  }
  if (a.kind === 'string' && b.kind === 'string') {
    if (a.complement && b.complement) return true;
    if (a.complement) return [...b.values].some((v) => !a.values.has(v));
    if (b.complement) return [...a.values].some((v) => !b.values.has(v));
    return !disjoint(a.values, b.values);
  }
  if (a.kind === 'boolean' && b.kind === 'boolean') return a.value === b.value;
  return true;
}

function tighterLowOf(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  return a && b ? tighterLow(a, b) : (a ?? b);
}

function tighterHighOf(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  return a && b ? tighterHigh(a, b) : (a ?? b);
}

function subset(small: Set<string>, large: Set<string>): boolean {
  return [...small].every((v) => large.has(v));
}

function disjoint(a: Set<string>, b: Set<string>): boolean {
  return [...a].every((v) => !b.has(v));
}
