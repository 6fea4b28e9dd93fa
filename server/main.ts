// Entry point of the approvers' endpoint (`npx tsx server/main.ts`): token settings and Temporal
// connection from the environment; refuses to start without token verification.
import { Client, Connection } from '@temporalio/client';
import { clientConnectionOptions, readTemporalSettings } from '../runtime/config';
import path from 'node:path';
import { auditSinkFromEnv } from '../activities/audit';
import { dataDir } from '../runtime/local-secret';
import { createLogger } from '../runtime/logger';
import { createApprovalServer } from './app';
import { authConfigFromEnv, createTokenVerifier, type TokenVerifier } from './auth';

async function main(): Promise<void> {
  const logger = createLogger('arbiter-approvals');
  const refuse = (why: string): never => {
    logger.fatal(`refusing to start: ${why}`);
    process.exit(1);
  };
  // Checked before anything connects or listens: an endpoint that cannot check tokens must not run.
  let verifyToken: TokenVerifier;
  try {
    verifyToken = createTokenVerifier(authConfigFromEnv());
  } catch (err) {
    return refuse((err as Error).message);
  }
  const port = Number(process.env.ARBITER_PORT || 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return refuse('ARBITER_PORT must be a port number');
  const host = process.env.ARBITER_HOST || '127.0.0.1';

  const settings = readTemporalSettings();
  const connection = await Connection.connect(clientConnectionOptions(settings));
  const temporal = new Client({ connection, namespace: settings.namespace });
  // The same trail the workers write: refused decisions sit beside the accepted ones.
  const audit = auditSinkFromEnv(process.env, { jsonlPath: path.join(dataDir(), 'audit.jsonl') });
  const approvals = createApprovalServer({ temporal, verifyToken, logger, audit });

  const bound = await approvals.listen(port, host);
  logger.info({ namespace: settings.namespace, temporal: settings.address }, `approvals endpoint on http://${host.includes(':') ? `[${host}]` : host}:${bound}/`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: closing`);
    await approvals.close();
    await audit.close();
    await connection.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`arbiter-approvals: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
