// Entry point of the approvers' endpoint (`npx tsx server/main.ts`): token settings and Temporal
// connection from the environment; refuses to start without token verification or a key to sign
// decisions with.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { auditSinkFromEnv } from '../activities/audit';
import { clientConnectionOptions, readTemporalSettings } from '../runtime/config';
import { encryptingDataConverter, payloadKeysFromEnv } from '../runtime/data-converter';
import type { PayloadKeyRing } from '../runtime/payload-keys';
import { hostFromEnv, httpUrl, portFromEnv, runHttpEntry } from '../runtime/http-entry';
import { decisionKeyFromEnv, type DecisionSigningKey } from '../runtime/decision-key';
import { dataDir } from '../runtime/local-secret';
import { createLogger } from '../runtime/logger';
import { startTracing, tracingClientInterceptors } from '../runtime/tracing';
import { DEFAULT_POLICY_DIR, policyAgentIdsIn } from '../policies/load';
import { createApprovalServer } from './app';
import { createTokenVerifier, type TokenVerifier } from './auth';
import { endpointAuthFromEnv, type EndpointAuth } from './auth-config';
import { codecSettingsFromEnv, type CodecSettings } from './codec-settings';
import { metricsAddressFromEnv } from '../runtime/metrics';
import { createEndpointMetrics, createMetricsServer, endpointMetricsTokenFromEnv, splitAddress, type MetricsServer } from './metrics';

const DEFAULT_PORT = 8080;
const logger = createLogger('arbiter-approvals');

function refuse(why: string): never {
  logger.fatal(`refusing to start: ${why}`);
  process.exit(1);
}

runHttpEntry({
  name: 'approvals endpoint',
  logger,
  async start() {
    // Checked before anything connects or listens: an endpoint that cannot check tokens must not run.
    let auth: EndpointAuth;
    let verifyToken: TokenVerifier;
    let port: number;
    let agentIds: Set<string>;
    let payloadKeys: PayloadKeyRing;
    let codec: CodecSettings;
    let decisionKey: DecisionSigningKey;
    let metricsAddress: string | undefined;
    let metricsToken: string | undefined;
    try {
      auth = endpointAuthFromEnv();
      verifyToken = createTokenVerifier(auth.tokens);
      port = portFromEnv('ARBITER_PORT', DEFAULT_PORT);
      agentIds = policyAgentIdsIn(process.env.ARBITER_POLICY_DIR || DEFAULT_POLICY_DIR);
      // Cards come back from queries encrypted; the same keys serve the Web UI's codec routes.
      payloadKeys = payloadKeysFromEnv();
      codec = codecSettingsFromEnv();
      // Runs take a person's decision only with this key's signature: no key, no endpoint.
      decisionKey = decisionKeyFromEnv();
      // Its own listener: the figures name tenants, so they are not served on the approvers' port.
      metricsAddress = metricsAddressFromEnv('ARBITER_ENDPOINT_METRICS_ADDRESS');
      // Off loopback, only to the token: the figures name tenants and their backlogs.
      metricsToken = metricsAddress ? endpointMetricsTokenFromEnv(metricsAddress) : undefined;
    } catch (err) {
      return refuse((err as Error).message);
    }
    for (const notice of auth.notices) logger.warn(notice);
    const host = hostFromEnv('ARBITER_HOST');

    const tracing = startTracing('arbiter-approvals');
    const settings = readTemporalSettings();
    const connection = await Connection.connect(clientConnectionOptions(settings));
    const interceptors = tracingClientInterceptors();
    const temporal = new Client({ connection, namespace: settings.namespace, dataConverter: encryptingDataConverter(payloadKeys), interceptors });
    // The same trail the workers write: refused decisions sit beside the accepted ones.
    const audit = auditSinkFromEnv(process.env, { jsonlPath: path.join(dataDir(), 'audit.jsonl') });
    const metrics = createEndpointMetrics(temporal, logger);
    const approvals = createApprovalServer({ temporal, verifyToken, logger, audit, agentIds, decisionKey, signIn: auth.signIn, codec: { ...codec, keyRing: payloadKeys }, metrics });

    const bound = await approvals.listen(port, host);
    logger.info({ namespace: settings.namespace, temporal: settings.address, decisionKeyId: decisionKey.keyId }, `approvals endpoint on ${httpUrl(host, bound)}/`);
    let metricsServer: MetricsServer | undefined;
    if (metricsAddress) {
      if (!metricsToken) logger.warn('ARBITER_ENDPOINT_METRICS_TOKEN is not set: any local process that reaches the metrics address reads tenants\' backlogs');
      metricsServer = createMetricsServer(metrics, { token: metricsToken, logger });
      const { host: metricsHost, port: metricsPort } = splitAddress(metricsAddress);
      const metricsBound = await metricsServer.listen(metricsPort, metricsHost);
      logger.info(`endpoint metrics on ${httpUrl(metricsHost, metricsBound)}/metrics`);
    }
    return {
      close: async () => {
        await metricsServer?.close();
        await approvals.close();
        await audit.close();
        await connection.close();
        await tracing.shutdown();
      },
    };
  },
});
