// nn.Linear as y = x @ W + b with W kept as [in, out].
// Where the backend has cover's fused kernels (engine/fused.ts: wasm with the native accelerator, torch), a linear layer
// is one kernel forward and one backward (dx, dW and db together), on any leading shape. Elsewhere (plain wasm, cpu) it
// is tfjs's matMul with a hand-written gradient: on tfjs's wasm backend only plain (non-transposed, batch-1) matMuls
// reach XNNPACK (~40 GFLOP/s); tfjs's own matMul gradient uses transposeA/transposeB and runs at ~3 GFLOP/s, so training
// is 5x slower with it (docs/notes/engine-probe.md §2.3). There every backward matMul is plain, after an explicit
// transpose, and the bias gradient is a [1, M] @ dy product instead of a column Sum (slow on wasm).

import * as tf from '@tensorflow/tfjs-core';
import { canFuse, fusedLinear } from '../engine/fused';

type Grad2 = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
type Grad3 = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

// x [M, K], w [K, N], b [N] -> [M, N]
const denseWithBias = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const M = xs.shape[0];
      return [
        tf.matMul(dy, tf.transpose(ws)), // dX [M, K] = dy [M, N] @ W^T [N, K]
        tf.matMul(tf.transpose(xs), dy), // dW [K, N] = X^T [K, M] @ dy [M, N]
        tf.reshape(tf.matMul(tf.ones([1, M]), dy), [dy.shape[1]]), // db [N] = 1 [1, M] @ dy
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Grad3;

// x [M, K], w [K, N] -> [M, N]
const denseNoBias = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Grad2;

/**
 * Applies a linear layer to the last axis of `x`: [..., K] -> [..., N].
 * `w` is [K, N] (cover's internal layout of the reference's [N, K] weight); `b` is [N] or null.
 */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  const K = x.shape[x.rank - 1];
  const [wK, N] = w.shape;
  if (K !== wK) throw new Error(`linear: input has ${K} features, weight expects ${wK}`);
  if (canFuse(x, w, ...(b ? [b] : []))) return fusedLinear(x, w, b);
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, K]) as tf.Tensor2D; // [..., K] -> [M, K]
    const y = b ? denseWithBias(x2, w as tf.Tensor2D, b as tf.Tensor1D) : denseNoBias(x2, w as tf.Tensor2D);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, N]); // [M, N] -> [..., N]
  });
}
