// Entry point of `npm run standins`: starts the stand-in payments, CRM, notification, catalog, sales-channel and ERP systems,
// and their MCP server at /mcp,
// on ARBITER_SANDBOX_HOST:ARBITER_SANDBOX_PORT, keeping state in ARBITER_SANDBOX_STATE.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostFromEnv, httpUrl, portFromEnv, runHttpEntry } from '../runtime/http-entry';
import { createLogger } from '../runtime/logger';
import { createStandInServer } from './server';

const DEFAULT_PORT = 8090;
const DEFAULT_STATE_PATH = '.data/sandbox.json';
const logger = createLogger('arbiter-standins');

runHttpEntry({
  name: 'standins',
  logger,
  async start() {
    const port = portFromEnv('ARBITER_SANDBOX_PORT', DEFAULT_PORT);
    // Loopback unless asked: the stand-ins have no authentication.
    const host = hostFromEnv('ARBITER_SANDBOX_HOST');
    const statePath = resolve(process.env.ARBITER_SANDBOX_STATE || DEFAULT_STATE_PATH);
    mkdirSync(dirname(statePath), { recursive: true });

    const standIns = createStandInServer({ statePath, logger });
    const url = httpUrl(host, await standIns.listen(port, host));
    logger.info({ url, statePath }, `stand-in systems (payments, CRM, notifications, catalog, sales channels, ERP; MCP at ${url}/mcp) listening on ${url}`);
    return standIns;
  },
});
