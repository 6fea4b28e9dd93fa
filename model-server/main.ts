// Entry point of the stand-in model server, for `npm start` and `npm run demo` without an API
// key: rule-based answers on 127.0.0.1:ARBITER_MODEL_PORT (default 8091) under /v1.
import { hostFromEnv, httpUrl, portFromEnv, runHttpEntry } from '../runtime/http-entry';
import { createLogger } from '../runtime/logger';
import { createModelServer } from './server';

const DEFAULT_PORT = 8091;
const logger = createLogger('arbiter-model-standin');

runHttpEntry({
  name: 'stand-in model server',
  logger,
  async start() {
    const port = portFromEnv('ARBITER_MODEL_PORT', DEFAULT_PORT);
    // Loopback unless asked (compose network): the fault and reset routes have no authentication.
    const host = hostFromEnv('ARBITER_MODEL_HOST');
    const models = createModelServer({ logger });
    const baseUrl = `${httpUrl(host, await models.listen(port, host))}/v1`;
    logger.info({ baseUrl }, `stand-in model server (rule-based, not a language model) on ${baseUrl}`);
    return models;
  },
});
