// Exact (erf) GELU, PyTorch's nn.GELU default: 0.5 x (1 + erf(x / sqrt 2)). The tanh approximation would drift from the
// reference by ~1e-3. The gradient is written out (cdf + x pdf) so backward is three elementwise ops, not erf's chain.
// Where the backend has cover's fused kernels (engine/fused.ts), forward and backward are one kernel each.

import * as tf from '@tensorflow/tfjs-core';
import { canFuse, fusedGelu } from '../engine/fused';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluExact = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, INV_SQRT2)), 1), 0.5); // Phi(x)
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, cdfs] = saved;
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), INV_SQRT_2PI); // phi(x)
      return [tf.mul(dy, tf.add(cdfs, tf.mul(xs, pdf)))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function gelu(x: tf.Tensor): tf.Tensor {
  if (canFuse(x)) return fusedGelu(x);
  return geluExact(x);
}
