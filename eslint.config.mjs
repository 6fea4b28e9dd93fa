// Lint rules that guard real bugs: a forgotten await, and I/O leaking into deterministic workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'http', 'https', 'net', 'crypto', 'child_process', 'worker_threads', 'dns', 'stream', 'timers', 'process'];

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
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [
              { name, message: 'Workflows must not do I/O: move it to an activity.' },
              { name: `node:${name}`, message: 'Workflows must not do I/O: move it to an activity.' },
            ]),
            { name: 'pino', message: 'Use `log` from @temporalio/workflow inside workflows.' },
            { name: 'openai', message: 'LLM calls are activities.' },
            { name: '@temporalio/client', message: 'Not allowed in the workflow sandbox.' },
            { name: '@temporalio/worker', message: 'Not allowed in the workflow sandbox.' },
            { name: '@temporalio/activity', message: 'Not allowed in the workflow sandbox.' },
          ],
          patterns: [
            {
              group: ['**/activities', '**/activities/*', '**/runtime/*'],
              allowTypeImports: true,
              message: 'Import activities with `import type` and call them through proxyActivities.',
            },
          ],
        },
      ],
    },
  },
);
