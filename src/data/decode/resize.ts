// The one scaler of decoded video frames: every clip a sample uses, whether decoded per request (in process or by an
// ffmpeg process) or cut from a whole video held in memory, arrives at the source's own size and is scaled here, so
// the three paths give the same pixels, byte for byte. Bilinear with half-pixel centres and no antialiasing, as
// PySlowFast's random_short_side_scale_jitter (torch.nn.functional.interpolate, mode="bilinear", align_corners=False)
// scales the frames its decoder returns at their own size; weights in 11-bit fixed point (as OpenCV's INTER_LINEAR),
// so the result is within one grey level of the exact float one and the same in any language.
//
// Two implementations of the same integer arithmetic: scaleFrames here, and the in-process decoder's scale (av/src/
// scale.cc), which runs on the decode pool, off the JS thread, ~5x faster; scaleClip takes the addon's where it is
// built. test/data/resize.test.ts holds them to the same bytes.
//
// Separable: each source row a frame needs is interpolated along x once, then output rows blend two of those along y.
//
// Shapes: [T, H, W, 3] uint8 in and out, row-major.

import { Frames } from './transforms';
import { loadAv } from './video/av_addon';

/** Weights are fixed point with this many fractional bits (OpenCV's INTER_LINEAR uses 11 for 8-bit images). */
const BITS = 11;
const ONE = 1 << BITS;

/** Where output column or row i samples the source: the two source indices and the weight of the second, of ONE. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  w: Int32Array;
}

/** Taps of an axis of `n` outputs over `src` inputs: half-pixel centres, clamped at the edges. */
function taps(n: number, src: number): Taps {
  const scale = src / n;
  const t: Taps = { i0: new Int32Array(n), i1: new Int32Array(n), w: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const s = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), src - 1);
    const i0 = Math.floor(s);
    t.i0[i] = i0;
    t.i1[i] = Math.min(i0 + 1, src - 1);
    t.w[i] = Math.round((s - i0) * ONE);
  }
  return t;
}

/**
 * Every frame of `src` scaled to width x height (src itself when it has that size already).
 * @example
 * scaleFrames({ frames: 8, width: 64, height: 48, data }, 42, 32).data.length // 8 * 32 * 42 * 3
 */
export function scaleFrames(src: Frames, width: number, height: number): Frames {
  const { frames: T, width: sw, height: sh, data } = src;
  if (sw === width && sh === height) return src;
  const out = new Uint8Array(T * height * width * 3); // [T, H, W, 3]
  const xs = taps(width, sw);
  const ys = taps(height, sh);
  // Byte offsets and weights per output value along x (3 per column), so the row loop is one flat pass.
  const row = width * 3;
  const a = new Int32Array(row);
  const b = new Int32Array(row);
  const wa = new Int32Array(row);
  const wb = new Int32Array(row);
  for (let x = 0; x < width; x++) {
    for (let c = 0; c < 3; c++) {
      a[x * 3 + c] = xs.i0[x] * 3 + c;
      b[x * 3 + c] = xs.i1[x] * 3 + c;
      wa[x * 3 + c] = ONE - xs.w[x];
      wb[x * 3 + c] = xs.w[x];
    }
  }
  // Two source rows interpolated along x (values up to 255 * ONE): the pair the current output row blends, kept while
  // the next output row needs them.
  const rows = [new Int32Array(row), new Int32Array(row)];
  const half = 1 << (2 * BITS - 1);
  for (let t = 0; t < T; t++) {
    const frame = t * sh * sw * 3;
    let haveA = -1; // the source row in rows[0], -1: none
    let haveB = -1; // in rows[1]
    for (let y = 0; y < height; y++) {
      const y0 = ys.i0[y];
      const y1 = ys.i1[y];
      if (y0 !== haveA) {
        if (y0 === haveB) {
          rows.reverse();
          haveB = -1;
        } else interpolateRow(data, frame + y0 * sw * 3, a, b, wa, wb, rows[0]);
        haveA = y0;
      }
      if (y1 !== haveB) {
        interpolateRow(data, frame + y1 * sw * 3, a, b, wa, wb, rows[1]);
        haveB = y1;
      }
      blendRows(rows[0], rows[1], ONE - ys.w[y], ys.w[y], half, out, (t * height + y) * row);
    }
  }
  return { data: out, frames: T, width, height };
}

/** One source row (starting at byte `base`) interpolated along x into `dst`. */
function interpolateRow(data: Uint8Array, base: number, a: Int32Array, b: Int32Array, wa: Int32Array, wb: Int32Array, dst: Int32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = data[base + a[i]] * wa[i] + data[base + b[i]] * wb[i];
}

/** One output row from two x-interpolated rows: up to 255 * ONE * ONE (< 2^31), int32 throughout, rounded half up. */
function blendRows(top: Int32Array, bottom: Int32Array, wTop: number, wBottom: number, half: number, out: Uint8Array, at: number): void {
  for (let i = 0; i < top.length; i++) out[at + i] = (top[i] * wTop + bottom[i] * wBottom + half) >> (2 * BITS);
}

/**
 * scaleFrames on the in-process decoder's pool where the addon is built (and has scale: builds before it lack it),
 * else in JS: the same bytes either way.
 */
export async function scaleClip(src: Frames, width: number, height: number): Promise<Frames> {
  if (src.width === width && src.height === height) return src;
  const av = loadAv().addon;
  if (typeof av?.scale !== 'function') return scaleFrames(src, width, height);
  const r = await av.scale(src.data, { frames: src.frames, width: src.width, height: src.height, toWidth: width, toHeight: height });
  return { data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength), frames: src.frames, width, height };
}
