// docker-compose.yml and `npm run cluster` run one shape from one deploy/ folder: these tests read
// both (no server started) and check they cannot drift apart in what matters: the Temporal version,
// the server config and its dynamic config, the schema step, the search attributes and the Web UI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ARBITER_SEARCH_ATTRIBUTES } from '../common/constants';
import { DEPLOY_FILES, SERVER_PORT_VARIABLES, serverArgs, storeEnv, uiEnv } from '../scripts/cluster/temporal';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  entrypoint?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  working_dir?: string;
}
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const entrypoint = (name: string) => [service(name).entrypoint ?? []].flat().join(' ');
/** Where a service mounts the repo's deploy/ folder, read-only. */
const deployMount = (name: string) => service(name).volumes?.find((v) => v.startsWith('./deploy:'))?.split(':')[1];

/** The version a find-or-build script of scripts/ pins, e.g. 1.29.1. */
function nativeVersion(script: string, variable: string): string {
  const match = new RegExp(`^${variable}="v([^"]+)"`, 'm').exec(read(script));
  if (!match?.[1]) throw new Error(`${script} sets no ${variable}`);
  return match[1];
}

/** The server config as the native path renders it: every template expression is `env "NAME" | default "VALUE"`. */
const TEMPLATE_EXPRESSION = /\{\{\s*env "([A-Z_]+)" \| default "([^"]*)"\s*\}\}/g;
function renderWithDefaults(): { config: Record<string, unknown>; variables: Set<string> } {
  const text = read(DEPLOY_FILES.serverConfig);
  const variables = new Set([...text.matchAll(TEMPLATE_EXPRESSION)].map((m) => m[1]!));
  const rendered = text.replace(TEMPLATE_EXPRESSION, (_all, _name, value: string) => value);
  expect(rendered).not.toContain('{{');
  return { config: parseYaml(rendered) as Record<string, unknown>, variables };
}

describe('docker-compose.yml and npm run cluster', () => {
  it('run the Temporal server version that scripts/temporal-server.sh builds', () => {
    const version = nativeVersion('scripts/temporal-server.sh', 'SERVER_VERSION');
    expect(service('temporal').image).toBe(`temporalio/server:${version}`);
    for (const step of ['temporal-schema', 'temporal-admin-tools']) {
      expect(service(step).image).toMatch(new RegExp(`^temporalio/admin-tools:${version.replace(/\./g, '\\.')}-`));
    }
  });

  it('start the server the same way, from the same config file in deploy/', () => {
    const server = service('temporal');
    expect(deployMount('temporal')).toBe(`${server.working_dir}/deploy`);
    expect(entrypoint('temporal')).toContain(`exec temporal-server ${serverArgs().join(' ')}`);
  });

  it('read the same dynamic config file, the one the dev servers are checked against', () => {
    const { config } = renderWithDefaults();
    const dynamicConfig = (config.dynamicConfigClient as { filepath: string }).filepath;
    expect(dynamicConfig).toBe('deploy/dynamicconfig/arbiter.yaml');
    // Relative to the folder holding deploy/: the repo root natively, the server's working_dir in compose.
    expect(readFileSync(join(ROOT, dynamicConfig), 'utf8')).toContain('history.transferProcessorMaxPollRPS');
  });

  it("give the server config only variables that one of them sets, and compose's store the same names", () => {
    const { variables } = renderWithDefaults();
    const native = Object.keys(storeEnv({ serverUrl: 'postgres://u:p@h:1', temporalDb: 'a', visibilityDb: 'b' }));
    const composeOnly = ['BIND_ON_IP', 'TEMPORAL_BROADCAST_ADDRESS', 'TEMPORAL_LOG_LEVEL'];
    expect([...variables].sort()).toEqual([...new Set([...native, ...SERVER_PORT_VARIABLES, ...composeOnly])].sort());
    for (const name of ['temporal-schema', 'temporal']) {
      expect(Object.keys(service(name).environment ?? {})).toEqual(expect.arrayContaining(native));
    }
  });

  it("run the Web UI version that scripts/temporal-ui.sh builds, with the image's config and compose's variables", () => {
    const ui = service('temporal-ui');
    expect(ui.image).toBe(`temporalio/ui:${nativeVersion('scripts/temporal-ui.sh', 'UI_VERSION')}`);
    expect(read('scripts/temporal-ui.sh')).toContain('cp "$module_dir/config/docker.yaml"');
    const native = uiEnv({ temporalAddress: 'x', port: 1, codecEndpoint: 'y' });
    expect(Object.keys(ui.environment ?? {}).sort()).toEqual(Object.keys(native).filter((name) => name !== 'TEMPORAL_UI_PORT').sort());
    expect(ui.environment?.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe(native.TEMPORAL_CODEC_INCLUDE_CREDENTIALS);
  });

  it('prepare the databases with the same schema step', () => {
    expect(deployMount('temporal-schema')).toBe('/deploy');
    expect(entrypoint('temporal-schema')).toBe(`/bin/sh /${DEPLOY_FILES.schemaStep}`);
  });

  it('register the search attributes with the same step, from the one list the workflows upsert', () => {
    expect(deployMount('temporal-admin-tools')).toBe('/deploy');
    expect(entrypoint('temporal-admin-tools')).toBe(`/bin/sh /${DEPLOY_FILES.searchAttributeStep}`);
    expect(read(DEPLOY_FILES.searchAttributeStep)).toContain('"$(dirname "$0")/search-attributes.txt"');
    const listed = read('deploy/search-attributes.txt')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.trim().split(/\s+/));
    expect(listed).toEqual(ARBITER_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type.charAt(0) + key.type.slice(1).toLowerCase()]));
  });
});
