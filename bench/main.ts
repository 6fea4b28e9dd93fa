// `npm run bench`: what Arbiter costs on top of Temporal, measured on a real dev server with the
// workers in this process; `--cluster` also on temporal-server with PostgreSQL, with the workers in
// processes of their own. Prints Markdown tables and writes every figure to bench/results.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createModelServer } from '../model-server/server';
import { useEphemeralDecisionKey } from '../runtime/decision-key';
import { createLogger } from '../runtime/logger';
import { findTemporalCli, REPO_ROOT } from '../runtime/temporal-cli';
import { bundleArbiterWorkflows } from '../runtime/workflow-bundle';
import { measureApprovals } from './approval-latency';
import { describeCluster, measureCluster } from './cluster';
import { serverFlags, stopAllDevServers, withDevServer } from './dev-server';
import { newScratchDir, type BenchContext } from './harness';
import { measureLlm } from './llm-overhead';
import { parseBenchOptions, USAGE, type BenchOptions, type Measurement } from './options';
import { measurePersistence } from './persistence';
import { renderTables, type BenchResults } from './report';
import { measureSagas } from './saga-throughput';
import { measureSingleRuns } from './single-run';
import { measureToolLoop } from './tool-loop';
import { startSystems } from './systems';
import { stopAllPostgresServers } from './temporal-postgres';
import { measureWorkflowCpu } from './workflow-cpu';
import { defaultMaxCachedWorkflows, measureWaiting } from './waiting-scale';
import { stopAllWorkerProcesses } from './worker-processes';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options === 'help') {
    say(USAGE);
    return 0;
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // Decisions are signed, as the endpoint signs them, with a key made for this bench run.
  useEphemeralDecisionKey();
  // Ctrl-C stops the worker processes, then the servers in order (and drops the bench's databases);
  // the exit hooks in worker-processes.ts, dev-server.ts and temporal-postgres.ts are the backstop.
  // A second signal while stopping (npm and tsx pass Ctrl-C on as well) must not end the bench
  // before the databases are dropped, so every signal is handled and only the first acts.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: stopping the workers and the servers`);
      void stopEverything().finally(() => process.exit(130));
    });
  }

  const results = describeRun(options);
  const has = (m: Measurement) => options.only.includes(m);
  const scratchDir = newScratchDir();
  process.once('exit', () => rmSync(scratchDir, { recursive: true, force: true }));
  const modelServer = createModelServer({ logger: createLogger('bench-model-standin', { level: 'silent' }) });
  const modelUrl = `http://127.0.0.1:${await modelServer.listen(0)}/v1`;
  const systems = await startSystems(options.systems);
  let failed = false;
  try {
    say('bundling the workflows');
    // Both through Arbiter's bundler settings; the bare bundle imports none of the shared libraries.
    // Untraced, as a worker that exports no spans (the default; runtime/workflow-bundle.ts).
    const bundle = (workflowsPath: string) => bundleArbiterWorkflows({ workflowsPath, logger: new DefaultLogger('ERROR'), traced: false });
    const floor = await bundle(path.join(__dirname, 'workflows', 'floor-index.ts'));
    const bundles = {
      arbiter: await bundle(path.join(REPO_ROOT, 'workflows', 'index.ts')),
      bare: await bundle(path.join(__dirname, 'workflows', 'index.ts')),
      floor,
      minimal: floor,
    };
    const shared = { bundles, modelUrl, integrations: systems.activities, standInsUrl: systems.standInsUrl, options, scratchDir };
    if (has('saga')) {
      say(`1. saga throughput: ${options.runs} runs each of the bare saga, the two floors under Arbiter and Arbiter's refund, ${options.concurrency} at a time, each kind on a dev server of its own, ${options.sagaRounds} round(s) taking turns`);
      results.saga = await measureSagas(shared);
    }
    if (has('single') || has('cpu') || has('llm') || has('tools') || has('approval')) {
      await withDevServer(options, async (server) => {
        const ctx: BenchContext = { ...shared, server };
        if (has('single')) {
          say(`7. one run at a time: ${options.singleRuns} auto and ${options.singleRuns} approved refunds of each kind, taking turns`);
          results.single = await measureSingleRuns(ctx);
        }
        if (has('cpu')) {
          say('6. workflow CPU: one auto refund of each kind, its history replayed');
          results.workflowCpu = await measureWorkflowCpu(ctx);
        }
        if (has('llm')) {
          say(`4. model call: ${options.llmCalls} calls each way`);
          results.llm = await measureLlm(ctx);
        }
        if (has('tools')) {
          say(
            `9. tool loop: ${options.toolCalls} read tool calls each way; an investigation of ${options.toolTurnLookUps} look-ups with and without the blob store; ` +
              `one of ${options.toolRunLookUps} look-ups`,
          );
          results.tools = await measureToolLoop(ctx);
        }
        if (has('approval')) {
          say(`2. approval latency: ${options.decisions} decisions`);
          results.approval = await measureApprovals(ctx);
        }
      });
    }
    if (has('waiting')) {
      // Each batch starts a dev server of its own, as the persistence measurement does.
      say(`3. waiting scale: ${options.waiting} runs waiting for approval`);
      results.waiting = await measureWaiting(shared, say);
    }
    if (has('persistence')) {
      say(`5. dev server persistence: the bare saga, ${options.runs} runs per mode`);
      results.persistence = await measurePersistence(shared, say);
    }
    if (has('cluster')) {
      say(
        `8. cluster: ${options.runs} runs each of Arbiter's refund and the bare saga, ${options.concurrency} at a time, on the dev server and on temporal-server with PostgreSQL, ` +
          `with ${options.workerProcesses.join(', then ')} worker process${options.workerProcesses.join() === '1' ? '' : 'es'}; each kind on a server and workers of its own`,
      );
      results.cluster = await describeCluster(options, say);
      await measureCluster(shared, results.cluster, say);
    }
  } catch (err) {
    failed = true;
    results.error = err instanceof Error ? err.message : String(err);
  } finally {
    await stopEverything();
    await systems.close();
    await modelServer.close();
  }

  say('');
  say(renderTables(results));
  const out = path.resolve(REPO_ROOT, options.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  say(`results: ${path.relative(process.cwd(), out)}`);
  return failed ? 1 : 0;
}

async function stopEverything(): Promise<void> {
  await stopAllWorkerProcesses();
  await Promise.all([stopAllDevServers(), stopAllPostgresServers()]);
}

function describeRun(options: BenchOptions): BenchResults {
  const { only, ...parameters } = options;
  const sdk = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
  return {
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      v8HeapLimitMiB: Math.round(v8.getHeapStatistics().heap_size_limit / 1024 ** 2),
      defaultMaxCachedWorkflows: defaultMaxCachedWorkflows(),
    },
    versions: {
      temporalCli: execFileSync(findTemporalCli(), ['--version'], { encoding: 'utf8' }).replace(/^temporal version /, '').trim(),
      temporalSdk: sdk['@temporalio/worker'] ?? 'unknown',
    },
    // Every flag of the server that measurements 1, 2, 4, 6, 7 and 9 run on (persistence, dynamic config).
    parameters: { ...parameters, measurements: only, serverArgs: serverFlags(options) },
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
