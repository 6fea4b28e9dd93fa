// The fault suite (`npm run test:faults`): workers killed, the dev server restarted, duplicate
// signals, the model server down, and fuzzed inputs. Heavy on processes and time, so apart from
// `npm test`; one file at a time, since a kill or a restart must not compete with another file.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Every test process and the processes it spawns encrypt payloads with the committed test key.
  setupFiles: ['<rootDir>/test/helpers/payload-keys-env.ts', '<rootDir>/test/helpers/decision-key-env.ts'],
  // Before any test file: Chromium and the Temporal CLI present (installed or built where they
  // can be, otherwise the run stops with what to run), and the workflow bundle built once for all files.
  globalSetup: '<rootDir>/test/global/setup.ts',
  globalTeardown: '<rootDir>/test/global/teardown.ts',
  maxWorkers: 1,
  testTimeout: 180_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
