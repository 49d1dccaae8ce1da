// Tensor layouts between the reference PyTorch state_dict and cover's internal variables (src/model/param_spec.ts
// `Layout`), and the nearest-neighbour resampling of the position and time embeddings that both the weight loaders
// and the model's forward use (TimeSformer vit.py VisionTransformer.forward_features; docs/notes/cover-spec.md §1.3).
// Pure Float32Array functions: no tfjs, so checkpoints can be converted without a backend.
//
// Shape legend: D embed, C input channels, p patch size, N = gh*gw patches, T frames.

import { Layout } from '../model/param_spec';
import { nearestSourceIndex } from '../model/resample';

/** Reference layout -> cover's. `same` returns `data` itself (no copy). */
export function toInternal(data: Float32Array, refShape: number[], layout: Layout): Float32Array {
  checkLength(data, refShape);
  switch (layout) {
    case 'linear': {
      const [out, inF] = refShape;
      return transpose2d(data, out, inF); // [out, in] -> [in, out]
    }
    case 'patch': {
      const [D, C, ph, pw] = refShape;
      // conv [D, C, p, p] -> [p*p*C, D], row (i*p + j)*C + c: conv weight transposed [2,3,1,0] then reshaped.
      const out = new Float32Array(data.length);
      for (let d = 0; d < D; d++)
        for (let c = 0; c < C; c++)
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++) out[((i * pw + j) * C + c) * D + d] = data[((d * C + c) * ph + i) * pw + j];
      return out;
    }
    case 'same':
      return data;
    default: {
      const never: never = layout;
      throw new Error(`unknown layout ${never}`);
    }
  }
}

/** cover's layout -> the reference's (the inverse of toInternal). `same` returns `data` itself (no copy). */
export function toReference(data: Float32Array, refShape: number[], layout: Layout): Float32Array {
  checkLength(data, refShape);
  switch (layout) {
    case 'linear': {
      const [out, inF] = refShape;
      return transpose2d(data, inF, out); // [in, out] -> [out, in]
    }
    case 'patch': {
      const [D, C, ph, pw] = refShape;
      const out = new Float32Array(data.length); // [p*p*C, D] -> [D, C, p, p]
      for (let d = 0; d < D; d++)
        for (let c = 0; c < C; c++)
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++) out[((d * C + c) * ph + i) * pw + j] = data[((i * pw + j) * C + c) * D + d];
      return out;
    }
    case 'same':
      return data;
    default: {
      const never: never = layout;
      throw new Error(`unknown layout ${never}`);
    }
  }
}

function checkLength(data: Float32Array, shape: number[]): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`layout: ${data.length} values do not fill shape [${shape.join(',')}]`);
}

/** [rows, cols] -> [cols, rows]. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

export type Grid = number | [number, number];

function gridHW(g: Grid): [number, number] {
  return typeof g === 'number' ? [g, g] : g;
}

/**
 * Resizes a position embedding [1, 1+gh*gw, D] to another patch grid by 2-D nearest interpolation of the patch part
 * (row-major grid, row h*gw + w); the CLS entry (row 0) is kept. Same rule as the reference forward and HF's
 * TimesformerEmbeddings. Returns `data` itself when the grids are equal.
 *
 * @example
 * resamplePosEmbed(pos, 768, 14, 28).length; // (1 + 28*28) * 768
 */
export function resamplePosEmbed(data: Float32Array, D: number, fromGrid: Grid, toGrid: Grid): Float32Array {
  const [fh, fw] = gridHW(fromGrid);
  const [th, tw] = gridHW(toGrid);
  if (data.length !== (1 + fh * fw) * D) {
    throw new Error(`resamplePosEmbed: ${data.length} values are not [1, 1+${fh}*${fw}, ${D}]`);
  }
  if (fh === th && fw === tw) return data;
  const out = new Float32Array((1 + th * tw) * D); // [1, 1+th*tw, D]
  out.set(data.subarray(0, D), 0); // CLS entry
  for (let y = 0; y < th; y++) {
    const sy = nearestSourceIndex(y, fh, th);
    for (let x = 0; x < tw; x++) {
      const sx = nearestSourceIndex(x, fw, tw);
      const src = (1 + sy * fw + sx) * D;
      out.set(data.subarray(src, src + D), (1 + y * tw + x) * D);
    }
  }
  return out;
}

/**
 * Resizes a time embedding [1, fromT, D] to [1, toT, D] by 1-D nearest interpolation (T=1 always takes row 0).
 * Returns `data` itself when the lengths are equal.
 */
export function resampleTimeEmbed(data: Float32Array, D: number, fromT: number, toT: number): Float32Array {
  if (data.length !== fromT * D) throw new Error(`resampleTimeEmbed: ${data.length} values are not [1, ${fromT}, ${D}]`);
  if (fromT === toT) return data;
  const out = new Float32Array(toT * D); // [1, toT, D]
  for (let t = 0; t < toT; t++) {
    const s = nearestSourceIndex(t, fromT, toT);
    out.set(data.subarray(s * D, (s + 1) * D), t * D);
  }
  return out;
}
