// Workflow tests start a real Temporal dev server per test file; two cores run two files at once.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault suite and the cluster test run apart: `npm run test:faults` (jest.faults.config.js),
  // `npm run test:cluster` (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Every test process and the processes it spawns encrypt payloads with the committed test key,
  // and sign and check people's decisions with the committed test signing key.
  setupFiles: ['<rootDir>/test/helpers/payload-keys-env.ts', '<rootDir>/test/helpers/decision-key-env.ts'],
  // Before any test file: Chromium and the Temporal CLI present (installed or built where they
  // can be, otherwise the run stops with what to run), and the workflow bundle built once for all files.
  globalSetup: '<rootDir>/test/global/setup.ts',
  globalTeardown: '<rootDir>/test/global/teardown.ts',
  maxWorkers: 2,
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
