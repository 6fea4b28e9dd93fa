// Where a replayed run's workflow promises are made: the SDK's promise hook records a
// source-mapped stack trace for each one (bench/workflow-cpu-attribution.ts), so a promise is CPU,
// and this says which code makes them. Replays one history and counts, per run, the promises
// created in workflow code by the first Arbiter frame on their stack (else the first frame at
// all) and the function that made each (`<-`): an Arbiter function there is its own `async` or
// `await`, an SDK one the SDK's work for a command Arbiter gave.
//
//   npx tsx bench/promise-census.ts <history.json> [replays=20]
import path from 'node:path';
import v8 from 'node:v8';
import { bundleModuleIndex, historyReplayer } from './replay-diagnosis';

async function main(): Promise<void> {
  const [file, countArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/promise-census.ts <history.json> [replays]');
  const count = Number(countArg ?? 20);
  const { bundle, replay } = await historyReplayer(file, 'census');
  const moduleAt = bundleModuleIndex(bundle.code);
  await replay(1);

  const byPlace = new Map<string, number>();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stop = v8.promiseHooks.onInit((promise) => {
    // A promise made inside a workflow context has that context's Promise as its constructor.
    if ((promise as Promise<unknown>).constructor === Promise) return;
    const frames = (new Error().stack ?? '').split('\n').slice(1).filter((line) => line.includes('workflow-bundle'));
    const placed = frames.map((line) => {
      const match = /at (?:(\S+) )?\(?.*workflow-bundle[^:]*:(\d+):\d+\)?$/.exec(line.trim());
      return match ? { fn: match[1] ?? '(anonymous)', module: moduleAt(Number(match[2]) - 1) } : undefined;
    }).filter((f) => f !== undefined);
    const own = placed.find((f) => !f.module.includes('node_modules')) ?? placed[0];
    const made = placed[0] ? `  <- ${placed[0].fn}` : '';
    const key = `${own ? `${own.module.replace(/^\.\//, '')} ${own.fn}` : '(no bundle frame)'}${made}`;
    byPlace.set(key, (byPlace.get(key) ?? 0) + 1);
  });
  try {
    await replay(count);
  } finally {
    stop();
    Error.stackTraceLimit = limit;
  }
  const total = [...byPlace.values()].reduce((a, b) => a + b, 0);
  console.log(`${path.basename(file)}: ${(total / count).toFixed(1)} workflow promises per run`);
  for (const [place, n] of [...byPlace.entries()].sort((a, b) => b[1] - a[1])) console.log(`${(n / count).toFixed(1).padStart(6)}  ${place}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
