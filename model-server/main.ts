// Entry point of the stand-in model server, for `npm start` and `npm run demo` without an API
// key: rule-based answers on 127.0.0.1:ARBITER_MODEL_PORT (default 8091) under /v1.
import { createLogger } from '../runtime/logger';
import { createModelServer } from './server';

const DEFAULT_PORT = 8091;
// Loopback unless asked (compose network): the fault and reset routes have no authentication.
const HOST = process.env.ARBITER_MODEL_HOST || '127.0.0.1';

function readPort(value: string | undefined): number {
  if (!value) return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`ARBITER_MODEL_PORT must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const logger = createLogger('arbiter-model-standin');
  const port = readPort(process.env.ARBITER_MODEL_PORT);
  const models = createModelServer({ logger });
  const boundPort = await models.listen(port, HOST);
  const baseUrl = `http://${HOST}:${boundPort}/v1`;
  logger.info({ baseUrl }, `stand-in model server (rule-based, not a language model) on ${baseUrl}`);

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stand-in model server: shutting down');
    models.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stand-in model server: close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Startup failed (port taken, bad port number): say why and exit non-zero.
  console.error(error);
  process.exit(1);
});
