// Locates Temporal's own server and SQL schema tool through scripts/temporal-server.sh, and its Web
// UI server through scripts/temporal-ui.sh: the places that know their versions and how to build them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './temporal-cli';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

export function findTemporalServer(): TemporalServerBinaries {
  const script = path.join(REPO_ROOT, 'scripts', 'temporal-server.sh');
  // stderr passes through, so a first-time build shows its progress and a failure says how to fix it.
  const output = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [server, sqlTool] = output.trim().split('\n');
  if (!server || !sqlTool) throw new Error(`scripts/temporal-server.sh printed no two paths: ${output}`);
  return { server, sqlTool };
}

export interface TemporalUiServer {
  server: string;
  /** The folder of its config: the temporalio/ui image's template, as `--config` takes it. */
  configDir: string;
}

/** Temporal's Web UI server and its config, through scripts/temporal-ui.sh. */
export function findTemporalUi(): TemporalUiServer {
  const script = path.join(REPO_ROOT, 'scripts', 'temporal-ui.sh');
  const output = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [server, configDir] = output.trim().split('\n');
  if (!server || !configDir) throw new Error(`scripts/temporal-ui.sh printed no two paths: ${output}`);
  return { server, configDir };
}
