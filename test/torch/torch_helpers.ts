// Shared by the torch backend's tests: whether to run them, starting the backend, and comparing values with the cpu
// backend. The tests are skipped (with a warning) where the optional cover-torch addon is not built, unless
// COVER_EXPECT_TORCH=1, and then they fail. COVER_TORCH_PATH points at a build outside node_modules.
import * as tf from '@tensorflow/tfjs-core';
import { probeTorch, startTorch } from '../../src/engine/backends/torch';
import { useBackend } from '../helpers/tf';

const probe = probeTorch();
const expected = process.env.COVER_EXPECT_TORCH === '1';
if (!probe.ok && !expected) console.warn(`torch backend tests skipped: ${probe.reason} (set COVER_EXPECT_TORCH=1 to fail instead)`);

export const describeTorch: jest.Describe = probe.ok || expected ? describe : describe.skip;

export async function useTorch(): Promise<void> {
  tf.env().set('PROD', true);
  await startTorch({ device: 'cpu' });
}

export async function useCpu(): Promise<void> {
  await useBackend('cpu');
}

export interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

/** Runs fn on a backend and returns every output's shape, dtype and values, leaving no tensor behind. */
export function capture(fn: () => tf.Tensor | tf.Tensor[]): Result[] {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const r = list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
  tf.dispose(list);
  return r;
}

/** Largest |a - b| / max(1, |b|) over two lists of values (NaN must match NaN). */
export function maxRelDiff(a: number[], b: number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return Infinity;
      continue;
    }
    if (a[i] === b[i]) continue;
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return worst;
}

/** Kernel names fn dispatches on the active backend (tf.profile). */
export async function kernelsOf(fn: () => tf.TensorContainer): Promise<Set<string>> {
  const info = await tf.profile(() => fn());
  tf.dispose(info.result as tf.TensorContainer);
  return new Set(info.kernels.map((k) => k.name));
}
