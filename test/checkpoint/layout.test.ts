import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resamplePosEmbed, resampleTimeEmbed, toInternal, toReference } from '../../src/checkpoint/layout';
import { nearestSourceIndex } from '../../src/model/resample';

beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in test output
  await tf.setBackend('cpu');
});

/** Deterministic pseudo-random values (no tfjs, no Math.random). */
function values(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

describe('linear layout', () => {
  it('stores nn.Linear [out, in] as [in, out] and converts back', () => {
    const ref = Float32Array.from([1, 2, 3, 4, 5, 6]); // [out 2, in 3]
    const internal = toInternal(ref, [2, 3], 'linear');
    expect(Array.from(internal)).toEqual([1, 4, 2, 5, 3, 6]); // [in 3, out 2]
    expect(toReference(internal, [2, 3], 'linear')).toEqual(ref);
  });

  it('x @ W_internal equals the reference x @ W^T + 0', () => {
    const [out, inF] = [5, 7];
    const W = values(out * inF, 3);
    const x = values(inF, 4);
    const internal = toInternal(W, [out, inF], 'linear');
    for (let o = 0; o < out; o++) {
      let ref = 0;
      let mine = 0;
      for (let i = 0; i < inF; i++) {
        ref += W[o * inF + i] * x[i];
        mine += x[i] * internal[i * out + o];
      }
      expect(mine).toBeCloseTo(ref, 6);
    }
  });
});

describe('patch layout', () => {
  const [D, C, p] = [4, 3, 3];
  const ref = values(D * C * p * p, 7); // conv weight [D, C, p, p]
  const internal = toInternal(ref, [D, C, p, p], 'patch'); // [p*p*C, D]

  it('puts pixel row i, column j, channel c of the patch at row (i*p + j)*C + c', () => {
    for (const [d, c, i, j] of [
      [0, 0, 0, 0],
      [3, 2, 2, 1],
      [1, 1, 0, 2],
      [2, 0, 1, 1],
    ]) {
      expect(internal[((i * p + j) * C + c) * D + d]).toBe(ref[((d * C + c) * p + i) * p + j]);
    }
    expect(toReference(internal, [D, C, p, p], 'patch')).toEqual(ref);
  });

  it('a flattened NHWC patch times the internal weight equals the conv computed by hand and by tf.conv2d', () => {
    const patch = values(p * p * C, 11); // one patch, [p, p, C] row-major = the flattening the model uses
    // By hand: out[d] = sum_{c,i,j} W[d, c, i, j] * x[i, j, c]  (PyTorch Conv2d, stride p, one output position)
    const byHand = new Float32Array(D);
    for (let d = 0; d < D; d++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) byHand[d] += ref[((d * C + c) * p + i) * p + j] * patch[(i * p + j) * C + c];
    // Through the internal layout: [1, p*p*C] @ [p*p*C, D]
    const viaDense = new Float32Array(D);
    for (let r = 0; r < p * p * C; r++) for (let d = 0; d < D; d++) viaDense[d] += patch[r] * internal[r * D + d];
    // tfjs conv2d on NHWC with the HWIO kernel = transpose(conv weight, [2, 3, 1, 0]).
    const viaConv = tf.tidy(() => {
      const kernel = tf.transpose(tf.tensor4d(ref, [D, C, p, p]), [2, 3, 1, 0]) as tf.Tensor4D; // [p, p, C, D]
      return tf.conv2d(tf.tensor4d(patch, [1, p, p, C]), kernel, p, 'valid').dataSync();
    });
    for (let d = 0; d < D; d++) {
      expect(viaDense[d]).toBeCloseTo(byHand[d], 5);
      expect(viaConv[d]).toBeCloseTo(byHand[d], 5);
    }
  });

  it('rejects data that does not fill the shape', () => {
    expect(() => toInternal(new Float32Array(5), [2, 3], 'linear')).toThrow(/5 values do not fill shape \[2,3\]/);
  });

  it('same is the identity', () => {
    const x = values(6);
    expect(toInternal(x, [1, 2, 3], 'same')).toBe(x);
    expect(toReference(x, [1, 2, 3], 'same')).toBe(x);
  });
});

describe('nearest resampling (PyTorch F.interpolate mode=nearest)', () => {
  it('source index floorf(dst * float32(in / out)), clamped', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((t) => nearestSourceIndex(t, 4, 8))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect([0, 1, 2, 3].map((t) => nearestSourceIndex(t, 8, 4))).toEqual([0, 2, 4, 6]);
    expect([0, 1, 2, 3, 4].map((t) => nearestSourceIndex(t, 3, 5))).toEqual([0, 0, 1, 1, 2]);
    expect(nearestSourceIndex(0, 8, 1)).toBe(0);
    // float32 scale fround(26/22) = 1.18181813 makes dst 11 land just below 13 -> 12 (exact arithmetic gives 13),
    // as aten's floorf(dst * scale) does.
    expect(nearestSourceIndex(11, 26, 22)).toBe(12);
    expect(nearestSourceIndex(23, 14, 46)).toBe(6);
    expect(nearestSourceIndex(12, 26, 22)).toBe(14);
  });

  it('resamplePosEmbed keeps the CLS row and picks grid cells in 2-D', () => {
    const D = 2;
    // [1, 1 + 2*2, D]: CLS = (100, 101), cell (y, x) = (10y + x, -(10y + x))
    const pos = Float32Array.from([100, 101, 0, -0, 1, -1, 10, -10, 11, -11]);
    const up = resamplePosEmbed(pos, D, 2, 4); // [1, 1 + 16, D]
    expect(up.length).toBe(17 * D);
    expect(Array.from(up.subarray(0, 2))).toEqual([100, 101]);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        const v = 10 * (y >> 1) + (x >> 1);
        expect(up[(1 + y * 4 + x) * D]).toBe(v);
        expect(up[(1 + y * 4 + x) * D + 1]).toBe(-v);
      }
    const down = resamplePosEmbed(up, D, 4, 2);
    expect(down).toEqual(pos);
    expect(resamplePosEmbed(pos, D, 2, 2)).toBe(pos);
    // Non-square target grid (HF interpolates to (patch_height, patch_width)).
    const rect = resamplePosEmbed(pos, D, 2, [1, 2]);
    expect(Array.from(rect)).toEqual([100, 101, 0, -0, 1, -1]);
    expect(() => resamplePosEmbed(pos, 3, 2, 4)).toThrow(/not \[1, 1\+2\*2, 3\]/);
  });

  it('resampleTimeEmbed picks rows in 1-D; T=1 always takes row 0', () => {
    const D = 3;
    const te = Float32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]); // [1, 4, D], row t = t
    const rows = (x: Float32Array) => Array.from({ length: x.length / D }, (_, t) => x[t * D]);
    expect(rows(resampleTimeEmbed(te, D, 4, 8))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(rows(resampleTimeEmbed(te, D, 4, 2))).toEqual([0, 2]);
    expect(rows(resampleTimeEmbed(te, D, 4, 1))).toEqual([0]);
    expect(rows(resampleTimeEmbed(te, D, 4, 3))).toEqual([0, 1, 2]);
    expect(resampleTimeEmbed(te, D, 4, 4)).toBe(te);
  });
});
