// Fixtures that live in the repository (test/fixtures/), so that a plain clone runs every test.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ParityResult, runParity } from '../../src/tools/parity';

const FIXTURES = path.resolve(__dirname, '../fixtures');

/** The reference PyTorch TimeSformer's weights, inputs and outputs (test/fixtures/timesformer-parity/README.md). */
export const PARITY_FIXTURE = path.join(FIXTURES, 'timesformer-parity/tiny-a');

/** The published accuracy tables that cover prints against, copied from the research spec's §3.0. */
export const PUBLISHED_TABLES = path.join(FIXTURES, 'published-tables.md');

/**
 * Runs the parity fixture on the active backend and expects features and logits within 1e-4 of the reference, with no
 * tensor left behind; returns the result for further checks.
 */
export async function expectParity(fixture = PARITY_FIXTURE): Promise<ParityResult> {
  const before = tf.memory().numTensors;
  const r = await runParity(fixture);
  for (const c of r.cases) {
    expect(c.featuresMaxAbsErr).toBeLessThan(1e-4);
    expect(c.logitsMaxAbsErr).toBeLessThan(1e-4);
  }
  expect(r.pass).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  return r;
}
