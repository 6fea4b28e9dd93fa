// scripts/temporal-server.sh finds temporal-server and temporal-sql-tool: the variables first, then
// PATH and .tools/bin but only at the version compose runs, and when none is there and Go cannot
// build them, it says how to get them. Each test runs a copy of the script in a folder of its own.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

let root: string;
let script: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'arbiter-temporal-server-'));
  mkdirSync(join(root, 'scripts'));
  script = join(root, 'scripts', 'temporal-server.sh');
  copyFileSync(resolve(__dirname, '..', 'scripts', 'temporal-server.sh'), script);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Runs the copy with a PATH of `dirs` and the system's basics only: no Go to build with. */
function runScript(dirs: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync('bash', [script], { env: { PATH: [...dirs, '/usr/bin', '/bin'].join(':'), ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A stand-in binary that reports `version` the way the real ones do. */
function fakeTool(dir: string, name: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} version ${version}"\n`);
  chmodSync(file, 0o755);
  return file;
}

test('prints TEMPORAL_SERVER and TEMPORAL_SQL_TOOL when they point to executable files', () => {
  const server = fakeTool(join(root, 'a'), 'my-server', '0.0.1');
  const sqlTool = fakeTool(join(root, 'a'), 'my-sql-tool', '0.0.1');
  const result = runScript([], { TEMPORAL_SERVER: server, TEMPORAL_SQL_TOOL: sqlTool });
  expect(result).toEqual({ status: 0, stdout: `${server}\n${sqlTool}\n`, stderr: '' });
});

test('takes the binaries in .tools/bin when they are the version compose runs', () => {
  const bin = join(root, '.tools', 'bin');
  const server = fakeTool(bin, 'temporal-server', '1.29.1');
  const sqlTool = fakeTool(bin, 'temporal-sql-tool', '1.29.1');
  expect(runScript([])).toEqual({ status: 0, stdout: `${server}\n${sqlTool}\n`, stderr: '' });
});

test('passes over binaries of another version on PATH, and without Go says how to get the right ones', () => {
  const path = join(root, 'elsewhere');
  fakeTool(path, 'temporal-server', '1.28.0');
  fakeTool(path, 'temporal-sql-tool', '1.28.0');
  const result = runScript([path]);
  expect(result.status).not.toBe(0);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('go install go.temporal.io/server/cmd/server@v1.29.1');
});
