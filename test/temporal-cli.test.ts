// scripts/temporal-cli.sh finds the Temporal CLI: $TEMPORAL_CLI first, then PATH, then .tools/bin,
// and when none is there and Go cannot build it, it says how to install it.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve(__dirname, '..', 'scripts', 'temporal-cli.sh');

let tempDir: string;

beforeEach(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'arbiter-temporal-cli-'));
});

afterEach(() => {
  rmSync(tempDir, { recursive: true, force: true });
});

function runScript(env: NodeJS.ProcessEnv, script = SCRIPT): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', [script], { env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The current environment without TEMPORAL_CLI, so the PATH and .tools/bin steps are reached. */
function envWithoutTemporalCli(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  delete env.TEMPORAL_CLI;
  return env;
}

function fakeExecutable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return file;
}

/** Absolute path of a command on the test's own PATH. */
function which(command: string): string {
  const found = spawnSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
  if (!found.startsWith('/')) throw new Error(`${command} is not on PATH`);
  return found;
}

test('prints TEMPORAL_CLI when it points to an executable file, and nothing on stderr', () => {
  const cli = fakeExecutable(tempDir, 'my-temporal');
  const result = runScript({ ...process.env, TEMPORAL_CLI: cli });
  expect(result).toEqual({ status: 0, stdout: `${cli}\n`, stderr: '' });
});

test('fails naming TEMPORAL_CLI when it points to a file that does not exist', () => {
  const result = runScript({ ...process.env, TEMPORAL_CLI: '/does/not/exist' });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('TEMPORAL_CLI');
  expect(result.stdout).toBe('');
});

test('prints the temporal binary found on PATH', () => {
  const binDir = join(tempDir, 'bin');
  const cli = fakeExecutable(binDir, 'temporal');
  const result = runScript(envWithoutTemporalCli({ PATH: `${binDir}:${process.env.PATH ?? ''}` }));
  expect(result).toEqual({ status: 0, stdout: `${cli}\n`, stderr: '' });
});

test('prints the same single path and nothing on stderr when run a second time', () => {
  const first = runScript(process.env);
  const second = runScript(process.env);
  expect(first.status).toBe(0);
  expect(second.status).toBe(0);
  expect(second.stdout).toMatch(/^\/[^\n]+\n$/);
  expect(second.stdout).toBe(first.stdout);
  expect(second.stderr).toBe('');
});

test('exits 1 explaining the three ways to install when there is no CLI and no Go', () => {
  // A repo copy without .tools/bin, and a PATH holding only what the script itself runs.
  const repo = join(tempDir, 'repo');
  mkdirSync(join(repo, 'scripts'), { recursive: true });
  const script = join(repo, 'scripts', 'temporal-cli.sh');
  copyFileSync(SCRIPT, script);
  const binDir = join(tempDir, 'bin');
  mkdirSync(binDir);
  for (const command of ['bash', 'dirname', 'cat']) symlinkSync(which(command), join(binDir, command));

  const result = runScript({ PATH: binDir, HOME: tempDir }, script);

  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('set TEMPORAL_CLI');
  expect(result.stderr).toContain('put `temporal` on your PATH');
  expect(result.stderr).toContain('install Go 1.25 or newer');
});
