// Lint rules that guard real bugs: a forgotten await, and I/O leaking into deterministic workflow code.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Every Node built-in in both spellings. Newer Node versions list modules that exist only with the
// prefix (node:test), which have no bare form to add.
const nodeBuiltins = builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`]));

const sandboxMessage = 'Runs inside the workflow sandbox: do I/O in an activity, and keep Node-only code outside the modules the workflow bundle loads.';

// What the workflow bundle must not load: workflow code and the policies/ and common/ modules it
// imports all run in the sandbox, where these either fail or break determinism.
const forbiddenInWorkflowBundle = [
  ...nodeBuiltins.map((name) => ({ name, message: sandboxMessage })),
  { name: 'pino', message: 'Use `log` from @temporalio/workflow inside workflows.' },
  { name: 'openai', message: 'LLM calls are activities.' },
  { name: 'pg', message: 'Database access is an activity.' },
  { name: 'jose', message: 'Token checks belong to the approvers\' endpoint, not the workflow bundle.' },
  { name: 'yaml', message: 'Policy files are read by policies/load.ts, outside the workflow bundle.' },
  { name: '@temporalio/client', message: 'Not allowed in the workflow sandbox.' },
  { name: '@temporalio/worker', message: 'Not allowed in the workflow sandbox.' },
  { name: '@temporalio/activity', message: 'Not allowed in the workflow sandbox.' },
];

// The policy loader and trust file reader touch the file system; their types may be shared.
const nodeOnlyPolicyModules = {
  group: ['**/policies/load', '**/policies/trust', './load', './trust'],
  allowTypeImports: true,
  message: 'policies/load.ts and policies/trust.ts read files: import their types only.',
};

/** The imports every module of the workflow bundle is held to; `nodeCodeMessage` says why here. */
function workflowBundleImports(nodeCodeMessage) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: forbiddenInWorkflowBundle,
        patterns: [
          { group: ['**/activities', '**/activities/*', '**/runtime/*'], allowTypeImports: true, message: nodeCodeMessage },
          nodeOnlyPolicyModules,
        ],
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', '*.config.js', '*.config.mjs', 'test/summary-reporter.js', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An unawaited activity, timer or request is a silent bug, in workflows and everywhere else.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The workflow sandbox: deterministic code only. Activities are referenced by type.
    files: ['workflows/**/*.ts', 'test/workflows/**/*.ts', 'bench/workflows/**/*.ts'],
    rules: workflowBundleImports('Import activities with `import type` and call them through proxyActivities.'),
  },
  {
    // What workflows import from policies/ and common/ runs in the sandbox too. The loader and the
    // trust file reader are only ever loaded by Node code (workers, CLI, endpoint).
    files: ['policies/**/*.ts', 'common/**/*.ts'],
    ignores: ['policies/load.ts', 'policies/trust.ts'],
    rules: workflowBundleImports('Activities and runtime/ are Node code: the workflow bundle may import their types only.'),
  },
);
