// Whether the model's fused LayerNorm, GELU and attention kernels (and the bias-in-matmul Linear) run on the active
// backend: the wasm backend with the native accelerator active (engine/accel), or any other backend that registers all
// of cover's fused kernels (the torch backend does). The model asks this and nothing backend-specific.
// Likewise the whole-step fused updates (the optimizer over every parameter and the global gradient norm, each one native
// call): the optimizer and the train step ask fusedStep(), which answers with the active backend's implementation.

import * as tf from '@tensorflow/tfjs-core';
import { activeNative } from './accel/accel';
import { FUSED_KERNELS, fusable, fusedAdamW, FusedAdamWArgs, fusedGlobalNormSq, fusedSgd, FusedSgdArgs } from './accel/fused_kernels';

export const FUSED_KERNEL_NAMES = FUSED_KERNELS;
export type { FusedAdamWArgs, FusedSgdArgs };

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

/**
 * A backend's whole-step updates: every parameter and slot updated in place in one native call, with the math of the
 * per-parameter tfjs ops in src/train/optimizer.ts. weightDecay[i], m[i], v[i] and bufs[i] belong to params[i].
 */
export interface FusedStep {
  adamW(params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[], v: tf.Variable[], weightDecay: number[], a: FusedAdamWArgs): void;
  /** `bufs` is empty without momentum. */
  sgd(params: tf.Variable[], grads: tf.Tensor[], bufs: tf.Variable[], weightDecay: number[], a: FusedSgdArgs): void;
  /** Sum of squares of every element of every tensor (double accumulation): the global norm squared. */
  globalNormSq(grads: tf.Tensor[]): number;
}

const WASM_STEP: FusedStep = { adamW: fusedAdamW, sgd: fusedSgd, globalNormSq: fusedGlobalNormSq };
const steps = new Map<string, FusedStep>();

/** Registers a backend's fused step (the torch backend does when it starts). */
export function registerFusedStep(backend: string, step: FusedStep): void {
  steps.set(backend, step);
}

/** The active backend's fused step when these tensors can take it (float32, non-empty), else null: the tfjs ops then. */
export function fusedStep(...tensors: tf.Tensor[]): FusedStep | null {
  const backend = tf.getBackend();
  if (backend === 'wasm') return activeNative() && fusable(...tensors) ? WASM_STEP : null;
  const step = steps.get(backend);
  return step && tensors.every((t) => t.dtype === 'float32' && t.size > 0) ? step : null;
}
