// jest 30 + ts-jest 29 with TypeScript 5.9 (TS 7 has no compiler API for ts-jest: ../shared/research/engine-probe.md §6).
// Type checking happens once in `npm run build` (tsc), so ts-jest only transpiles (isolatedModules) and tests start fast.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 2,
};
