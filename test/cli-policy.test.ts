// `arbiter policy ...` as a user runs it: the real bin script in a child process, exit codes and
// output. One in-process test drives `runCli` directly with captured output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../cli/main';

const REPO = path.join(__dirname, '..');
const SHADOWED_FIXTURE = path.join(__dirname, 'fixtures', 'policies', 'shadowed-rule');

function arbiter(args: string[], overrides: NodeJS.ProcessEnv = {}) {
  // A policy directory set in the developer's shell must not change what these tests check.
  const env = { ...process.env };
  delete env.ARBITER_POLICY_DIR;
  const result = spawnSync('node', ['bin/arbiter.js', ...args], { cwd: REPO, encoding: 'utf8', env: { ...env, ...overrides } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'arbiter-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function factsFile(name: string, facts: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(facts));
  return file;
}

const midRefund = {
  amount: 740,
  currency: 'EUR',
  orderAmount: 900,
  orderCurrency: 'EUR',
  alreadyRefunded: 0,
  customerTier: 'gold',
  region: 'eu',
  confidence: 0.9,
  riskFlags: [],
};

describe('arbiter policy check', () => {
  test('passes the shipped policies with exit 0', () => {
    const { code, stdout } = arbiter(['policy', 'check']);
    expect(stdout).toMatch(/checked: 0 errors/);
    expect(code).toBe(0);
  });

  test('fails a shadowed rule with exit 1, naming file, field and rule', () => {
    const { code, stdout } = arbiter(['policy', 'check', '--dir', SHADOWED_FIXTURE]);
    expect(stdout).toContain('error refund.yaml: rules.1.when (rule refund-tiny): unreachable');
    expect(code).toBe(1);
  });

  test('fails a schema error with exit 1, naming file, field and rule', () => {
    const { code, stdout } = arbiter(['policy', 'check', path.join(__dirname, 'fixtures', 'policies', 'schema-error', 'refund.yaml')]);
    expect(stdout).toContain('error refund.yaml: rules.1.outcome.approvals (rule refund-mid):');
    expect(code).toBe(1);
  });

  test('reads the policy directory from ARBITER_POLICY_DIR', () => {
    const { code, stdout } = arbiter(['policy', 'check'], { ARBITER_POLICY_DIR: SHADOWED_FIXTURE });
    expect(stdout).toContain('(rule refund-tiny)');
    expect(code).toBe(1);
  });
});

describe('arbiter policy explain', () => {
  test('prints the deciding rule and its reason', () => {
    const { code, stdout } = arbiter(['policy', 'explain', 'policies/refund.yaml', '--facts', factsFile('mid.json', midRefund)]);
    expect(stdout).toContain('refund 740 EUR > 50 auto limit for bounded agents: needs 1 support-lead approval (rule refund-mid)');
    expect(stdout).toMatch(/refund@2 sha256:[0-9a-f]{64}/);
    expect(code).toBe(0);
  });

  test('prints the decision as JSON with --json', () => {
    const { stdout } = arbiter(['policy', 'explain', 'policies/refund.yaml', '--facts', factsFile('json.json', midRefund), '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'approve', ruleId: 'refund-mid', agent: 'support-bot', policyRef: 'refund@2' });
  });

  test('refuses a facts file with a non-fact value, naming the key, with exit 1 and no stack trace', () => {
    const { code, stderr } = arbiter(['policy', 'explain', 'policies/refund.yaml', '--facts', factsFile('bad.json', { ...midRefund, riskFlags: [1] })]);
    expect(stderr).toContain('fact "riskFlags" must be a number, string, boolean or list of strings');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(1);
  });
});

describe('arbiter', () => {
  test('rejects an unknown command with the usage on stderr and exit 2', () => {
    const { code, stderr } = arbiter(['frobnicate']);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toContain('arbiter policy check');
    expect(code).toBe(2);
  });

  test('rejects an unknown policy subcommand with exit 2', async () => {
    const err: string[] = [];
    const code = await runCli(['policy', 'lint'], { out: () => undefined, err: (line) => err.push(line) });
    expect(err.join('\n')).toContain('unknown policy command "lint"');
    expect(code).toBe(2);
  });
});
