// The tiny demo suite, generated once per jest run by test/global/setup.ts (k400, ssv2, mit, imnet in their real
// layouts, seed 0: 4 classes x 4 train + 2 val clips or images each) and shared by every test file. Read it, never
// write to it: a test that breaks files works on a copy (fs.cpSync), and test/global/teardown.ts fails the run if the
// suite's bytes changed.

/** The environment variable that carries the suite's folder from the global setup to the test workers. */
export const TINY_SUITE_ENV = 'COVER_TEST_TINY_SUITE';
/** Set instead when the global setup could not generate the suite (no ffmpeg, say): its error, for the tests that need it. */
export const TINY_SUITE_ERROR_ENV = 'COVER_TEST_TINY_SUITE_ERROR';

/** The shared tiny suite's folder (absolute); its datasets are at demoSuitePaths(tinySuite()). */
export function tinySuite(): string {
  const failed = process.env[TINY_SUITE_ERROR_ENV];
  if (failed) throw new Error(`the global setup could not generate the tiny demo suite: ${failed}`);
  const dir = process.env[TINY_SUITE_ENV];
  if (!dir) throw new Error(`${TINY_SUITE_ENV} is not set: run the tests with jest.config.js, whose globalSetup generates the tiny demo suite`);
  return dir;
}
