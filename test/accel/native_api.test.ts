// The addon's core kernels called directly (native/index.d.ts), against plain-JS double-precision references, on sizes
// that do and do not divide by the thread count; and bad arguments throw TypeError/RangeError instead of crashing.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadNative, NativeAddon } from '../../src/engine/accel/native';

const addon = loadNative().addon;
const d = addon ? describe : describe.skip;

/** Deterministic values in [lo, hi) (a small LCG, so failures reproduce). */
function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (!(Number.isNaN(w) && Number.isNaN(g))) throw new Error(`element ${i}: got ${g}, want ${w}`);
      continue;
    }
    if (w === g) continue; // infinities included
    const err = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  if (at >= 0) throw new Error(`element ${at}: got ${got[at]}, want ${want[at]} (rtol ${rtol}, atol ${atol})`);
}

/** Bitwise equality (NaN included), without jest's slow deep equality on 100K-element arrays. */
function expectSameBits(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length), w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < w.length; i++) {
    if (g[i] !== w[i]) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (bitwise)`);
  }
}

/**
 * fn throws an error named `name` (TypeError/RangeError). Checked by name: the addon's errors come from Node's own
 * realm, not from the jest sandbox's, so `toThrow(TypeError)` would compare different constructors.
 */
function throwsA(fn: () => unknown, name: string): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).not.toBeNull();
  expect((caught as Error).name).toBe(name);
  expect((caught as Error).message).toMatch(/^(gemm|binary|unary|reduce|transpose|softmax): /);
}

/**
 * Runs fn with 1 thread and with 2 and restores the thread count. Both must give the same bits, except gemm (`atol`
 * given): the BLAS may accumulate a row split at another boundary in another order.
 */
function sameOnAnyThreadCount(a: NativeAddon, fn: () => Float32Array, atol?: number): Float32Array {
  const before = a.info().threads;
  try {
    a.setThreads(1);
    const one = fn().slice();
    a.setThreads(2);
    const two = fn().slice();
    if (atol === undefined) expectSameBits(two, one);
    else expectClose(two, one, 1e-5, atol);
    return two;
  } finally {
    a.setThreads(before);
  }
}

d('native core kernels (direct calls)', () => {
  const a = addon as NativeAddon;

  test('exports the op tables in code order', () => {
    expect(a.binaryOps.slice(0, 8)).toEqual(['add', 'sub', 'mul', 'div', 'pow', 'sqdiff', 'max', 'min']);
    expect(a.unaryOps.slice(0, 12)).toEqual(['exp', 'log', 'neg', 'abs', 'sqrt', 'rsqrt', 'square', 'tanh', 'sigmoid', 'erf', 'relu', 'reciprocal']);
    expect(a.reduceOps).toEqual(['sum', 'mean', 'max', 'min', 'prod']);
  });

  describe('gemm', () => {
    function refGemm(A: Float32Array, B: Float32Array, batch: number, M: number, N: number, K: number, tA: boolean, tB: boolean, sA: number, sB: number): Float64Array {
      const C = new Float64Array(batch * M * N);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) {
              const av = A[b * sA + (tA ? k * M + i : i * K + k)];
              const bv = B[b * sB + (tB ? j * K + k : k * N + j)];
              s += av * bv;
            }
            C[(b * M + i) * N + j] = s;
          }
        }
      }
      return C;
    }
    const cases: [batch: number, M: number, N: number, K: number][] = [
      [1, 1, 1, 1], [1, 5, 7, 3], [1, 300, 129, 67], [1, 9, 301, 200], [4, 8, 8, 64], [7, 17, 13, 5], [3, 64, 70, 40],
    ];
    for (const [batch, M, N, K] of cases) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          test(`batch ${batch} ${M}x${N}x${K} transA=${tA} transB=${tB}`, () => {
            const A = rand(batch * M * K, 1), B = rand(batch * K * N, 2);
            const C = new Float32Array(batch * M * N);
            const got = sameOnAnyThreadCount(a, () => {
              a.gemm(A, B, C, batch, M, N, K, tA, tB, M * K, K * N);
              return C;
            }, 1e-6 * K);
            expectClose(got, refGemm(A, B, batch, M, N, K, tA, tB, M * K, K * N), 1e-5, 1e-6 * K);
          });
        }
      }
    }
    test('stride 0 broadcasts one matrix over the batch', () => {
      const batch = 5, M = 6, N = 4, K = 3;
      const A = rand(batch * M * K, 3), B = rand(K * N, 4);
      const C = new Float32Array(batch * M * N);
      a.gemm(A, B, C, batch, M, N, K, false, false, M * K, 0);
      expectClose(C, refGemm(A, B, batch, M, N, K, false, false, M * K, 0), 1e-5, 1e-5);
      const A1 = rand(M * K, 5), B5 = rand(batch * K * N, 6);
      a.gemm(A1, B5, C, batch, M, N, K, true, false, 0, K * N);
      expectClose(C, refGemm(A1, B5, batch, M, N, K, true, false, 0, K * N), 1e-5, 1e-5);
    });
    test('K = 0 writes zeros; an empty batch touches nothing', () => {
      const C = new Float32Array(6).fill(7);
      a.gemm(new Float32Array(0), new Float32Array(0), C, 1, 2, 3, 0, false, false, 0, 0);
      expect(Array.from(C)).toEqual([0, 0, 0, 0, 0, 0]);
      const D = new Float32Array(2).fill(7);
      a.gemm(new Float32Array(0), new Float32Array(0), D, 0, 1, 2, 3, false, false, 3, 6);
      expect(Array.from(D)).toEqual([7, 7]);
    });
  });

  describe('binary', () => {
    const refs: Record<string, (x: number, y: number) => number> = {
      add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y, pow: (x, y) => Math.pow(x, y),
      sqdiff: (x, y) => (x - y) * (x - y), max: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)),
      min: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)),
    };
    function refBinary(f: (x: number, y: number) => number, A: Float32Array, B: Float32Array, shape: number[], sa: number[], sb: number[]): Float64Array {
      const n = shape.reduce((p, q) => p * q, 1);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let rest = i, oa = 0, ob = 0;
        for (let dim = shape.length - 1; dim >= 0; dim--) {
          const idx = rest % shape[dim];
          rest = Math.floor(rest / shape[dim]);
          oa += idx * sa[dim];
          ob += idx * sb[dim];
        }
        out[i] = f(A[oa], B[ob]);
      }
      return out;
    }
    // [name, outShape, aStrides, bStrides, aSize, bSize]
    const layouts: [string, number[], number[], number[], number, number][] = [
      ['same shape', [37, 41], [41, 1], [41, 1], 37 * 41, 37 * 41],
      ['scalar b', [70001], [1], [0], 70001, 1],
      ['scalar a', [5, 3], [0, 0], [3, 1], 1, 15],
      ['row broadcast [R,C] op [C]', [513, 129], [129, 1], [0, 1], 513 * 129, 129],
      ['column broadcast [R,C] op [R,1]', [513, 129], [129, 1], [1, 0], 513 * 129, 513],
      ['rank-5 general broadcast', [2, 3, 4, 5, 6], [0, 120, 30, 6, 1], [72, 24, 6, 0, 1], 360, 144],
      ['transposed-stride input', [7, 9], [1, 7], [9, 1], 63, 63],
      ['rank 0', [], [], [], 1, 1],
    ];
    for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'sqdiff', 'max', 'min']) {
      for (const [name, shape, sa, sb, na, nb] of layouts) {
        test(`${op}: ${name}`, () => {
          const A = rand(na, 11, op === 'pow' ? 0.1 : -2, 2), B = rand(nb, 12, op === 'div' ? 0.5 : -2, 2);
          const out = new Float32Array(Math.max(1, shape.reduce((p, q) => p * q, 1)));
          const got = sameOnAnyThreadCount(a, () => {
            a.binary(a.binaryOps.indexOf(op), A, B, out, shape, sa, sb);
            return out;
          });
          // sqdiff rounds twice (a - b, then the square); pow is glibc's powf
          expectClose(got, refBinary(refs[op], A, B, shape, sa, sb), op === 'pow' || op === 'sqdiff' ? 3e-7 : 1.2e-7, 1e-30);
        });
      }
    }
    test('pow by a scalar 2, 3, 0.5, -0.5, 1, -1 keeps powf values and edge cases', () => {
      const xs = Float32Array.from([0, -0, 1, 2.5, 1e-3, 7, 123.456, Infinity, -Infinity, NaN, -2, 1e20]);
      const out = new Float32Array(xs.length);
      for (const e of [2, 3, 0.5, -0.5, 1, -1, 1.7]) {
        a.binary(a.binaryOps.indexOf('pow'), xs, Float32Array.of(e), out, [xs.length], [1], [0]);
        const want = Array.from(xs, (x) => Math.fround(Math.pow(x, Math.fround(e))));
        expectClose(out, want, 2.4e-7, 0);
      }
    });
    test('NaN in either operand of max/min gives NaN', () => {
      const out = new Float32Array(2);
      a.binary(a.binaryOps.indexOf('max'), Float32Array.of(NaN, 1), Float32Array.of(1, NaN), out, [2], [1], [1]);
      expect(Array.from(out)).toEqual([NaN, NaN]);
    });
  });

  describe('unary', () => {
    const refs: [op: string, f: (x: number, alpha: number) => number, lo: number, hi: number, rtol: number][] = [
      ['exp', Math.exp, -100, 88, 2.4e-7], ['log', Math.log, 1e-3, 1e3, 1.2e-7], ['neg', (x) => -x, -5, 5, 0],
      ['abs', Math.abs, -5, 5, 0], ['sqrt', Math.sqrt, 0, 100, 1.2e-7], ['rsqrt', (x) => 1 / Math.sqrt(x), 1e-3, 100, 1.2e-7],
      ['square', (x) => x * x, -5, 5, 1.2e-7], ['tanh', Math.tanh, -12, 12, 2.4e-7], ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), -80, 80, 3e-7],
      ['erf', erfRef, -5, 5, 2.4e-7], ['relu', (x) => Math.max(0, x), -5, 5, 0], ['reciprocal', (x) => 1 / x, 0.01, 10, 1.2e-7],
      ['sin', Math.sin, -10, 10, 2.4e-7], ['cos', Math.cos, -10, 10, 2.4e-7], ['log1p', Math.log1p, -0.9, 10, 1.2e-7],
      ['expm1', Math.expm1, -5, 5, 1.2e-7], ['sign', Math.sign, -5, 5, 0], ['floor', Math.floor, -5, 5, 0], ['ceil', Math.ceil, -5, 5, 0],
      ['round', roundHalfEven, -5, 5, 0], ['relu6', (x) => Math.min(6, Math.max(0, x)), -8, 8, 0],
      ['elu', (x) => (x >= 0 ? x : Math.expm1(x)), -5, 5, 1.2e-7], ['leakyrelu', (x, al) => (x < 0 ? al * x : x), -5, 5, 1.2e-7],
      ['step', (x, al) => (x > 0 ? 1 : al), -5, 5, 0],
    ];
    for (const [op, f, lo, hi, rtol] of refs) {
      test(`${op} over [${lo}, ${hi}]`, () => {
        const n = 100003;
        const x = rand(n, 21, lo, hi);
        if (op === 'round') for (let i = 0; i < 40; i++) x[i] = i / 2 - 10; // exact halves: to even
        const out = new Float32Array(n);
        const got = sameOnAnyThreadCount(a, () => {
          a.unary(a.unaryOps.indexOf(op), x, out, n, 0.2);
          return out;
        });
        expectClose(got, Array.from(x, (v) => f(v, Math.fround(0.2))), rtol, 1e-37);
      });
    }
    test('exp, tanh and sigmoid: IEEE edge values', () => {
      const xs = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 88.7, 89, -103, -200, 1e-30]);
      const out = new Float32Array(xs.length);
      a.unary(a.unaryOps.indexOf('exp'), xs, out, xs.length, 0);
      expectClose(out, Array.from(xs, (x) => Math.fround(Math.exp(x))), 2.4e-7, 1.5e-45);
      a.unary(a.unaryOps.indexOf('tanh'), xs, out, xs.length, 0);
      expectClose(out, Array.from(xs, (x) => Math.tanh(x)), 2.4e-7, 0);
      expect(Object.is(out[4], -0)).toBe(true);
      a.unary(a.unaryOps.indexOf('sigmoid'), xs, out, xs.length, 0);
      expectClose(out, Array.from(xs, (x) => 1 / (1 + Math.exp(-x))), 3e-7, 1e-38);
    });
  });

  describe('reduce', () => {
    function refReduce(op: string, x: Float32Array, outer: number, size: number, inner: number): Float64Array {
      const out = new Float64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          let acc = op === 'prod' ? 1 : op === 'max' ? -Infinity : op === 'min' ? Infinity : 0;
          for (let s = 0; s < size; s++) {
            const v = x[(o * size + s) * inner + j];
            if (op === 'sum' || op === 'mean') acc += v;
            else if (op === 'prod') acc *= v;
            else if (op === 'max') acc = Math.max(acc, v);
            else acc = Math.min(acc, v);
          }
          out[o * inner + j] = op === 'mean' ? acc / size : acc;
        }
      }
      return out;
    }
    const shapes: [string, number, number, number][] = [
      ['rows', 37, 129, 1], ['one long row (sliced)', 1, 200003, 1], ['columns, one outer', 1, 1001, 37],
      ['middle axis', 8, 128, 192], ['columns wider than a block', 3, 5, 1100], ['size 1', 6, 1, 5], ['single element', 1, 1, 1],
    ];
    for (const op of ['sum', 'mean', 'max', 'min', 'prod']) {
      for (const [name, outer, size, inner] of shapes) {
        test(`${op}: ${name} [${outer}, ${size}, ${inner}]`, () => {
          const x = rand(outer * size * inner, 31, op === 'prod' ? 0.999 : -1, op === 'prod' ? 1.001 : 1);
          const out = new Float32Array(outer * inner);
          const got = sameOnAnyThreadCount(a, () => {
            a.reduce(a.reduceOps.indexOf(op), x, out, outer, size, inner);
            return out;
          });
          expectClose(got, refReduce(op, x, outer, size, inner), 1e-6, 1e-6);
        });
      }
    }
    test('empty reduction: sum 0, prod 1, mean NaN, max -inf, min +inf', () => {
      const out = new Float32Array(2);
      const want: Record<string, number> = { sum: 0, prod: 1, mean: NaN, max: -Infinity, min: Infinity };
      for (const op of a.reduceOps) {
        a.reduce(a.reduceOps.indexOf(op), new Float32Array(0), out, 1, 0, 2);
        expect(Array.from(out)).toEqual([want[op], want[op]]);
      }
    });
  });

  describe('transpose', () => {
    function refTranspose(x: Float32Array, shape: number[], perm: number[]): Float32Array {
      const r = shape.length;
      const outShape = perm.map((p) => shape[p]);
      const inStrides = new Array<number>(r);
      for (let i = r - 1, s = 1; i >= 0; i--) {
        inStrides[i] = s;
        s *= shape[i];
      }
      const out = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) {
        let rest = i, off = 0;
        for (let k = r - 1; k >= 0; k--) {
          const idx = rest % outShape[k];
          rest = Math.floor(rest / outShape[k]);
          off += idx * inStrides[perm[k]];
        }
        out[i] = x[off];
      }
      return out;
    }
    const cases: [number[], number[]][] = [
      [[7], [0]], [[37, 53], [1, 0]], [[1, 5], [1, 0]], [[300, 257], [1, 0]], [[4, 5, 6], [0, 2, 1]], [[4, 5, 6], [1, 0, 2]],
      [[4, 5, 6], [2, 1, 0]], [[4, 5, 6], [1, 2, 0]], [[4, 5, 6], [2, 0, 1]], [[2, 17, 3, 64], [0, 2, 1, 3]],
      [[8, 16, 8, 24], [0, 2, 1, 3]], [[3, 1, 4, 1, 5], [4, 2, 0, 3, 1]], [[2, 3, 4, 5, 6], [4, 2, 0, 3, 1]],
      [[2, 3, 4, 5, 6], [0, 1, 2, 4, 3]], [[2, 3, 4, 5, 6, 7], [5, 4, 3, 2, 1, 0]], [[2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5]],
      [[65, 33, 2], [2, 1, 0]],
    ];
    for (const [shape, perm] of cases) {
      test(`${JSON.stringify(shape)} perm ${JSON.stringify(perm)}`, () => {
        const n = shape.reduce((p, q) => p * q, 1);
        const x = rand(n, 41);
        const out = new Float32Array(n);
        const got = sameOnAnyThreadCount(a, () => {
          a.transpose(x, out, shape, perm);
          return out;
        });
        expectSameBits(got, refTranspose(x, shape, perm));
      });
    }
  });

  describe('softmax', () => {
    for (const [rows, cols, scale] of [[1, 1, 1], [5, 7, 1], [3072, 8, 4], [1000, 33, 1], [2, 300, 1000]] as const) {
      test(`[${rows}, ${cols}] (logits x${scale})`, () => {
        const x = rand(rows * cols, 51, -scale, scale);
        const out = new Float32Array(rows * cols);
        const got = sameOnAnyThreadCount(a, () => {
          a.softmax(x, out, rows, cols);
          return out;
        });
        const want = new Float64Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          let m = -Infinity, s = 0;
          for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
          for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c] - m);
          for (let c = 0; c < cols; c++) want[r * cols + c] = Math.exp(x[r * cols + c] - m) / s;
        }
        expectClose(got, want, 5e-7, 1e-30);
      });
    }
  });

  describe('bad arguments throw, never crash', () => {
    const f = new Float32Array(16);
    test('TypeError for wrong types', () => {
      throwsA(() => a.gemm(new Float64Array(16) as unknown as Float32Array, f, f, 1, 2, 2, 2, false, false, 4, 4), 'TypeError');
      throwsA(() => a.gemm(f, f, f, 1, 2, 2, 2, 0 as unknown as boolean, false, 4, 4), 'TypeError');
      throwsA(() => a.binary(0, f, f, f, ['4'] as unknown as number[], [1], [1]), 'TypeError');
      throwsA(() => a.binary(0, f, f, f, 4 as unknown as number[], [1], [1]), 'TypeError');
      throwsA(() => a.unary(0, f, [1, 2] as unknown as Float32Array, 2, 0), 'TypeError');
      throwsA(() => (a.reduce as unknown as (...x: unknown[]) => void)(0, f, f), 'TypeError');
      throwsA(() => a.softmax(f, f, '2' as unknown as number, 2), 'TypeError');
    });
    test('RangeError for sizes, shapes and op codes out of range', () => {
      throwsA(() => a.gemm(f, f, f, 1, 5, 5, 5, false, false, 25, 25), 'RangeError'); // arrays too short
      throwsA(() => a.gemm(f, f, f, 2, 2, 2, 2, false, false, 100, 4), 'RangeError'); // stride past the end
      throwsA(() => a.gemm(f, f, f, 1, -2, 2, 2, false, false, 4, 4), 'RangeError');
      throwsA(() => a.gemm(f, f, f, 1, 1.5, 2, 2, false, false, 4, 4), 'RangeError');
      throwsA(() => a.binary(99, f, f, f, [4], [1], [1]), 'RangeError');
      throwsA(() => a.binary(0, f, f, f, [4, 4], [1], [1]), 'RangeError'); // strides rank mismatch
      throwsA(() => a.binary(0, f, f, f, [1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]), 'RangeError');
      throwsA(() => a.binary(0, f, f, f, [4, 8], [8, 1], [0, 1]), 'RangeError'); // a needs 32
      throwsA(() => a.unary(a.unaryOps.length, f, f, 4, 0), 'RangeError');
      throwsA(() => a.unary(0, f, f, 17, 0), 'RangeError');
      throwsA(() => a.reduce(0, f, f, 4, 4, 4), 'RangeError');
      throwsA(() => a.transpose(f, f, [4, 4], [0, 0]), 'RangeError');
      throwsA(() => a.transpose(f, f, [4, 4], [0, 2]), 'RangeError');
      throwsA(() => a.transpose(f, f, [], []), 'RangeError');
      throwsA(() => a.transpose(f, f, [4, 8], [1, 0]), 'RangeError');
      throwsA(() => a.softmax(f, f, 4, 5), 'RangeError');
      throwsA(() => a.gemm(f, f, f, 2 ** 31, 1, 1, 1, false, false, 1, 1), 'RangeError');
    });
  });
});

/**
 * Calls whose size products overflow int64 (or pass 2^46 elements) with arrays of a few elements. Each runs in its own
 * Node process, so an addon that crashes on it (segfault, abort) fails the test instead of killing jest; the child
 * prints the error's name and message, or `returned` when the call did not throw (a wrong pass).
 */
const overflowCases: Array<[string, string]> = [
  // qkv/out need Bx*S*3*H*Dh and Bx*S*H*Dh, probs Bx*H*S*S: with Bx = S = 2^30, H = 16 each is a multiple of 2^64.
  ['attention forward, Bx = S = 2^30, H = 16', 'a.attentionForward(f, f, f, 2 ** 30, 2 ** 30, 16, 1, 1)'],
  ['attention backward, Bx = S = 2^30, H = 16', 'a.attentionBackward(f, f, f, f, 2 ** 30, 2 ** 30, 16, 1, 1)'],
  // 2^32 * 2^33 elements wraps to 0.
  ['copy of shape [2^32, 2^33]', 'a.copy(f, f, [2 ** 32, 2 ** 33], [0, 0], [0, 0])'],
  // 1 + 4 * 2^62 wraps to 1: a one-element source "holds" a stride of 2^62.
  ['copy with a source stride of 2^62', 'a.copy(new Float32Array(1), new Float32Array(5), [5, 1], [2 ** 62, 0], [1, 1])'],
  // 2^30 * 2^30 * 2^4 = 2^64 wraps to 0.
  ['copy of shape [2^30, 2^30, 16]', 'a.copy(f, f, [2 ** 30, 2 ** 30, 16], [0, 0, 0], [0, 0, 0])'],
  ['transpose of shape [2^32, 2^33]', 'a.transpose(f, f, [2 ** 32, 2 ** 33], [1, 0])'],
  ['gemm with M = 2^32, K = 2^33', 'a.gemm(f, f, f, 1, 2 ** 32, 1, 2 ** 33, false, false, 0, 0)'],
  ['layerNorm with rows = 2^32, cols = 2^32', 'a.layerNormForward(f, f, f, f, f, f, 2 ** 32, 2 ** 32, 1e-5)'],
];

d('size products that overflow throw a RangeError, never crash or pass', () => {
  const root = path.resolve(__dirname, '..', '..');
  const target = process.env.COVER_NATIVE_PATH || 'cover-native';
  for (const [name, call] of overflowCases) {
    test(name, () => {
      const script =
        `const a = require(${JSON.stringify(target)}); const f = new Float32Array(16);` +
        `try { ${call}; console.log('returned'); } catch (e) { console.log(e.name + ' ' + e.message); }`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      const out = r.stdout.trim();
      expect({ status: r.status, signal: r.signal, out }).toEqual({ status: 0, signal: null, out: expect.stringMatching(/^RangeError \w+: /) });
    });
  }
});

/** erf in double (Abramowitz–Stegun 7.1.26 is too coarse; this is the series / continued fraction, to ~1e-15). */
function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc by its continued fraction (Lentz), accurate for x >= 2.5
  let f = ax, c = ax, dd = 0;
  for (let k = 1; k < 200; k++) {
    const an = k / 2;
    dd = ax + an * dd;
    dd = 1 / dd;
    c = ax + an / c;
    const delta = c * dd;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
