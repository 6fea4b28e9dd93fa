// The cluster test (`npm run test:cluster`): `npm run cluster`'s launcher brings up Temporal's own
// server on the machine's PostgreSQL, two workers and two endpoints, and one refund runs through
// them. Minutes long and needs PostgreSQL, so apart from `npm test` (docs/cluster.md).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // The committed test keys, and a data folder of the run's own, before the launcher's modules read them.
  setupFiles: ['<rootDir>/test/helpers/payload-keys-env.ts', '<rootDir>/test/helpers/decision-key-env.ts', '<rootDir>/test/cluster/data-dir-env.ts'],
  maxWorkers: 1,
  testTimeout: 600_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
