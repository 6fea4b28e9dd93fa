// Locates Temporal's own server and SQL schema tool through scripts/temporal-server.sh, the one
// place that knows their version and how to build them.
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
