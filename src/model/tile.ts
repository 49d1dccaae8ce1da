// tf.tile with a gradient of three kernels. tfjs's own Tile gradient slices dy once per repetition and adds the slices
// up: the CLS row tiled to B*T frames cost a `small` step of 8 clips 64 Slice and 64 Add kernels, and the CLS copies per
// frame 8 of each per block. Here dy [r0*s0, r1*s1, ...] is viewed as [r0, s0, r1, s1, ...] (tile repeats whole blocks,
// so along each axis the repetition is the outer index) and summed over the r axes.

import * as tf from '@tensorflow/tfjs-core';

/** x tiled `reps` times along each axis, as tf.tile; its gradient is one Reshape, one Sum and one Reshape. */
export function tile(x: tf.Tensor, reps: number[]): tf.Tensor {
  if (reps.length !== x.rank) throw new Error(`tile: ${reps.length} repetitions for a rank-${x.rank} tensor`);
  const shape = x.shape;
  const split = shape.flatMap((s, i) => [reps[i], s]); // [r0, s0, r1, s1, ...]
  const outer = reps.map((_, i) => 2 * i); // the r axes
  const op = tf.customGrad(((t: tf.Tensor) => ({
    value: tf.tile(t, reps),
    gradFunc: (dy: tf.Tensor) => tf.reshape(tf.sum(tf.reshape(dy, split), outer), shape),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}
