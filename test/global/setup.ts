// Jest's global set-up: what a test run needs from the machine, checked or made once, before any
// test file starts, so a fresh machine after `npm install` passes `npm test` or stops with what to run.
import { ensureBrowser } from './browser';
import { ensureTemporalCli } from './temporal-cli';
import { writeWorkflowBundle } from './workflow-bundle';

export default async function prepareTestRun(): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  ensureBrowser(say);
  ensureTemporalCli();
  await writeWorkflowBundle();
}
