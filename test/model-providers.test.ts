// Which model providers serve, from the environment alone: the rule that a real provider serves
// with its key and a resolvable base URL, and that the stand-in at its default address steps
// aside once any real key is set, unless ARBITER_MODEL_URL names it explicitly. Pure: no server.
import path from 'node:path';
import { describeProviders, providerAvailability, realProviderKeysSet } from '../activities/llm/providers';
import { readPolicyFile } from '../policies/load';
import { modelsFileSchema, type ModelsFile } from '../policies/schema';

const { providers: shipped } = readPolicyFile(path.join(__dirname, '..', 'policies', 'models.yaml'), modelsFileSchema);
const STANDIN_URL = 'http://127.0.0.1:8091/v1';
const CHOSEN_STANDIN_URL = 'http://127.0.0.1:9091/v1';
const GATEWAY_URL = 'https://gateway.example/v1';
const EU_URL = 'https://eu.gateway.example/v1';

const availability = (provider: string, env: NodeJS.ProcessEnv, providers: ModelsFile['providers'] = shipped) =>
  providerAvailability(provider, providers, env);

describe('the stand-in', () => {
  test('serves when ARBITER_MODEL_URL is set and no key is', () => {
    expect(availability('standin', { ARBITER_MODEL_URL: STANDIN_URL })).toEqual({ available: true, baseURL: STANDIN_URL, apiKey: 'not-needed' });
  });

  test('serves at its default address (ARBITER_STANDIN_URL, set by npm start) while no key is set', () => {
    expect(availability('standin', { ARBITER_STANDIN_URL: STANDIN_URL })).toMatchObject({ available: true, baseURL: STANDIN_URL });
  });

  test('is set aside at its default address once a real provider key is set', () => {
    expect(availability('standin', { OPENAI_API_KEY: 'sk-test', ARBITER_STANDIN_URL: STANDIN_URL })).toEqual({
      available: false,
      why: 'stand-in-set-aside',
      reason: 'stand-in set aside: OPENAI_API_KEY set; set ARBITER_MODEL_URL to use it anyway',
    });
  });

  test('is set aside when a real provider key is set and it has no address at all', () => {
    expect(availability('standin', { OPENAI_API_KEY: 'sk-test' })).toMatchObject({ available: false, why: 'stand-in-set-aside' });
  });

  test('is not configured when it has no address and no key is set, so npm start starts it', () => {
    expect(availability('standin', {})).toMatchObject({
      available: false,
      why: 'base-url-unset',
      reason: 'provider not configured (ARBITER_MODEL_URL, ARBITER_STANDIN_URL unset)',
    });
  });

  test('serves beside a real provider when ARBITER_MODEL_URL is set explicitly', () => {
    expect(availability('standin', { OPENAI_API_KEY: 'sk-test', ARBITER_MODEL_URL: STANDIN_URL })).toMatchObject({ available: true, baseURL: STANDIN_URL });
  });

  test('serves at ARBITER_MODEL_URL rather than its default address', () => {
    expect(availability('standin', { ARBITER_MODEL_URL: CHOSEN_STANDIN_URL, ARBITER_STANDIN_URL: STANDIN_URL })).toMatchObject({ baseURL: CHOSEN_STANDIN_URL });
  });

  test('is not set aside by an empty key variable', () => {
    expect(availability('standin', { OPENAI_API_KEY: '', ARBITER_STANDIN_URL: STANDIN_URL })).toMatchObject({ available: true });
    expect(realProviderKeysSet(shipped, { OPENAI_API_KEY: '' })).toEqual([]);
  });

  test("is set aside by any real provider's key, not only OpenAI's", () => {
    const providers: ModelsFile['providers'] = { ...shipped, other: { baseUrl: GATEWAY_URL, apiKeyEnv: 'OTHER_API_KEY' } };
    expect(availability('standin', { OTHER_API_KEY: 'k', ARBITER_STANDIN_URL: STANDIN_URL }, providers)).toMatchObject({ why: 'stand-in-set-aside', reason: expect.stringContaining('OTHER_API_KEY set') });
  });

  test('a provider without the standIn mark is never set aside, whatever keys are set', () => {
    const providers: ModelsFile['providers'] = { local: { baseUrl: STANDIN_URL }, openai: shipped.openai! };
    expect(availability('local', { OPENAI_API_KEY: 'sk-test' }, providers)).toMatchObject({ available: true });
  });
});

describe('a real provider', () => {
  test('serves with its key, at the official API when OPENAI_BASE_URL is unset', () => {
    expect(availability('openai', { OPENAI_API_KEY: 'sk-test' })).toEqual({ available: true, baseURL: null, apiKey: 'sk-test' });
  });

  test('serves at OPENAI_BASE_URL when it is set', () => {
    expect(availability('openai', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: GATEWAY_URL })).toMatchObject({ available: true, baseURL: GATEWAY_URL });
  });

  test('does not serve without its key, even with a base URL', () => {
    expect(availability('openai', { OPENAI_BASE_URL: GATEWAY_URL })).toMatchObject({ available: false, why: 'key-unset', reason: 'provider not configured (OPENAI_API_KEY unset)' });
  });

  test('is not configured when models.yaml does not list it', () => {
    expect(availability('elsewhere', { OPENAI_API_KEY: 'sk-test' })).toMatchObject({ available: false, why: 'not-listed' });
  });
});

describe('the EU provider', () => {
  test('never falls back to the default US API: with the key alone it does not serve', () => {
    expect(availability('openai-eu', { OPENAI_API_KEY: 'sk-test' })).toMatchObject({
      available: false,
      why: 'base-url-unset',
      reason: 'provider not configured (OPENAI_EU_BASE_URL, OPENAI_BASE_URL unset)',
    });
  });

  test('serves at OPENAI_BASE_URL when OPENAI_EU_BASE_URL is unset', () => {
    expect(availability('openai-eu', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: GATEWAY_URL })).toMatchObject({ available: true, baseURL: GATEWAY_URL });
  });

  test('serves at OPENAI_EU_BASE_URL before OPENAI_BASE_URL', () => {
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: GATEWAY_URL, OPENAI_EU_BASE_URL: EU_URL };
    expect(availability('openai-eu', env)).toMatchObject({ available: true, baseURL: EU_URL });
    expect(availability('openai', env)).toMatchObject({ available: true, baseURL: GATEWAY_URL });
  });
});

describe('the startup summary', () => {
  test('names who serves and why the others do not, without a key', () => {
    const summary = describeProviders(shipped, { OPENAI_API_KEY: 'sk-secret-value', OPENAI_BASE_URL: GATEWAY_URL, ARBITER_STANDIN_URL: STANDIN_URL });
    expect(summary).toEqual({
      openai: 'serves',
      'openai-eu': 'serves',
      standin: 'stand-in set aside: OPENAI_API_KEY set; set ARBITER_MODEL_URL to use it anyway',
    });
    expect(JSON.stringify(summary)).not.toContain('sk-secret-value');
  });

  test('without any key, only the stand-in serves', () => {
    expect(describeProviders(shipped, { ARBITER_STANDIN_URL: STANDIN_URL })).toEqual({
      openai: 'provider not configured (OPENAI_API_KEY unset)',
      'openai-eu': 'provider not configured (OPENAI_API_KEY unset)',
      standin: 'serves',
    });
  });
});
