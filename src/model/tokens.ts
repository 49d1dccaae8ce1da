// The token layout inside the TimeSformer blocks, written down once.
//
// A clip of T frames with N = Hp*Wp patches per frame becomes one sequence of 1 + N*T tokens: one CLS token for the whole
// clip, then the patch tokens in the reference's order `b (h w t) m` — space-major, time-minor:
//     token index of patch n (= h*Wp + w) in frame t  =  1 + n*T + t
// Every reshape in block.ts and timesformer.ts relies on this order, and so do reference checkpoints' semantics.
//
// Shape legend used across the model: B clips, T frames, N patches per frame, D embed, H heads, Dh = D/H.

import * as tf from '@tensorflow/tfjs-core';

/** [B, N*T, D] in (n t) order -> [B*N, T, D]: one sequence per patch location, for temporal attention. */
export function toTemporalGroups(p: tf.Tensor, B: number, N: number, T: number): tf.Tensor {
  const D = p.shape[2] as number;
  return tf.reshape(p, [B * N, T, D]);
}

/** [B*N, T, D] -> [B, N*T, D]. */
export function fromTemporalGroups(g: tf.Tensor, B: number, N: number, T: number): tf.Tensor {
  const D = g.shape[2] as number;
  return tf.reshape(g, [B, N * T, D]);
}

/** [B, N*T, D] in (n t) order -> [B*T, N, D]: one sequence per frame, for spatial attention. */
export function toSpatialGroups(p: tf.Tensor, B: number, N: number, T: number): tf.Tensor {
  const D = p.shape[2] as number;
  return tf.reshape(tf.transpose(tf.reshape(p, [B, N, T, D]), [0, 2, 1, 3]), [B * T, N, D]); // b (n t) m -> (b t) n m
}

/** [B*T, N, D] -> [B, N*T, D] in (n t) order. */
export function fromSpatialGroups(s: tf.Tensor, B: number, N: number, T: number): tf.Tensor {
  const D = s.shape[2] as number;
  return tf.reshape(tf.transpose(tf.reshape(s, [B, T, N, D]), [0, 2, 1, 3]), [B, N * T, D]); // (b t) n m -> b (n t) m
}
