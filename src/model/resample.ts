// Nearest-neighbour resampling of the learned embeddings, the rule the reference applies at run time
// (vit.py forward_features): the spatial position embedding's patch grid by 2-D nearest (F.interpolate mode='nearest'),
// the time embedding by 1-D nearest. PyTorch's nearest picks source index floor(dst * in / out) (clamped), so T=1 always
// takes time_embed[0]. Written once here and used by the forward pass and by the weight importers.

import * as tf from '@tensorflow/tfjs-core';

/**
 * Source index of PyTorch `F.interpolate(mode='nearest')` for output index `dst` (aten UpSample.h nearest_idx): the scale
 * is the float32 `in / out` and the index `floorf(dst * scale)`, clamped to `in - 1`. This is floor(dst * in / out) except
 * where float32 rounding lands just below an integer (in 26, out 22, dst 11 gives 12, not 13), kept so that resized
 * embeddings match the reference bit for bit.
 */
export function nearestSourceIndex(dst: number, inSize: number, outSize: number): number {
  if (outSize === inSize) return dst;
  if (outSize === 2 * inSize) return dst >> 1;
  const scale = Math.fround(inSize / outSize);
  return Math.min(Math.floor(Math.fround(dst * scale)), inSize - 1);
}

/** Source index for each destination index, PyTorch 'nearest' semantics. */
export function nearestIndices(outSize: number, inSize: number): number[] {
  return Array.from({ length: outSize }, (_, i) => nearestSourceIndex(i, inSize, outSize));
}

/** Source row for each destination patch of an outH x outW grid taken from an inH x inW grid (row-major). */
export function nearestGridIndices(outH: number, outW: number, inH: number, inW: number): number[] {
  const rows = nearestIndices(outH, inH);
  const cols = nearestIndices(outW, inW);
  const idx: number[] = [];
  for (const r of rows) for (const c of cols) idx.push(r * inW + c);
  return idx;
}

/**
 * rows of `table` [I, D] picked by `indices` -> [O, D], as a one-hot [O, I] @ [I, D] product: differentiable on every
 * backend (tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks).
 */
export function selectRows(table: tf.Tensor2D, indices: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const I = table.shape[0];
    const onehot = new Float32Array(indices.length * I);
    indices.forEach((src, o) => (onehot[o * I + src] = 1));
    return tf.matMul(tf.tensor2d(onehot, [indices.length, I]), table);
  });
}

/** Plain-array version for weight conversion: rows of `data` ([I, D] row-major) picked by `indices`. */
export function selectRowsArray(data: Float32Array, D: number, indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * D);
  indices.forEach((src, o) => out.set(data.subarray(src * D, (src + 1) * D), o * D));
  return out;
}
