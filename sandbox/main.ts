// Entry point of `npm run sandbox`: starts the stand-in payments, CRM and notification systems
// on ARBITER_SANDBOX_HOST:ARBITER_SANDBOX_PORT, keeping state in ARBITER_SANDBOX_STATE.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createLogger } from '../runtime/logger';
import { createSandboxServer } from './server';

const DEFAULT_PORT = 8090;
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_STATE_PATH = '.data/sandbox.json';

function readPort(value: string | undefined): number {
  if (!value) return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`ARBITER_SANDBOX_PORT must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const logger = createLogger('arbiter-sandbox');
  const port = readPort(process.env.ARBITER_SANDBOX_PORT);
  // Loopback unless asked: the sandbox has no authentication.
  const host = process.env.ARBITER_SANDBOX_HOST || DEFAULT_HOST;
  const statePath = resolve(process.env.ARBITER_SANDBOX_STATE || DEFAULT_STATE_PATH);
  mkdirSync(dirname(statePath), { recursive: true });

  const sandbox = createSandboxServer({ statePath, logger });
  const boundPort = await sandbox.listen(port, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  logger.info({ url, statePath }, `sandbox: stand-in for the payments, CRM and notification systems, listening on ${url}`);

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'sandbox: shutting down');
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'sandbox: close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Startup failed (port taken, unreadable state file): say why and exit non-zero.
  console.error(error);
  process.exit(1);
});
