// jest 30 + ts-jest 29 with TypeScript 5.9 (TS 7 has no compiler API for ts-jest: docs/notes/engine-probe.md §6).
// Type checking happens before jest in `npm test` (tsc over src/ and, with tsconfig.test.json, over test/), so ts-jest only transpiles (isolatedModules) and tests start fast.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // tfjs keeps its engine on the global object. jest 30 "soft deletes" globals between test files by wrapping them, and
  // a worker that runs many files wraps the engine again each time until a property write overflows the stack
  // (seen: registry.test.ts "Maximum call stack size exceeded" at emitAccessWarning after ~25 files in one worker).
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 120000,
  // The tiny demo suite is generated once per run and shared by the test files (test/helpers/tiny_suite.ts).
  globalSetup: '<rootDir>/test/global/setup.ts',
  globalTeardown: '<rootDir>/test/global/teardown.ts',
  maxWorkers: 2,
};
