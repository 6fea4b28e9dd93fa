// docker-compose.yml and `npm run cluster` run one shape from one deploy/ folder: these tests read
// both (no server started) and check they cannot drift apart in what matters: the Temporal version,
// the server config and its dynamic config, the schema step, the search attributes and the Web UI.
// And compose's Prometheus and Grafana: they scrape where the services serve metrics, and query
// only metrics Arbiter emits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ARBITER_SEARCH_ATTRIBUTES } from '../common/constants';
import { EndpointMetric, ModelMetric, WorkflowMetric } from '../common/metric-names';
import { DEPLOY_FILES, SERVER_PORT_VARIABLES, serverArgs, storeEnv, uiEnv } from '../scripts/cluster/temporal';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  entrypoint?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
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

describe("docker-compose.yml's metrics", () => {
  const prometheusConfig = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; authorization?: { credentials_file: string } }[];
  };
  const job = (name: string) => {
    const found = prometheusConfig.scrape_configs.find((c) => c.job_name === name);
    if (!found) throw new Error(`prometheus.yml has no job ${name}`);
    return found;
  };
  /** Where a service serves its metrics, as the compose network names it: `worker:9464`. */
  const servedAt = (name: string, variable: string) => `${name}:${service(name).environment?.[variable]?.split(':').pop()}`;

  it('scrape the worker and the endpoint where their metrics variables make them listen', () => {
    expect(job('arbiter-worker').static_configs.flatMap((c) => c.targets)).toEqual([servedAt('worker', 'ARBITER_WORKER_METRICS_ADDRESS')]);
    expect(job('arbiter-endpoint').static_configs.flatMap((c) => c.targets)).toEqual([servedAt('approvals', 'ARBITER_ENDPOINT_METRICS_ADDRESS')]);
    // The token Prometheus sends is the one the endpoint checks, through the file its entrypoint writes.
    expect(service('approvals').environment?.ARBITER_ENDPOINT_METRICS_TOKEN).toBe('${ARBITER_ENDPOINT_METRICS_TOKEN:-}');
    expect(service('prometheus').environment?.ARBITER_ENDPOINT_METRICS_TOKEN).toBe('${ARBITER_ENDPOINT_METRICS_TOKEN:-}');
    expect(entrypoint('prometheus')).toContain(`> ${job('arbiter-endpoint').authorization?.credentials_file};`);
  });

  it('run Prometheus on the config and alert rules in deploy/prometheus, and Grafana on the provisioning and dashboard in deploy/grafana', () => {
    const configDir = service('prometheus').volumes?.find((v) => v.startsWith('./deploy/prometheus:'))?.split(':')[1];
    expect(entrypoint('prometheus')).toContain(`--config.file=${configDir}/prometheus.yml`);
    expect(prometheusConfig.rule_files).toEqual(['arbiter-alerts.yml']);
    // Prometheus has no login: reached by Grafana on the compose network, published nowhere.
    expect(service('prometheus').ports).toBeUndefined();
    // No default admin password: compose refuses to run without one.
    expect(service('grafana').environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
    const grafanaMounts = service('grafana').volumes ?? [];
    expect(grafanaMounts).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    const provider = parseYaml(read('deploy/grafana/provisioning/dashboards/arbiter.yml')) as { providers: { options: { path: string } }[] };
    expect(grafanaMounts).toContain(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    const datasource = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
    const uids = new Set([...read('deploy/grafana/dashboards/arbiter.json').matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]));
    uids.delete('arbiter');
    expect([...uids]).toEqual([datasource.datasources[0]!.uid]);
    expect(datasource.datasources[0]!.url).toBe('http://prometheus:9090');
  });

  it('query only the Arbiter metrics the workers and the endpoint emit, and alert on the four the operators asked for', () => {
    // The runtime's exporter adds _total to counters; the one gauge among the model metrics has none.
    const emitted = new Set([
      ...Object.values(WorkflowMetric).map((name) => `${name}_total`),
      ...Object.values(ModelMetric).map((name) => (name === ModelMetric.budgetUsedRatio ? name : `${name}_total`)),
      ...Object.values(EndpointMetric),
    ]);
    const alerts = read('deploy/prometheus/arbiter-alerts.yml');
    const queried = [alerts, read('deploy/grafana/dashboards/arbiter.json')].flatMap((text) => [...text.matchAll(/\barbiter_[a-z_]+/g)].map((m) => m[0]));
    expect(queried.length).toBeGreaterThan(10);
    expect(queried.filter((name) => !emitted.has(name))).toEqual([]);
    const names = (parseYaml(alerts) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(
      expect.arrayContaining(['ArbiterCompensationStuck', 'ArbiterApprovalNearExpiry', 'ArbiterTenantModelBudgetNearDailyLimit', 'ArbiterModelFailureRate']),
    );
  });
});
