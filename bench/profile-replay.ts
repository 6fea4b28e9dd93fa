// Where a replayed run's workflow CPU goes, by module of the workflow bundle: replays one history
// many times under V8's sampling profiler and sums self time by the bundle module each sampled
// function is in (webpack marks every module's start in the bundle). A diagnosis, not a
// measurement: profiling slows everything alike, so read shares, not milliseconds.
//
//   npx tsx bench/profile-replay.ts <history.json> [replays=300] [place to list by function]
//
// With CPU_SETTING set to one of bench/workflow-cpu-attribution.ts's settings (`neither`, ...),
// the profiled replays run with the SDK's per-call watchdog and/or per-promise stack trace off,
// which leaves the workflow code's own work to see.
// A history as the CLI or the Web UI exports it; `npm run bench -- --only cpu` writes the ones it
// replays next to its scratch files and prints where.
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { REPO_ROOT } from '../runtime/temporal-cli';
import { bundleModuleIndex, historyReplayer } from './replay-diagnosis';
import { withCpuSetting, type CpuSetting } from './workflow-cpu-attribution';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main(): Promise<void> {
  const [file, countArg, detail] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profile-replay.ts <history.json> [replays]');
  const count = Number(countArg ?? 300);
  const { bundle, replay } = await historyReplayer(file, 'profile');
  await replay(5);

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const before = process.cpuUsage();
  await withCpuSetting((process.env.CPU_SETTING ?? 'as shipped') as CpuSetting, () => replay(count));
  const used = process.cpuUsage(before);
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();

  const moduleAt = bundleModuleIndex(bundle.code);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byPlace = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    total += us;
    const place = placeOf(node, moduleAt);
    // With a place named, that place's functions are listed one by one.
    const key = detail && place.includes(detail) ? `${place} ${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber}` : place;
    byPlace.set(key, (byPlace.get(key) ?? 0) + us);
  }
  console.log(`${count} replays of ${path.basename(file)}: ${((used.user + used.system) / 1000 / count).toFixed(1)} ms CPU per replay while profiled`);
  for (const [place, us] of [...byPlace.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${place}`);
  }
}

function placeOf(node: ProfileNode, moduleAt: (line: number) => string): string {
  const { url, functionName, lineNumber } = node.callFrame;
  if (!url) return `(${functionName || 'native'})`;
  if (url.startsWith('node:')) return `node ${url.slice(5).replace(/\/.*$/, '')} ${functionName}`;
  if (url.includes('workflow-bundle')) {
    const module = moduleAt(lineNumber).replace(/^\.\/node_modules\//, '~');
    return `bundle ${module.replace(/(~(@[^/]+\/)?[^/]+).*/, '$1')}`;
  }
  const short = url.replace(/^.*node_modules\//, '~').replace(`file://${REPO_ROOT}/`, '');
  return `host ${short.replace(/(~(@[^/]+\/)?[^/]+\/lib\/[^/]+).*/, '$1')}`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
