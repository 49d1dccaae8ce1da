// Test helpers: pick a tfjs backend by name and make random weights for a model.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { TimeSformer } from '../../src/model/timesformer';

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  tf.env().set('PROD', true); // no debug checks, no "install tfjs-node" banner
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
}

/** Every parameter random (temporal_fc and time_embed included), so no path hides behind a zero init. */
export function randomizeWeights(model: TimeSformer, seed = 1): void {
  let s = seed;
  const values = new Map<string, tf.Tensor>();
  for (const [name, v] of model.namedWeights()) values.set(name, tf.randomNormal(v.shape, 0, 0.2, 'float32', s++));
  model.params.assign(values);
  values.forEach((t) => t.dispose());
}

export function randomClips(B: number, T: number, size: number, seed = 7): tf.Tensor {
  return tf.randomNormal([B, T, size, size, 3], 0, 1, 'float32', seed);
}

/** Whether one of the optional TensorFlow packages installed (never, on machines without access to its download). */
export function tensorflowInstalled(): boolean {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      // not installed
    }
  }
  return false;
}
