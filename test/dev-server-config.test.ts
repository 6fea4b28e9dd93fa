// Every dev server Arbiter starts (npm start, the demo, the tests, the bench) runs with
// DEV_SERVER_DYNAMIC_CONFIG, and the compose stack's server with deploy/dynamicconfig/arbiter.yaml.
// These tests keep the two in step, and check that the values reach a real server's command line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEV_SERVER_DYNAMIC_CONFIG, dynamicConfigArgs, startDevArgs } from '../runtime/dev-server';

const ROOT = join(__dirname, '..');
type DynamicConfigFile = Record<string, { value: unknown; constraints?: Record<string, unknown> }[]>;

describe("the dev server's dynamic config", () => {
  it('is what the compose stack sets too, value for value, for every namespace and task queue', () => {
    const file = parseYaml(readFileSync(join(ROOT, 'deploy/dynamicconfig/arbiter.yaml'), 'utf8')) as DynamicConfigFile;
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
      expect({ key, entries: file[key] }).toEqual({ key, entries: [{ value, constraints: {} }] });
    }
  });

  it('lifts the transfer-queue poll rate above the server default of 20 reads a second', () => {
    expect(DEV_SERVER_DYNAMIC_CONFIG['history.transferProcessorMaxPollRPS']).toBeGreaterThan(20);
  });

  it('reaches the start-dev command line as JSON values the CLI parses', () => {
    const args = startDevArgs({ host: '127.0.0.1', port: 7233, ui: 'headless', logLevel: 'error', persistenceArgs: [] });
    const values = args.flatMap((arg, i) => (args[i - 1] === '--dynamic-config-value' ? [arg] : []));
    expect(values).toEqual(Object.entries(DEV_SERVER_DYNAMIC_CONFIG).map(([key, value]) => `${key}=${JSON.stringify(value)}`));
    expect(dynamicConfigArgs({ 'a.b': 'text' })).toEqual(['--dynamic-config-value', 'a.b="text"']);
  });
});
