// Schemas built once per worker thread (common/built-once.ts) are found by key: two schemas under
// one key would hand every run after the first whichever was built first. Each key must name the
// module and the constant it builds, and appear once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { builtOnce } from '../common/built-once';

const ROOT = path.join(__dirname, '..');
const SOURCE_DIRS = ['common', 'policies', 'workflows', 'processes'];

function builtOnceCalls(): { file: string; key: string; name: string | undefined }[] {
  const calls = [];
  for (const dir of SOURCE_DIRS) {
    for (const file of readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(ROOT, dir, file), 'utf8');
      for (const match of text.matchAll(/(?:const (\w+)\s*(?::[^=]+)?=\s*(?:\([^)]*\)\s*(?::[^=]+)?=>\s*)?)?builtOnce\('([^']+)'/g)) {
        calls.push({ file: `${dir}/${file}`, key: match[2]!, name: match[1] });
      }
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
    const calls = builtOnceCalls().filter((call) => call.file !== 'common/built-once.ts');
    expect(calls.length).toBeGreaterThan(40);
    for (const call of calls) {
      expect({ file: call.file, key: call.key }).toEqual({ file: call.file, key: `${path.basename(call.file, '.ts')}#${call.name}` });
    }
    const keys = calls.map((call) => call.key);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });
});
