// Schemas built once per worker thread (common/built-once.ts) are found by key: two schemas under
// one key would hand every run after the first whichever was built first. Each key must name the
// module and the constant it builds, and appear once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { builtOnce } from '../common/built-once';

const ROOT = path.join(__dirname, '..');
const SOURCE_DIRS = ['activities', 'cli', 'client', 'common', 'policies', 'processes', 'runtime', 'server', 'standins', 'workflows'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

/**
 * Every `builtOnce(` call in the sources, with the constant it builds. Only one shape counts:
 * `const NAME = builtOnce('<key>', ...)`, or `const NAME = (): Type => builtOnce('<key>', ...)` with
 * no parameters, since a build that took arguments would hand every later caller on the thread
 * what the first caller asked for. Anything else is reported as it stands, and fails.
 */
function builtOnceCalls(): { file: string; key?: string; name?: string; text: string }[] {
  const calls = [];
  for (const file of SOURCE_DIRS.flatMap(sourceFiles)) {
    if (file === path.join('common', 'built-once.ts')) continue;
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/builtOnce\(/g)) {
      if (text.slice(match.index - 9, match.index) === 'import { ') continue;
      const before = /const (\w+)(?::[^=]+)?\s*=\s*(?:\(\)\s*(?::\s*[\w<>[\]]+)?\s*=>\s*)?$/.exec(text.slice(Math.max(0, match.index - 200), match.index));
      const key = /^builtOnce\('([^'\\]+)',/.exec(text.slice(match.index))?.[1];
      calls.push({ file: file.split(path.sep).join('/'), key, name: before?.[1], text: text.slice(Math.max(0, match.index - 60), match.index + 60) });
    }
  }
  return calls;
}

describe('builtOnce', () => {
  it('builds once per key and hands the same value after', () => {
    let builds = 0;
    const build = () => ({ built: ++builds });
    const first = builtOnce('test#first', build);
    expect(builtOnce('test#first', build)).toBe(first);
    expect(builds).toBe(1);
    expect(builtOnce('test#second', build)).not.toBe(first);
    expect(builds).toBe(2);
  });

  it('is keyed by module and constant, each key used once', () => {
    const calls = builtOnceCalls();
    expect(calls.length).toBeGreaterThan(40);
    for (const call of calls) {
      expect({ at: call.text, key: call.key }).toEqual({ at: call.text, key: `${path.basename(call.file, '.ts')}#${call.name}` });
    }
    const keys = calls.map((call) => call.key);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });
});
