// Locates the Temporal CLI binary through scripts/temporal-cli.sh, the one place that knows how.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');

export function findTemporalCli(): string {
  const script = path.join(REPO_ROOT, 'scripts', 'temporal-cli.sh');
  // stderr passes through, so a first-time build shows its progress and a failure says how to fix it.
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}
