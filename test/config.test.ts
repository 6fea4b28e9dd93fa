// How Arbiter reads where Temporal is from an environment object: defaults, overrides, TLS and
// API keys, mTLS files turned into connection options, and Web UI links.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConnectionOptions, ConfigError, readTemporalSettings, webUiLink } from '../runtime/config';

describe('readTemporalSettings', () => {
  test('reaches the local dev server on localhost:7233 when nothing is set', () => {
    expect(readTemporalSettings({}).address).toBe('localhost:7233');
  });

  test('uses the default namespace when nothing is set', () => {
    expect(readTemporalSettings({}).namespace).toBe('default');
  });

  test('uses the arbiter task queue when nothing is set', () => {
    expect(readTemporalSettings({}).workflowTaskQueue).toBe('arbiter');
  });

  test('connects without TLS or an API key when nothing is set', () => {
    const settings = readTemporalSettings({});
    expect(settings.tls).toBeUndefined();
    expect(settings.apiKey).toBeUndefined();
  });

  test('takes address, namespace and task queue from the environment', () => {
    const settings = readTemporalSettings({
      TEMPORAL_ADDRESS: 'temporal.internal:7234',
      TEMPORAL_NAMESPACE: 'payments-prod',
      ARBITER_TASK_QUEUE: 'arbiter-blue',
    });
    expect(settings).toMatchObject({
      address: 'temporal.internal:7234',
      namespace: 'payments-prod',
      workflowTaskQueue: 'arbiter-blue',
    });
  });

  test('trims a trailing slash from TEMPORAL_UI_URL', () => {
    expect(readTemporalSettings({ TEMPORAL_UI_URL: 'https://ui.example.com/' }).webUiUrl).toBe('https://ui.example.com');
  });

  test('turns TLS on when TEMPORAL_API_KEY is set', () => {
    const settings = readTemporalSettings({ TEMPORAL_API_KEY: 'key-123' });
    expect(settings.apiKey).toBe('key-123');
    expect(settings.tls).toBeDefined();
  });

  test('refuses TEMPORAL_TLS_CERT without TEMPORAL_TLS_KEY with a ConfigError naming both variables', () => {
    const read = () => readTemporalSettings({ TEMPORAL_TLS_CERT: '/certs/client.pem' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/TEMPORAL_TLS_CERT/);
    expect(read).toThrow(/TEMPORAL_TLS_KEY/);
  });
});

describe('clientConnectionOptions', () => {
  let certDir: string;

  beforeEach(() => {
    certDir = mkdtempSync(join(tmpdir(), 'arbiter-config-'));
  });

  afterEach(() => {
    rmSync(certDir, { recursive: true, force: true });
  });

  test('reads the mTLS certificate and key files into tls.clientCertPair', () => {
    const certPath = join(certDir, 'client.pem');
    const keyPath = join(certDir, 'client.key');
    writeFileSync(certPath, 'CERTIFICATE BYTES');
    writeFileSync(keyPath, 'KEY BYTES');
    const options = clientConnectionOptions(
      readTemporalSettings({ TEMPORAL_TLS_CERT: certPath, TEMPORAL_TLS_KEY: keyPath }),
    );
    const tls = options.tls;
    if (typeof tls !== 'object' || tls === null) throw new Error(`expected a TLS config object, got ${String(tls)}`);
    expect(tls.clientCertPair?.crt.toString()).toBe('CERTIFICATE BYTES');
    expect(tls.clientCertPair?.key.toString()).toBe('KEY BYTES');
  });
});

describe('webUiLink', () => {
  test('encodes the workflow id so slashes and spaces stay inside one path segment', () => {
    const link = webUiLink({ webUiUrl: 'http://localhost:8233', namespace: 'default' }, 'refund/O-1 retry');
    expect(link).toBe('http://localhost:8233/namespaces/default/workflows/refund%2FO-1%20retry');
  });
});
