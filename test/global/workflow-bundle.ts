// Arbiter's workflow bundle, built once per test run before the jest workers start and shared
// through a file: every test file bundled the same code again, and webpack run inside a jest
// worker has failed there (`getModuleNotFoundError(...) is not a constructor`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflows, WORKFLOW_BUNDLE_FILE_VARIABLE } from '../helpers/temporal';

export async function writeWorkflowBundle(): Promise<string> {
  // A file named by an earlier run, or by the caller's environment, is not this code's bundle.
  delete process.env[WORKFLOW_BUNDLE_FILE_VARIABLE];
  const { code } = await bundleWorkflows();
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-test-bundle-')), 'workflows.js');
  writeFileSync(file, code);
  // The workers jest starts after the global set-up inherit this environment.
  process.env[WORKFLOW_BUNDLE_FILE_VARIABLE] = file;
  return file;
}

export function removeWorkflowBundle(): void {
  const file = process.env[WORKFLOW_BUNDLE_FILE_VARIABLE];
  if (!file) return;
  rmSync(path.dirname(file), { recursive: true, force: true });
  delete process.env[WORKFLOW_BUNDLE_FILE_VARIABLE];
}
