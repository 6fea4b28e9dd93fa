// One OpenAI client per model provider of models.yaml, built on first use. A provider whose
// base URL or API key is not in the environment is reported as not configured, never called.
import OpenAI from 'openai';
import type { ModelsFile } from '../../policies/schema';

export type ProviderConfig = ModelsFile['providers'][string];

export type ProviderClient = { client: OpenAI } | { notConfigured: string };

export interface ProviderClientOptions {
  providers: ModelsFile['providers'];
  env: NodeJS.ProcessEnv;
  /**
   * Per HTTP request. The caller aborts at this time with its own signal; the client's timeout,
   * a second later, is only a backstop. Retries are the caller's (maxRetries 0), so each shows in its trace.
   */
  requestTimeoutMs: number;
}

/** The provider whose unset base URL means the official API rather than "not configured". */
const OFFICIAL_OPENAI_PROVIDER = 'openai';
const CLIENT_TIMEOUT_MARGIN_MS = 1_000;

export function createProviderClients(options: ProviderClientOptions): (provider: string) => ProviderClient {
  const clients = new Map<string, ProviderClient>();
  return (provider) => {
    let found = clients.get(provider);
    if (!found) {
      found = buildClient(provider, options);
      clients.set(provider, found);
    }
    return found;
  };
}

function buildClient(provider: string, { providers, env, requestTimeoutMs }: ProviderClientOptions): ProviderClient {
  const config = Object.hasOwn(providers, provider) ? providers[provider] : undefined;
  if (!config) return { notConfigured: `provider not configured (${provider} is not in models.yaml)` };
  const baseURL = resolveBaseUrl(provider, config, env);
  if (baseURL === undefined) return { notConfigured: `provider not configured (${config.baseUrl.slice('env:'.length)} unset)` };
  // A provider that names a key variable needs it: calling without would send the prompt only to be refused.
  const apiKey = config.apiKeyEnv ? env[config.apiKeyEnv] : 'not-needed';
  if (!apiKey) return { notConfigured: `provider not configured (${config.apiKeyEnv} unset)` };
  return { client: new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: requestTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS }) };
}

/** The base URL to call; null for the client's default (the official API); undefined when unset. */
export function resolveBaseUrl(provider: string, config: ProviderConfig, env: NodeJS.ProcessEnv): string | null | undefined {
  if (!config.baseUrl.startsWith('env:')) return config.baseUrl;
  const fromEnv = env[config.baseUrl.slice('env:'.length)];
  if (fromEnv) return fromEnv;
  // null, not undefined: undefined would make the client read OPENAI_BASE_URL from process.env itself.
  return provider === OFFICIAL_OPENAI_PROVIDER ? null : undefined;
}
