// The browser tests need Chromium at CHROMIUM_PATH. A run finds it, installs Debian's package where
// it may (root with apt, as on CI and in containers), or stops before any test with the command to run.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CHROMIUM_PATH } from '../helpers/browser';

export const INSTALL_CHROMIUM_COMMAND = 'sudo apt-get install -y chromium';
/** Debian's own apt, by its path: a root run installs nothing from whatever PATH finds first. */
const APT_GET = '/usr/bin/apt-get';

export interface BrowserFacts {
  chromiumPresent: boolean;
  root: boolean;
  aptAvailable: boolean;
}

export type BrowserStep = 'ready' | 'install' | 'stop';

export function browserStep(facts: BrowserFacts): BrowserStep {
  if (facts.chromiumPresent) return 'ready';
  // Only root can install unasked; anyone else is told the command rather than prompted for a password mid-run.
  return facts.root && facts.aptAvailable ? 'install' : 'stop';
}

export function ensureBrowser(say: (line: string) => void): void {
  const step = browserStep(currentBrowserFacts());
  if (step === 'ready') return;
  if (step === 'stop') throw new Error(missingChromiumMessage());
  say(`Chromium is not at ${CHROMIUM_PATH}: installing Debian's package for the browser tests (apt-get, once)...`);
  installChromium();
  if (!isExecutable(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium, yet ${CHROMIUM_PATH} is still missing.\n${missingChromiumMessage()}`);
}

export function missingChromiumMessage(): string {
  return `The browser tests need Chromium at ${CHROMIUM_PATH}. Install it, then run the tests again:\n  ${INSTALL_CHROMIUM_COMMAND}`;
}

function currentBrowserFacts(): BrowserFacts {
  return {
    chromiumPresent: isExecutable(CHROMIUM_PATH),
    root: process.getuid?.() === 0,
    aptAvailable: isExecutable(APT_GET),
  };
}

function installChromium(): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Only apt's errors reach the terminal. The lists are updated first: a fresh machine may have none.
  const quiet: ExecFileSyncOptions = { env, stdio: ['ignore', 'ignore', 'inherit'] };
  try {
    execFileSync(APT_GET, ['update', '-qq'], quiet);
    execFileSync(APT_GET, ['install', '-y', '-qq', 'chromium'], quiet);
  } catch (error) {
    throw new Error(`Installing chromium with apt-get failed.\n${missingChromiumMessage()}`, { cause: error });
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
