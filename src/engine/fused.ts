// Whether the model's fused LayerNorm, GELU and attention kernels (and the bias-in-matmul Linear) run on the active
// backend: the wasm backend with the native accelerator active (engine/accel), or any other backend that registers all
// of cover's fused kernels (the torch backend does). The model asks this and nothing backend-specific.

import * as tf from '@tensorflow/tfjs-core';
import { activeNative } from './accel/accel';
import { FUSED_KERNELS } from './accel/fused_kernels';

export const FUSED_KERNEL_NAMES = FUSED_KERNELS;

/** Whether the active backend runs cover's fused kernels now. */
export function fusedKernelsAvailable(): boolean {
  const backend = tf.getBackend();
  // On wasm the kernels stay registered after `--accel off`; the accelerator's switch decides.
  if (backend === 'wasm') return activeNative() !== null;
  for (const name of Object.values(FUSED_KERNELS)) if (!tf.getKernel(name, backend)) return false;
  return true;
}

/** Whether these tensors can take the fused path: available on this backend, every tensor float32 and non-empty. */
export function canFuse(...tensors: tf.Tensor[]): boolean {
  return fusedKernelsAvailable() && tensors.every((t) => t.dtype === 'float32' && t.size > 0);
}
