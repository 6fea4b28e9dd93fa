// One OpenAI client per model provider of models.yaml, built on first use. Which providers may
// serve is decided here, from the LLM worker's environment (the only process holding the keys):
// a provider that may not serve is reported with its reason, never called.
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

export type ProviderAvailability =
  | { available: true; baseURL: string | null; apiKey: string }
  | { available: false; why: 'not-listed' | 'base-url-unset' | 'key-unset' | 'stand-in-set-aside'; reason: string };

/** The provider whose unset base URL means the official API rather than "not configured". */
const OFFICIAL_OPENAI_PROVIDER = 'openai';
const CLIENT_TIMEOUT_MARGIN_MS = 1_000;
const ENV_PREFIX = 'env:';

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
  const availability = providerAvailability(provider, providers, env);
  if (!availability.available) return { notConfigured: availability.reason };
  const { baseURL, apiKey } = availability;
  return { client: new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: requestTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS }) };
}

/**
 * Whether a provider may serve calls in this environment. A provider serves when its key variable
 * is set (or it names none) and its base URL resolves. A stand-in (`standIn: true`) is no model:
 * once any real provider's key is set it is set aside, so a key alone brings real models, unless
 * its base URL was given explicitly through its variable (ARBITER_MODEL_URL for the shipped one).
 */
export function providerAvailability(provider: string, providers: ModelsFile['providers'], env: NodeJS.ProcessEnv): ProviderAvailability {
  const config = Object.hasOwn(providers, provider) ? providers[provider] : undefined;
  if (!config) return { available: false, why: 'not-listed', reason: `provider not configured (${provider} is not in models.yaml)` };
  const base = resolveBaseUrl(provider, config, env);
  if (config.standIn && !base.fromVariable) {
    const keys = realProviderKeysSet(providers, env);
    if (keys.length) {
      const explicitly = base.variables.length ? `; set ${base.variables.join(' or ')} to use it anyway` : '';
      return { available: false, why: 'stand-in-set-aside', reason: `stand-in set aside: ${keys.join(', ')} set${explicitly}` };
    }
  }
  // A provider that names a key variable needs it: calling without would send the prompt only to be refused.
  const apiKey = config.apiKeyEnv ? env[config.apiKeyEnv] : 'not-needed';
  if (!apiKey) return { available: false, why: 'key-unset', reason: `provider not configured (${config.apiKeyEnv} unset)` };
  if (base.url === undefined) return { available: false, why: 'base-url-unset', reason: `provider not configured (${base.variables.join(', ')} unset)` };
  return { available: true, baseURL: base.url, apiKey };
}

/** The key variables of real (not stand-in) providers that are set: any one of them sets the stand-in aside. */
export function realProviderKeysSet(providers: ModelsFile['providers'], env: NodeJS.ProcessEnv): string[] {
  const keys = Object.values(providers).flatMap((config) => (!config.standIn && config.apiKeyEnv && env[config.apiKeyEnv] ? [config.apiKeyEnv] : []));
  return [...new Set(keys)].sort();
}

/** Every provider and whether it serves ("serves", or why not), for logs: variable names only, never a value. */
export function describeProviders(providers: ModelsFile['providers'], env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.keys(providers)
      .sort()
      .map((provider) => {
        const availability = providerAvailability(provider, providers, env);
        return [provider, availability.available ? 'serves' : availability.reason];
      }),
  );
}

/**
 * The base URL to call: null for the client's default (the official API), undefined when unset.
 * `fromVariable` says it was read from an environment variable, i.e. set explicitly.
 */
export function resolveBaseUrl(
  provider: string,
  config: ProviderConfig,
  env: NodeJS.ProcessEnv,
): { url: string | null | undefined; fromVariable: boolean; variables: string[] } {
  const entries = Array.isArray(config.baseUrl) ? config.baseUrl : [config.baseUrl];
  const variables = entries.filter((entry) => entry.startsWith(ENV_PREFIX)).map((entry) => entry.slice(ENV_PREFIX.length));
  for (const entry of entries) {
    if (!entry.startsWith(ENV_PREFIX)) return { url: entry, fromVariable: false, variables };
    const fromEnv = env[entry.slice(ENV_PREFIX.length)];
    if (fromEnv) return { url: fromEnv, fromVariable: true, variables };
  }
  // null, not undefined: undefined would make the client read OPENAI_BASE_URL from process.env itself.
  return { url: provider === OFFICIAL_OPENAI_PROVIDER ? null : undefined, fromVariable: false, variables };
}
