// The package as a backend service installs it: compiled to JavaScript, its main export gives
// the typed client and the module-level functions, and they refuse bad input before connecting.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const repo = path.join(__dirname, '..');
let outDir: string;

beforeAll(() => {
  // Inside the repo (in the ignored .tools folder), so the compiled code finds node_modules.
  mkdirSync(path.join(repo, '.tools'), { recursive: true });
  outDir = mkdtempSync(path.join(repo, '.tools', 'build-'));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(repo, 'tsconfig.build.json'), '--outDir', outDir], {
    cwd: repo,
    stdio: 'pipe',
  });
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

it('points main and types at the compiled client', () => {
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { main: string; types: string };
  expect(pkg.main).toBe('dist/client/index.js');
  expect(pkg.types).toBe('dist/client/index.d.ts');
  expect(readFileSync(path.join(outDir, 'client', 'index.d.ts'), 'utf8')).toMatch(/startPriceChange\(input: unknown\): Promise<StartedProcess>/);
});

it('exports the client API from the compiled JavaScript', () => {
  // Run in a child node: the compiled code must load without the TypeScript test toolchain.
  const script = `
    const arbiter = require(${JSON.stringify(path.join(outDir, 'client', 'index.js'))});
    (async () => {
      const names = ['ArbiterClient', 'startRefund', 'startPriceChange', 'getStatus', 'result', 'explain', 'refundRequestSchema', 'priceChangeRequestSchema'];
      const missing = names.filter((n) => arbiter[n] === undefined);
      const refused = await arbiter.startRefund({ requestId: 'r-1' }).catch((e) => e);
      await arbiter.closeDefaultClient();
      // The descriptors reach their demo plans lazily: the client never loads demo or stand-in code.
      const demoLoaded = Object.keys(require.cache).filter((f) => /[.]demo[.]js$|[\\/]standins[\\/]/.test(f));
      console.log(JSON.stringify({ missing, name: refused.name, fields: refused.fields, demoLoaded }));
    })();`;
  // Nothing listens on port 1: a connection attempt would fail with another error.
  const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, encoding: 'utf8' });
  const report = JSON.parse(out.trim()) as { missing: string[]; name: string; fields: string[]; demoLoaded: string[] };
  expect(report.missing).toEqual([]);
  expect(report.demoLoaded).toEqual([]);
  expect(report.name).toBe('InvalidInput');
  expect(report.fields).toEqual(expect.arrayContaining(['tenant', 'customer', 'order', 'message', 'requestedBy']));
});
