// Dropout and DropPath (stochastic depth), active only in training. DropPath follows timm's drop_path: one Bernoulli
// draw per row of the leading axis, scaled by 1/keep. The reference applies it to whatever tensor the branch produced,
// so for temporal attention a "row" is one patch location of one clip ((b h w)), for spatial attention one frame ((b t)).

import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from './context';

export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate === 0) return x;
  return tf.dropout(x, rate, undefined, ctx.nextSeed());
}

/** x [R, ...] -> x * mask[R, 1, ...] / keep. */
export function dropPath(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate === 0) return x;
  return tf.tidy(() => {
    const keep = 1 - rate;
    const maskShape = [x.shape[0], ...new Array(x.rank - 1).fill(1)];
    const mask = tf.floor(tf.add(tf.randomUniform(maskShape, 0, 1, 'float32', ctx.nextSeed()), keep));
    return tf.mul(x, tf.div(mask, keep));
  });
}

/** The reference's stochastic depth decay rule: dpr[i] = linspace(0, rate, depth)[i]. */
export function dropPathRates(rate: number, depth: number): number[] {
  if (depth === 1) return [0];
  return Array.from({ length: depth }, (_, i) => (rate * i) / (depth - 1));
}
