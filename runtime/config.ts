// Where Temporal is and how to reach it, read once from the environment, so the same worker
// and client run against the local dev server, a self-hosted cluster or Temporal Cloud.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { WORKFLOW_TASK_QUEUE_DEFAULT } from '../common/constants';

export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  workflowTaskQueue: string;
  webUiUrl: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const certPath = env.TEMPORAL_TLS_CERT;
  const keyPath = env.TEMPORAL_TLS_KEY;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mutual TLS needs both)');
  }
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const wantsTls = Boolean(certPath || env.TEMPORAL_TLS_CA || apiKey || env.TEMPORAL_TLS === 'true');
  return {
    address: env.TEMPORAL_ADDRESS || 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    apiKey,
    tls: wantsTls
      ? {
          certPath,
          keyPath,
          caPath: env.TEMPORAL_TLS_CA || undefined,
          serverName: env.TEMPORAL_TLS_SERVER_NAME || undefined,
        }
      : undefined,
    workflowTaskQueue: env.ARBITER_TASK_QUEUE || WORKFLOW_TASK_QUEUE_DEFAULT,
    webUiUrl: (env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/$/, ''),
  };
}

function tlsOptions(settings: TemporalSettings) {
  if (!settings.tls) return undefined;
  const { certPath, keyPath, caPath, serverName } = settings.tls;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: caPath ? readFileSync(caPath) : undefined,
    clientCertPair: certPath && keyPath ? { crt: readFileSync(certPath), key: readFileSync(keyPath) } : undefined,
  };
}

export function clientConnectionOptions(settings: TemporalSettings): ConnectionOptions {
  return { address: settings.address, tls: tlsOptions(settings), apiKey: settings.apiKey };
}

export function workerConnectionOptions(settings: TemporalSettings): NativeConnectionOptions {
  return { address: settings.address, tls: tlsOptions(settings), apiKey: settings.apiKey };
}

/** The Web UI page of one workflow run, for tables and logs operators click through. */
export function webUiLink(settings: Pick<TemporalSettings, 'webUiUrl' | 'namespace'>, workflowId: string): string {
  return `${settings.webUiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
