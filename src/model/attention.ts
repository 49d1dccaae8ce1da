// Multi-head self-attention, as the reference's Attention (vit.py): qkv = Linear(D, 3D) whose output rows are ordered
// [q (all heads) | k | v], each head a contiguous Dh chunk; softmax(q k^T * Dh^-0.5) v; heads merged; proj = Linear(D, D).
// Shape legend: Bx independent sequences (clips, frames or patch locations), S tokens, D embed, H heads, Dh = D / H.
// Where the backend has cover's fused kernels (engine/fused.ts) and there is no attention dropout, the core (qkv -> heads
// merged) is one fused kernel that reads q, k, v in place; otherwise it is the tfjs ops below.

import * as tf from '@tensorflow/tfjs-core';
import { canFuse, fusedAttentionCore } from '../engine/fused';
import { ForwardContext } from './context';
import { dropout } from './dropout';
import { linear } from './linear';
import { ParamStore } from './params';

export interface AttentionOpts {
  numHeads: number;
  attnDropRate: number;
  projDropRate: number;
}

/** x [Bx, S, D] -> [Bx, S, D], with weights `${prefix}.qkv.*` and `${prefix}.proj.*`. */
export function attention(x: tf.Tensor, params: ParamStore, prefix: string, opts: AttentionOpts, ctx: ForwardContext): tf.Tensor {
  return tf.tidy(() => {
    const [Bx, S, D] = x.shape;
    const H = opts.numHeads;
    const Dh = D / H;
    const qkvBias = params.has(`${prefix}.qkv.bias`) ? params.get(`${prefix}.qkv.bias`) : null;
    const qkv = linear(x, params.get(`${prefix}.qkv.weight`), qkvBias); // [Bx, S, 3D]
    const attnDropActive = ctx.training && opts.attnDropRate > 0;
    const merged = !attnDropActive && canFuse(qkv)
      ? fusedAttentionCore(qkv, H, Dh ** -0.5) // [Bx, S, D]
      : attentionCore(qkv, [Bx, S, H, Dh], opts, ctx);
    const out = linear(merged, params.get(`${prefix}.proj.weight`), params.get(`${prefix}.proj.bias`));
    return dropout(out, opts.projDropRate, ctx);
  });
}

/** qkv [Bx, S, 3D] -> softmax(q k^T * Dh^-0.5) v with the heads merged, [Bx, S, D], in tfjs ops. */
export function attentionCore(qkv: tf.Tensor, [Bx, S, H, Dh]: number[], opts: AttentionOpts, ctx: ForwardContext): tf.Tensor {
  const D = H * Dh;
  // Split q | k | v on the feature axis, then heads to the batch axis with 4-D transposes: tfjs-wasm's transpose is
  // fast up to rank 4 and ~70x slower on the rank-5 permutation the reference writes ([Bx, S, 3, H, Dh] -> [3, Bx, H, S, Dh]).
  const toHeads = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [Bx, S, H, Dh]), [0, 2, 1, 3]), [Bx * H, S, Dh]); // [Bx, S, D] -> [Bx*H, S, Dh]
  const [q, k, v] = tf.split(qkv, 3, 2).map(toHeads) as tf.Tensor3D[]; // each [Bx*H, S, Dh]
  const scores = tf.matMul(tf.mul(q, Dh ** -0.5), k, false, true); // [Bx*H, S, S]
  const probs = dropout(tf.softmax(scores, -1), opts.attnDropRate, ctx);
  const ctxv = tf.matMul(probs, v); // [Bx*H, S, Dh]
  return tf.reshape(tf.transpose(tf.reshape(ctxv, [Bx, H, S, Dh]), [0, 2, 1, 3]), [Bx, S, D]); // heads merged
}
