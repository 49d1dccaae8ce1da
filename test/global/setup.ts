// jest globalSetup: generates the tiny demo suite once per run into a fresh temporary folder and hands its path to the
// test workers (spawned after this, so they inherit process.env), instead of each test file spending seconds of
// ffmpeg on its own copy. test/helpers/tiny_suite.ts reads it; test/global/teardown.ts checks and removes it.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateDemoSuite } from '../../src/demo/suite';
import { preferOpenblasCore } from '../../src/engine/blas_core';
import { TINY_SUITE_ENV, TINY_SUITE_ERROR_ENV } from '../helpers/tiny_suite';

export default async function globalSetup(): Promise<void> {
  // OpenBLAS's kernel set for this CPU, in the real environment the workers inherit: a test file's process.env is
  // jest's copy, so the loaders' own preferOpenblasCore() would not reach the OpenBLAS a worker loads, and in-process
  // results would differ in rounding from the CLI's children (test/session/train.test.ts compares their bytes).
  preferOpenblasCore(process.env);
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'cover-test-suite-'));
  const root = path.join(base, 'tiny');
  process.env[TINY_SUITE_ENV] = root;
  try {
    await generateDemoSuite({ out: root, size: 'tiny', seed: 0 });
  } catch (err) {
    // Only the tests that use the suite fail (tinySuite() throws this); the rest of the run goes on.
    process.env[TINY_SUITE_ERROR_ENV] = err instanceof Error ? err.message : String(err);
  }
}
