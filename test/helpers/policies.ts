// Copies of the shipped policies in a temp folder, changed as a test needs (short durations,
// AI switched off, a broken file), so tests exercise the real loading path.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_DIR } from '../../policies/load';

export type RawPolicy = Record<string, unknown> & {
  version: number | string;
  rules: { id: string; outcome: Record<string, unknown> }[];
  ai: Record<string, unknown>;
  proposeOnlyReview: Record<string, unknown>;
};

/** Every copy this process made, removed when it exits (a jest worker at the end of its files). */
const copies: string[] = [];
process.once('exit', () => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

function policyCopyDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'arbiter-policies-'));
  copies.push(dir);
  return dir;
}

export function copyPolicies(change: (refund: RawPolicy) => void = () => undefined): string {
  const dir = policyCopyDir();
  cpSync(DEFAULT_POLICY_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
  rewriteRefundPolicy(dir, change);
  return dir;
}

export function rewriteRefundPolicy(dir: string, change: (refund: RawPolicy) => void): void {
  rewritePolicy(dir, 'refund', change);
}

/** Rewrites one process's policy in a copy made by `copyPolicies`. */
export function rewritePolicy(dir: string, process: string, change: (policy: RawPolicy) => void): void {
  const file = path.join(dir, `${process}.yaml`);
  const policy = parse(readFileSync(file, 'utf8')) as RawPolicy;
  change(policy);
  writeFileSync(file, stringify(policy));
}

/** A copy of the shipped policies with AI switched off for refunds: a person supplies every proposal. */
export function refundAiOff(): string {
  return copyPolicies((p) => void (p.ai.enabled = false));
}

/** Sets every approval duration in the refund policy, so escalation and expiry happen within a test. */
export function shortenApprovals(policy: RawPolicy, escalateAfter: string, expireAfter: string): void {
  for (const outcome of [policy.proposeOnlyReview, ...policy.rules.map((r) => r.outcome)]) {
    if (outcome.type !== 'approve') continue;
    outcome.escalateAfter = escalateAfter;
    outcome.expireAfter = expireAfter;
  }
}

/**
 * A copy of a policy folder (the shipped one by default) whose agents propose in one model call:
 * no `agentTools` anywhere. For tests of the one-call path: its routing, failover and budgets.
 */
export function singleCallPolicies(from: string = DEFAULT_POLICY_DIR): string {
  const dir = policyCopyDir();
  cpSync(from, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
  for (const name of ['refund.yaml', 'price-change.yaml', 'credit-limit.yaml']) {
    const file = path.join(dir, name);
    const policy = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete policy.agentTools;
    writeFileSync(file, stringify(policy));
  }
  return dir;
}
