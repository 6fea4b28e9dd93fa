// `npm run cluster`: what docker-compose.yml runs, natively, until Ctrl-C, which stops the
// endpoints, then the workers, then the Temporal server (docs/cluster.md).
import { readTemporalSettings } from '../runtime/config';
import { bringUpCluster, clusterOptionsFromEnv } from './cluster/launch';
import { Platform } from './platform';

async function main(): Promise<void> {
  // An address, not `localhost`, which may resolve to ::1 while the server listens on 127.0.0.1.
  process.env.TEMPORAL_ADDRESS ||= '127.0.0.1:7233';
  const workersArg = process.argv.indexOf('--workers');
  if (workersArg > 0) process.env.ARBITER_CLUSTER_WORKERS = process.argv[workersArg + 1];
  const settings = readTemporalSettings();
  const options = clusterOptionsFromEnv();
  const platform = new Platform(settings, 'terminal');
  const say = (line: string) => console.log(`cluster: ${line}`);
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(`${why}; stopping the endpoints, the workers, then the Temporal server...`);
    await platform.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('Ctrl-C', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));

  const started = Date.now();
  try {
    await bringUpCluster(platform, settings, options, say);
  } catch (err) {
    console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
    await stop('start-up failed', 1);
    return;
  }
  say(`Temporal gRPC    ${settings.address} (namespace ${settings.namespace}; PostgreSQL ${options.store.temporalDb}, ${options.store.visibilityDb})`);
  if (options.ui) say(`Temporal Web UI  http://127.0.0.1:${options.ui.port}`);
  say(`Workers          ${options.workers} processes, audit trail and model budgets in database ${options.arbiterDb}`);
  say(`Approvals pages  ${options.endpointPorts.map((port) => `http://127.0.0.1:${port}/`).join('  ')}`);
  say(`Stand-in systems http://127.0.0.1:${process.env.ARBITER_SANDBOX_PORT || 8090}/state`);
  say(`up in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C stops everything started here`);
  const exited = await platform.firstExit();
  await stop(`${exited} exited on its own`, 1);
}

void main();
