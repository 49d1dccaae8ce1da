// Parameter initialisation as VisionTransformer.__init__ / _init_weights do it (cover-spec.md §1.7): trunc_normal(std .02)
// for linear weights, the patch projection, cls_token and pos_embed; zeros for biases, time_embed and every temporal_fc;
// LayerNorm weight 1, bias 0.

import * as tf from '@tensorflow/tfjs-core';
import { ParamSpec, internalShape } from './param_spec';

export const INIT_STD = 0.02;

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
      // timm truncates at +-2 (absolute), i.e. +-100 std at std .02; tf.truncatedNormal at 2 std. Both are N(0, .02) in practice.
      return tf.truncatedNormal(shape, 0, INIT_STD, 'float32', seed);
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
