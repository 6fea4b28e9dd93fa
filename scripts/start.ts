// `npm start`: the whole platform on one machine until Ctrl-C, which stops what it started.
import { readTemporalSettings } from '../runtime/config';
import { codecEndpointUrl, Platform } from './platform';

async function main(): Promise<void> {
  const settings = readTemporalSettings();
  const platform = new Platform(settings, 'terminal');
  const say = (line: string) => console.log(`arbiter: ${line}`);
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(`${why}; stopping what this command started...`);
    await platform.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('Ctrl-C', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));

  try {
    await platform.bringUp(say);
  } catch (err) {
    console.error(`arbiter: ${err instanceof Error ? err.message : String(err)}`);
    await stop('start-up failed', 1);
    return;
  }
  say(`Temporal gRPC   ${settings.address} (namespace ${settings.namespace})`);
  say(`Temporal Web UI ${settings.webUiUrl}`);
  say(`  payloads are encrypted; the UI decodes them at ${codecEndpointUrl()} for operators (docs/payload-encryption.md)`);
  say(`Stand-in systems http://127.0.0.1:${process.env.ARBITER_SANDBOX_PORT || 8090}/state`);
  say(`Approvals page  http://127.0.0.1:${process.env.ARBITER_PORT || 8080}/  (token: npx arbiter token --sub carol --roles support-lead --tenant acme)`);
  say('up; Ctrl-C stops everything started here');
  const exited = await platform.firstExit();
  await stop(`${exited} exited on its own`, 1);
}

void main();
