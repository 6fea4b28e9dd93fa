// The bench's command line: sizes of each measurement, which to run, and where the dev server keeps its state.
import { parseArgs } from 'node:util';

export const MEASUREMENTS = ['single', 'saga', 'cpu', 'llm', 'tools', 'approval', 'waiting', 'persistence'] as const;
/** Measurement 8 needs PostgreSQL and temporal-server, so only `--cluster` runs it, and on its own. */
export type Measurement = (typeof MEASUREMENTS)[number] | 'cluster';

/** How the dev server persists: in memory (its default), a SQLite file, or a SQLite file in WAL mode with NORMAL sync. */
export const PERSISTENCE_MODES = ['memory', 'file', 'wal'] as const;
export type Persistence = (typeof PERSISTENCE_MODES)[number];

/** What the saga's integration activities talk to: an in-memory answer, or the stand-in systems over HTTP. */
export const SYSTEMS_MODES = ['instant', 'standins'] as const;
export type Systems = (typeof SYSTEMS_MODES)[number];

export interface BenchOptions {
  runs: number;
  concurrency: number;
  decisions: number;
  waiting: number;
  llmCalls: number;
  /** Read tool calls per way of calling in the tool-loop measurement. */
  toolCalls: number;
  /** Look-ups the investigating refund is asked for when its history per turn is measured. */
  toolTurnLookUps: number;
  /** Look-ups of the long agent run (with the first three reads and the proposal, its calls). */
  toolRunLookUps: number;
  /** Runs of each kind and path in the one-at-a-time latency measurement. */
  singleRuns: number;
  /** Rounds of measurement 1, the kinds taking turns; each kind's median round is reported. */
  sagaRounds: number;
  warmup: number;
  /** Histories fetched per workflow type to count events. */
  histories: number;
  /** The dev server that measurements 1 to 4 run on. */
  persistence: Persistence;
  /** Dynamic config values over the dev servers' defaults (runtime/dev-server.ts), to compare settings. */
  dynamicConfig: Record<string, number | boolean | string>;
  systems: Systems;
  /** Worker process counts the cluster measurement runs each server with, in order. */
  workerProcesses: number[];
  only: Measurement[];
  out: string;
  quick: boolean;
}

const FULL = { runs: 500, concurrency: 50, decisions: 200, waiting: 10_000, llmCalls: 200, toolCalls: 200, toolTurnLookUps: 16, toolRunLookUps: 200, singleRuns: 100, sagaRounds: 3, warmup: 20, histories: 5 };
const DEFAULT_WORKER_PROCESSES = [1, 2];
// The long agent run keeps its 200 look-ups in a quick run too: it is what measurement 9 is about.
const QUICK = { runs: 50, concurrency: 50, decisions: 20, waiting: 500, llmCalls: 20, toolCalls: 20, toolTurnLookUps: 16, toolRunLookUps: 200, singleRuns: 20, sagaRounds: 1, warmup: 5, histories: 3 };

export const USAGE = `npm run bench -- [flags]

  --quick               a small run: ${QUICK.runs} sagas, ${QUICK.decisions} decisions, ${QUICK.waiting} waiting, ${QUICK.llmCalls} model calls, ${QUICK.toolCalls} tool calls
  --runs N              refund sagas per workflow (default ${FULL.runs})
  --concurrency N       sagas in flight at once (default ${FULL.concurrency})
  --decisions N         approvals decided through the endpoint (default ${FULL.decisions})
  --waiting N           runs waiting for approval at once (default ${FULL.waiting})
  --llm-calls N         model calls per path (default ${FULL.llmCalls})
  --tool-calls N        read tool calls per path (default ${FULL.toolCalls})
  --single-runs N       one-at-a-time runs per kind and path (default ${FULL.singleRuns})
  --saga-rounds N       rounds of the saga throughput, the kinds taking turns; the median round counts (default ${FULL.sagaRounds})
  --warmup N            uncounted runs before each timed batch (default ${FULL.warmup})
  --persistence MODE    dev server for measurements 1-4, 6, 7 and 9: ${PERSISTENCE_MODES.join(' | ')} (default memory)
  --dynamic-config K=V  a dev server dynamic config value over Arbiter's defaults; repeatable
  --systems MODE        integration activities answer ${SYSTEMS_MODES.join(' | ')} (default instant)
  --only LIST           comma-separated subset of ${MEASUREMENTS.join(',')}
  --cluster             only measurement 8: the saga throughput on the dev server and on temporal-server
                        with PostgreSQL, workers in processes of their own (needs PostgreSQL; docs/performance.md)
  --worker-processes L  worker process counts for --cluster, comma-separated (default ${DEFAULT_WORKER_PROCESSES.join(',')})
  --out FILE            results file (default bench/results.json)
`;

export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      concurrency: { type: 'string' },
      decisions: { type: 'string' },
      waiting: { type: 'string' },
      'llm-calls': { type: 'string' },
      'tool-calls': { type: 'string' },
      'single-runs': { type: 'string' },
      'saga-rounds': { type: 'string' },
      'dynamic-config': { type: 'string', multiple: true, default: [] },
      warmup: { type: 'string' },
      persistence: { type: 'string', default: 'memory' },
      systems: { type: 'string', default: 'instant' },
      only: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      'worker-processes': { type: 'string' },
      out: { type: 'string', default: 'bench/results.json' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const base = values.quick ? QUICK : FULL;
  if (values.cluster && values.only) throw new Error('--cluster runs measurement 8 on its own; leave out --only');
  // The PostgreSQL server reads deploy/dynamicconfig/arbiter.yaml (the same values as the dev
  // server's defaults): an override on one server only would make the two columns unlike.
  if (values.cluster && values['dynamic-config'].length) throw new Error('--cluster compares the two servers on the same dynamic config; leave out --dynamic-config');
  if (values['worker-processes'] && !values.cluster) throw new Error('--worker-processes is a setting of --cluster');
  return {
    runs: count('--runs', values.runs, base.runs),
    concurrency: count('--concurrency', values.concurrency, base.concurrency),
    decisions: count('--decisions', values.decisions, base.decisions),
    waiting: count('--waiting', values.waiting, base.waiting),
    llmCalls: count('--llm-calls', values['llm-calls'], base.llmCalls),
    toolCalls: count('--tool-calls', values['tool-calls'], base.toolCalls),
    toolTurnLookUps: base.toolTurnLookUps,
    toolRunLookUps: base.toolRunLookUps,
    singleRuns: count('--single-runs', values['single-runs'], base.singleRuns),
    sagaRounds: count('--saga-rounds', values['saga-rounds'], base.sagaRounds),
    warmup: count('--warmup', values.warmup, base.warmup, 0),
    histories: base.histories,
    persistence: oneOf('--persistence', values.persistence, PERSISTENCE_MODES),
    dynamicConfig: Object.fromEntries(values['dynamic-config'].map(dynamicConfigValue)),
    systems: oneOf('--systems', values.systems, SYSTEMS_MODES),
    workerProcesses: values['worker-processes']
      ? values['worker-processes'].split(',').map((n) => count('--worker-processes', n.trim(), 1))
      : DEFAULT_WORKER_PROCESSES,
    only: values.cluster ? ['cluster'] : values.only ? values.only.split(',').map((name) => oneOf('--only', name.trim(), MEASUREMENTS)) : [...MEASUREMENTS],
    out: values.out,
    quick: values.quick,
  };
}

/** `key=value`, the value read as JSON where it parses (numbers, booleans), else kept as a string. */
function dynamicConfigValue(raw: string): [string, number | boolean | string] {
  const at = raw.indexOf('=');
  if (at <= 0 || at === raw.length - 1) throw new Error(`--dynamic-config must be key=value, got "${raw}"`);
  const text = raw.slice(at + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') {
    throw new Error(`--dynamic-config ${raw.slice(0, at)}: only numbers, booleans and strings are taken, got "${text}"`);
  }
  return [raw.slice(0, at), value];
}

function count(flag: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number of at least ${min}, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${flag} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}
