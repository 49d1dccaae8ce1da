// LayerNorm over the last axis (nn.LayerNorm(D, eps=1e-6) in the reference; biased variance, as PyTorch).
// Where the backend has cover's fused kernels (engine/fused.ts: wasm with the native accelerator, torch) it is one fused
// kernel forward and one backward.

import * as tf from '@tensorflow/tfjs-core';
import { canFuse, fusedLayerNorm } from '../engine/fused';

/** x [..., D] -> [..., D]: (x - mean) / sqrt(var + eps) * weight + bias. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (canFuse(x, weight, bias)) return fusedLayerNorm(x, weight, bias, eps);
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // [..., 1]
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, weight), bias);
  });
}
