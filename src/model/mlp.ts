// The transformer MLP of the reference (vit.py Mlp): fc1 (D -> 4D), exact GELU, dropout, fc2 (4D -> D), dropout.

import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from './context';
import { dropout } from './dropout';
import { gelu } from './gelu';
import { linear } from './linear';
import { ParamStore } from './params';

/** x [..., D] -> [..., D] with weights `${prefix}.fc1.*`, `${prefix}.fc2.*`. */
export function mlp(x: tf.Tensor, params: ParamStore, prefix: string, dropRate: number, ctx: ForwardContext): tf.Tensor {
  return tf.tidy(() => {
    const h = gelu(linear(x, params.get(`${prefix}.fc1.weight`), params.get(`${prefix}.fc1.bias`))); // [..., 4D]
    const y = linear(dropout(h, dropRate, ctx), params.get(`${prefix}.fc2.weight`), params.get(`${prefix}.fc2.bias`)); // [..., D]
    return dropout(y, dropRate, ctx);
  });
}
