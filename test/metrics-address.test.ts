// The metrics addresses the worker and the endpoint read: an IP and a port, as the Temporal
// runtime's exporter binds them, or a refusal that names the variable (no process serves nowhere).
import { metricsAddressFromEnv, workerTelemetry } from '../runtime/metrics';
import { endpointMetricsTokenFromEnv, splitAddress } from '../server/metrics';

const read = (value: string | undefined) => metricsAddressFromEnv('ARBITER_WORKER_METRICS_ADDRESS', { ARBITER_WORKER_METRICS_ADDRESS: value });

describe('metrics addresses', () => {
  it('take an IPv4 or a bracketed IPv6 address with a port, and leave metrics off when unset', () => {
    expect(read('0.0.0.0:9464')).toBe('0.0.0.0:9464');
    expect(read('[::1]:9465')).toBe('[::1]:9465');
    expect(read(undefined)).toBeUndefined();
    expect(read('  ')).toBeUndefined();
    expect(workerTelemetry(undefined)).toBeUndefined();
    expect(workerTelemetry('127.0.0.1:9464')).toEqual({ metrics: { prometheus: { bindAddress: '127.0.0.1:9464', countersTotalSuffix: true, useSecondsForDurations: true } } });
  });

  it('refuse a host name, a missing port or a port out of range, naming the variable', () => {
    for (const bad of ['localhost:9464', '9464', '127.0.0.1', '127.0.0.1:99999', 'http://127.0.0.1:9464']) {
      expect(() => read(bad)).toThrow(/ARBITER_WORKER_METRICS_ADDRESS must be ip:port/);
    }
  });

  it('split an address into what listen takes', () => {
    expect(splitAddress('0.0.0.0:9465')).toEqual({ host: '0.0.0.0', port: 9465 });
    expect(splitAddress('[::1]:9465')).toEqual({ host: '::1', port: 9465 });
  });

  it("refuse the endpoint's metrics off loopback without a token, naming the variable", () => {
    for (const address of ['0.0.0.0:9465', '10.0.0.7:9465', '[::]:9465']) {
      expect(() => endpointMetricsTokenFromEnv(address, {})).toThrow(/ARBITER_ENDPOINT_METRICS_TOKEN must be set/);
      expect(() => endpointMetricsTokenFromEnv(address, { ARBITER_ENDPOINT_METRICS_TOKEN: ' ' })).toThrow(/ARBITER_ENDPOINT_METRICS_TOKEN must be set/);
      expect(endpointMetricsTokenFromEnv(address, { ARBITER_ENDPOINT_METRICS_TOKEN: 'scrape-token' })).toBe('scrape-token');
    }
    for (const address of ['127.0.0.1:9465', '[::1]:9465']) expect(endpointMetricsTokenFromEnv(address, {})).toBeUndefined();
  });
});
