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
 * is set (or it names none) and its base URL resolves. A stand-in is no model: at a base URL set
 * explicitly (ARBITER_MODEL_URL for the shipped one) it serves beside real providers, but at its
 * default address it serves only while no real provider's key is set, so a key alone brings
 * real models.
 */
export function providerAvailability(provider: string, providers: ModelsFile['providers'], env: NodeJS.ProcessEnv): ProviderAvailability {
  const config = Object.hasOwn(providers, provider) ? providers[provider] : undefined;
  if (!config) return { available: false, why: 'not-listed', reason: `provider not configured (${provider} is not in models.yaml)` };
  // A provider that names a key variable needs it: calling without would send the prompt only to be refused.
  const apiKey = config.apiKeyEnv ? env[config.apiKeyEnv] : 'not-needed';
  if (!apiKey) return { available: false, why: 'key-unset', reason: `provider not configured (${config.apiKeyEnv} unset)` };
  const baseURL = resolveBaseUrl(provider, config, env);
  if (baseURL !== undefined) return { available: true, baseURL, apiKey };
  if (config.standIn) {
    const keys = realProviderKeysSet(providers, env);
    if (keys.length) {
      const explicitly = variablesOf(config.baseUrl);
      const hint = explicitly.length ? `; set ${explicitly.join(' or ')} to use it anyway` : '';
      return { available: false, why: 'stand-in-set-aside', reason: `stand-in set aside: ${keys.join(', ')} set${hint}` };
    }
    const defaultURL = config.standIn.defaultBaseUrl === undefined ? undefined : firstSet(config.standIn.defaultBaseUrl, env);
    if (defaultURL !== undefined) return { available: true, baseURL: defaultURL, apiKey };
  }
  const unset = [...variablesOf(config.baseUrl), ...variablesOf(config.standIn?.defaultBaseUrl ?? [])];
  return { available: false, why: 'base-url-unset', reason: `provider not configured (${unset.join(', ')} unset)` };
}

/** The key variables real (not stand-in) providers read. */
export function realProviderKeyVariables(providers: ModelsFile['providers']): string[] {
  const keys = Object.values(providers).flatMap((config) => (!config.standIn && config.apiKeyEnv ? [config.apiKeyEnv] : []));
  return [...new Set(keys)].sort();
}

/** Those of them that are set: any one sets the stand-in aside. */
export function realProviderKeysSet(providers: ModelsFile['providers'], env: NodeJS.ProcessEnv): string[] {
  return realProviderKeyVariables(providers).filter((key) => env[key]);
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

/** The base URL to call: null for the client's default (the official API), undefined when unset. */
export function resolveBaseUrl(provider: string, config: ProviderConfig, env: NodeJS.ProcessEnv): string | null | undefined {
  const url = firstSet(config.baseUrl, env);
  if (url !== undefined) return url;
  // null, not undefined: undefined would make the client read OPENAI_BASE_URL from process.env itself.
  return provider === OFFICIAL_OPENAI_PROVIDER ? null : undefined;
}

/** The first entry that is a URL or names a variable that is set; `env:NAME` reads NAME. */
function firstSet(entries: string | string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const entry of Array.isArray(entries) ? entries : [entries]) {
    const url = entry.startsWith(ENV_PREFIX) ? env[entry.slice(ENV_PREFIX.length)] : entry;
    if (url) return url;
  }
  return undefined;
}

function variablesOf(entries: string | string[]): string[] {
  return (Array.isArray(entries) ? entries : [entries]).filter((entry) => entry.startsWith(ENV_PREFIX)).map((entry) => entry.slice(ENV_PREFIX.length));
}
