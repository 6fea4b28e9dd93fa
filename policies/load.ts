// Reads policy files from disk, validates them against the schema and pins them with a content
// hash. Used by the policy-loading activity and the `arbiter policy` commands, never by workflows.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { contentHash } from '../common/content-hash';
import { policyAgentIds } from './approvals';
import {
  modelsFileSchema,
  processPolicySchema,
  rolesFileSchema,
  trustFileSchema,
  type ModelsFile,
  type PolicyBundle,
  type ProcessPolicy,
  type RolesFile,
  type TrustFile,
} from './schema';

export const DEFAULT_POLICY_DIR = path.resolve(__dirname);

export interface PolicyIssue {
  file: string;
  /** Dotted path of the field, e.g. `rules.2.outcome.roles`. */
  field: string;
  message: string;
  ruleId?: string;
  severity: 'error' | 'warning';
}

export class PolicyValidationError extends Error {
  override name = 'PolicyValidationError';
  constructor(readonly issues: PolicyIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(issue: PolicyIssue): string {
  const rule = issue.ruleId ? ` (rule ${issue.ruleId})` : '';
  return `${issue.file}: ${issue.field}${rule}: ${issue.message}`;
}

/** Parses YAML or JSON (JSON is YAML) and validates it; issues name the file and field. */
export function readPolicyFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const display = path.basename(file);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message.split('\n')[0];
    throw new PolicyValidationError([{ file: display, field: '(file)', message: reason ?? 'unreadable', severity: 'error' }]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PolicyValidationError(
      parsed.error.issues.map((issue) => ({
        file: display,
        field: issue.path.length ? issue.path.join('.') : '(root)',
        message: issue.message,
        ruleId: ruleIdAt(raw, issue.path),
        severity: 'error' as const,
      })),
    );
  }
  return parsed.data;
}

/** The rule id at a path like `rules.2.outcome`, so an error says which rule it is about. */
function ruleIdAt(raw: unknown, issuePath: PropertyKey[]): string | undefined {
  if (issuePath[0] !== 'rules' && issuePath[0] !== 'invariants') return undefined;
  const list = (raw as Record<string, unknown> | null)?.[issuePath[0]];
  const entry = Array.isArray(list) ? list[Number(issuePath[1])] : undefined;
  const id = (entry as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

export function policyFilePath(dir: string, process: string): string {
  return path.join(dir, `${process}.yaml`);
}

export interface LoadedFiles {
  policy: ProcessPolicy;
  roles: RolesFile;
  models: ModelsFile;
  trust: TrustFile;
}

/** What a policy folder without trust.yaml trusts: no key, no unsigned decision; every human decision is refused. */
export const TRUST_NOBODY: TrustFile = { decisionKeys: [], unsignedOperatorDecisions: false };

/** The files a process's pinned policy is read from: its own, and the shared ones beside it. */
export function policyFilesOf(
  dir: string,
  process: string,
  policyFile = policyFilePath(dir, process),
): { policy: string; roles: string; models: string; trust: string } {
  return { policy: policyFile, roles: path.join(dir, 'roles.yaml'), models: path.join(dir, 'models.yaml'), trust: path.join(dir, 'trust.yaml') };
}

/** Reads a process policy and the shared files beside it (roles.yaml, models.yaml, trust.yaml). */
export function readPolicyFiles(dir: string, process: string, policyFile = policyFilePath(dir, process)): LoadedFiles {
  const files = policyFilesOf(dir, process, policyFile);
  const issues: PolicyIssue[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (err instanceof PolicyValidationError) issues.push(...err.issues);
      else throw err;
      return undefined;
    }
  };
  const policy = attempt(() => readPolicyFile(files.policy, processPolicySchema));
  const roles = attempt(() => readPolicyFile(files.roles, rolesFileSchema));
  const models = attempt(() => readPolicyFile(files.models, modelsFileSchema));
  // Optional so a folder of process policies alone still loads; without it, it fails closed.
  const trust = existsSync(files.trust) ? attempt(() => readPolicyFile(files.trust, trustFileSchema)) : TRUST_NOBODY;
  if (issues.length || !policy || !roles || !models || !trust) throw new PolicyValidationError(issues);
  if (policy.process !== process) {
    throw new PolicyValidationError([
      { file: path.basename(policyFile), field: 'process', message: `is "${policy.process}", expected "${process}"`, severity: 'error' },
    ]);
  }
  return { policy, roles, models, trust };
}

/** Pins what was read: the hash covers the parsed content, so formatting and comments do not change it. */
export function pinBundle(files: LoadedFiles): PolicyBundle {
  const hash = contentHash(files);
  return { ...files, hash, ref: `${files.policy.process}@${files.policy.version}` };
}

/** The files in a policy folder that are not a process's own policy. */
const SHARED_POLICY_FILES = new Set(['roles.yaml', 'models.yaml', 'trust.yaml']);

/**
 * Every agent id any process policy in `dir` names. The approvers' endpoint refuses people under
 * these ids, so nobody can act as an agent, or be mistaken for one, in any process.
 */
export function policyAgentIdsIn(dir: string): Set<string> {
  const ids = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && !SHARED_POLICY_FILES.has(f)).sort()) {
    const policy = readPolicyFile(path.join(dir, file), processPolicySchema);
    for (const id of policyAgentIds(policy)) ids.add(id);
  }
  return ids;
}
