// `arbiter policy check` and `arbiter policy explain`: what a policy author runs before a policy
// ships, and to see which rule decides a given case and why.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { checkPolicy } from '../policies/check';
import { describeOutcome, evaluatePolicy, type PolicyDecision } from '../policies/evaluate';
import {
  DEFAULT_POLICY_DIR,
  formatIssue,
  pinBundle,
  PolicyValidationError,
  readPolicyFiles,
  type LoadedFiles,
  type PolicyIssue,
} from '../policies/load';
import { parseOptions, UsageError, UserError, type Command, type Io } from './command';
import { readFactsFile } from './facts';

/** Files beside the process policies that every process shares; they are not policies themselves. */
const SHARED_FILES = new Set(['roles.yaml', 'models.yaml', 'trust.yaml']);
const DEFAULT_AGENT = 'support-bot';

const subcommands: Record<string, Command> = {
  check: {
    usage: [{ syntax: 'policy check [file...] [--dir <dir>]', summary: 'check process policies (default: all in the policy dir)' }],
    run: runCheck,
  },
  explain: {
    usage: [
      {
        syntax: 'policy explain <file> --facts <facts.json> [--agent <name>] [--json]',
        summary: `the decision for these facts (agent default: ${DEFAULT_AGENT})`,
      },
    ],
    run: runExplain,
  },
};

export const policyCommand: Command = {
  usage: Object.values(subcommands).flatMap((sub) => sub.usage),
  run(args, io) {
    const [name, ...rest] = args;
    const sub = name !== undefined && Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
    if (!sub) throw new UsageError(name === undefined ? 'policy needs a subcommand' : `unknown policy command "${name}"`);
    return sub.run(rest, io);
  },
};

/** The policy file and the shared files beside it, validated; the process is named by the file. */
function loadPolicy(file: string): LoadedFiles {
  return readPolicyFiles(path.dirname(file), path.basename(file, path.extname(file)), file);
}

function runCheck(args: string[], io: Io): number {
  const { values, positionals } = parseOptions(args, { dir: { type: 'string' } });
  const files = positionals.length ? positionals.map((file) => path.resolve(file)) : processPolicyFiles(policyDir(values.dir));
  const issues = files.flatMap((file): PolicyIssue[] => {
    try {
      return checkPolicy(loadPolicy(file), path.basename(file));
    } catch (err) {
      if (err instanceof PolicyValidationError) return err.issues;
      throw err;
    }
  });
  // A broken roles.yaml is reported once, not once per policy that reads it.
  const lines = [...new Set(issues.map((issue) => `${issue.severity} ${formatIssue(issue)}`))];
  lines.forEach((line) => io.out(line));
  const errors = lines.filter((line) => line.startsWith('error ')).length;
  const warnings = lines.length - errors;
  io.out(`${counted(files.length, 'policy', 'policies')} checked: ${counted(errors, 'error')}, ${counted(warnings, 'warning')}`);
  return errors ? 1 : 0;
}

function policyDir(option: string | undefined): string {
  return path.resolve(option ?? process.env.ARBITER_POLICY_DIR ?? DEFAULT_POLICY_DIR);
}

function processPolicyFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new UserError(`${dir}: policy directory not found or unreadable`);
  }
  const policies = names.filter((name) => name.endsWith('.yaml') && !SHARED_FILES.has(name)).sort();
  if (!policies.length) throw new UserError(`${dir}: no process policies (*.yaml besides roles.yaml, models.yaml and trust.yaml)`);
  return policies.map((name) => path.join(dir, name));
}

function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

function runExplain(args: string[], io: Io): number {
  const { values, positionals } = parseOptions(args, {
    facts: { type: 'string' },
    agent: { type: 'string', default: DEFAULT_AGENT },
    json: { type: 'boolean', default: false },
  });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length) throw new UsageError('policy explain needs exactly one policy file');
  if (values.facts === undefined) throw new UsageError('policy explain needs --facts <facts.json>');

  let files: LoadedFiles;
  try {
    files = loadPolicy(path.resolve(file));
  } catch (err) {
    if (!(err instanceof PolicyValidationError)) throw err;
    err.issues.forEach((issue) => io.err(`${issue.severity} ${formatIssue(issue)}`));
    return 1;
  }
  const facts = readFactsFile(values.facts, files.policy.facts);
  const decision = evaluatePolicy(pinBundle(files), values.agent, facts);
  if (values.json) io.out(JSON.stringify(decision, null, 2));
  else describeDecision(decision).forEach((line) => io.out(line));
  return 0;
}

function describeDecision(decision: PolicyDecision): string[] {
  const lines = [
    `outcome:  ${decision.outcome}`,
    `rule:     ${decision.ruleId}`,
    `reason:   ${decision.reason}`,
    `agent:    ${decision.agent} (${decision.agentRights})`,
  ];
  const approval = decision.approval;
  if (approval) {
    const escalation = approval.escalateAfter ? `, escalates to ${approval.escalateTo ?? 'nobody'} after ${approval.escalateAfter}` : '';
    lines.push(`approval: ${describeOutcome('approve', approval)}${escalation}, expires after ${approval.expireAfter} (then ${approval.onExpiry})`);
  }
  lines.push(`policy:   ${decision.policyRef} sha256:${decision.policyHash}`);
  return lines;
}
