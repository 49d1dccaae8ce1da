// Parameter initialisation as VisionTransformer.__init__ / _init_weights do it (docs/notes/cover-spec.md §1.7):
// trunc_normal(std .02) for linear weights, cls_token and pos_embed; PyTorch's default Conv2d init for the patch
// projection (param_spec.ts); zeros for linear biases, time_embed and every temporal_fc; LayerNorm weight 1, bias 0.

import * as tf from '@tensorflow/tfjs-core';
import { ParamSpec, internalShape } from './param_spec';

export const INIT_STD = 0.02;

/**
 * Where the reference's trunc_normal_(std=.02) cuts: its bounds a=-2, b=2 are absolute values (timm / vit_utils.py
 * trunc_normal_(tensor, mean=0., std=1., a=-2., b=2.)), i.e. ±100 std at std .02, so the draw is N(0, .02) itself.
 * (tf.truncatedNormal cuts at ±2 std instead, which leaves a std of about .0176.)
 */
export const TRUNC_NORMAL_BOUND = 2;

/** A new tensor for `spec`, in cover's internal layout. Deterministic for a given seed. */
export function initTensor(spec: ParamSpec, seed: number): tf.Tensor {
  const shape = internalShape(spec);
  switch (spec.init) {
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
    case 'normal':
      return tf.randomNormal(shape, 0, spec.std ?? INIT_STD, 'float32', seed);
    case 'trunc_normal':
      // Clipping at ±2 equals the reference's resampling there: a value beyond 100 std never occurs.
      return tf.tidy(() => tf.clipByValue(tf.randomNormal(shape, 0, INIT_STD, 'float32', seed), -TRUNC_NORMAL_BOUND, TRUNC_NORMAL_BOUND));
    case 'uniform': {
      const b = spec.bound;
      if (!(b !== undefined && b > 0)) throw new Error(`init: ${spec.name} is 'uniform' without a bound`);
      return tf.randomUniform(shape, -b, b, 'float32', seed);
    }
    default: {
      const never: never = spec.init;
      throw new Error(`unknown init ${never}`);
    }
  }
}

/** A stable per-parameter seed from a model seed and the parameter's name, so adding a head does not change the backbone. */
export function paramSeed(seed: number, name: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % 2 ** 31;
}
