// The test run's global set-up decides, from the machine's facts, whether Chromium is ready, is
// installed, or stops the run with the command to run; and the run's workflow bundle reaches tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { browserStep, missingChromiumMessage } from './global/browser';
import { bundleWorkflows, WORKFLOW_BUNDLE_FILE_VARIABLE } from './helpers/temporal';

describe('browserStep', () => {
  it('goes on when Chromium is present, whoever runs the tests', () => {
    expect(browserStep({ chromiumPresent: true, root: false, aptAvailable: false })).toBe('ready');
  });

  it("installs Debian's Chromium when root runs the tests on a machine with apt", () => {
    expect(browserStep({ chromiumPresent: false, root: true, aptAvailable: true })).toBe('install');
  });

  it('stops when someone other than root runs the tests, rather than prompting for a password', () => {
    expect(browserStep({ chromiumPresent: false, root: false, aptAvailable: true })).toBe('stop');
  });

  it('stops when there is no apt to install with', () => {
    expect(browserStep({ chromiumPresent: false, root: true, aptAvailable: false })).toBe('stop');
  });
});

it('names the one command to run when it stops', () => {
  expect(missingChromiumMessage()).toContain('sudo apt-get install -y chromium');
});

describe('bundleWorkflows', () => {
  let dir: string;
  const before = process.env[WORKFLOW_BUNDLE_FILE_VARIABLE];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'arbiter-bundle-file-'));
  });

  afterEach(() => {
    if (before === undefined) delete process.env[WORKFLOW_BUNDLE_FILE_VARIABLE];
    else process.env[WORKFLOW_BUNDLE_FILE_VARIABLE] = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the bundle the run built, instead of bundling again', async () => {
    const file = path.join(dir, 'workflows.js');
    writeFileSync(file, "// this run's bundle");
    process.env[WORKFLOW_BUNDLE_FILE_VARIABLE] = file;
    await expect(bundleWorkflows()).resolves.toEqual({ code: "// this run's bundle" });
  });
});
