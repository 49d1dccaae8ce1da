// The core overrides on the wasm backend (src/engine/accel/core_kernels.ts): every overridden kernel gives tfjs-wasm's
// own results (uninstalled) to float rounding, on shapes that exercise each fast path and fall-through; gradients and a
// tiny training step agree; nothing leaks; uninstall puts tfjs's exact kernel configs back.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/tf';
import { loadNative, NativeAddon } from '../../src/engine/accel/native';
import { installCoreKernels, installedCoreKernels, uninstallCoreKernels } from '../../src/engine/accel/core_kernels';
import { getPreset } from '../../src/config/presets';
import { TimeSformer } from '../../src/model/timesformer';
import { Optimizer, DEFAULT_OPTIMIZER } from '../../src/train/optimizer';
import { trainStep } from '../../src/train/train_step';

const addon = loadNative().addon;
const d = addon ? describe : describe.skip;

interface Out {
  shape: number[];
  dtype: string;
  data: Float32Array | Int32Array | Uint8Array;
}

function rand(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return tf.tensor(v, shape, 'float32');
}

function run(fn: () => tf.Tensor | tf.Tensor[]): Out[] {
  const result = tf.tidy(fn);
  const list = Array.isArray(result) ? result : [result];
  const outs = list.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype, data: (t.dataSync() as Float32Array).slice() }));
  tf.dispose(list);
  return outs;
}

/** fn on tfjs's kernels, then on the native ones: same shapes and dtypes, values within rtol/atol. Leaves them installed. */
function agree(a: NativeAddon, fn: () => tf.Tensor | tf.Tensor[], rtol = 2e-6, atol = 1e-6): Out[] {
  uninstallCoreKernels();
  const want = run(fn);
  installCoreKernels(a);
  const got = run(fn);
  expect(got.length).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    expect(got[k].shape).toEqual(want[k].shape);
    expect(got[k].dtype).toBe(want[k].dtype);
    const g = got[k].data, w = want[k].data;
    expect(g.length).toBe(w.length);
    for (let i = 0; i < w.length; i++) {
      if (Number.isNaN(w[i]) && Number.isNaN(g[i])) continue;
      if (g[i] === w[i]) continue;
      if (!(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]))) {
        throw new Error(`output ${k} element ${i}: native ${g[i]}, tfjs ${w[i]}`);
      }
    }
  }
  return got;
}

d('native core kernels on tfjs-wasm', () => {
  const a = addon as NativeAddon;

  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => uninstallCoreKernels());

  test('installs the overrides, idempotently, and uninstall restores the exact original configs', () => {
    const names = ['BatchMatMul', '_FusedMatMul', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Pow', 'SquaredDifference', 'Maximum', 'Minimum',
      'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Rsqrt', 'Square', 'Tanh', 'Sigmoid', 'Erf', 'Relu', 'Reciprocal', 'Sum', 'Mean', 'Max', 'Min',
      'Prod', 'Transpose', 'Softmax', 'Identity', 'Slice', 'Concat', 'SplitV', 'Tile', 'PadV2'];
    uninstallCoreKernels();
    const all = installCoreKernels(a);
    for (const n of names) expect(all).toContain(n);
    uninstallCoreKernels();
    const originals = new Map(all.map((n) => [n, tf.getKernel(n, 'wasm')]));
    for (const n of all) expect(originals.get(n)).toBeDefined();
    const first = installCoreKernels(a);
    expect(first).toEqual(all);
    for (const n of all) expect(tf.getKernel(n, 'wasm')).not.toBe(originals.get(n));
    expect(installCoreKernels(a)).toEqual(all); // again: replaces, never wraps
    expect(installedCoreKernels()).toEqual(all);
    uninstallCoreKernels();
    for (const n of all) expect(tf.getKernel(n, 'wasm')).toBe(originals.get(n));
    expect(installedCoreKernels()).toEqual([]);
    uninstallCoreKernels(); // a no-op now
    for (const n of all) expect(tf.getKernel(n, 'wasm')).toBe(originals.get(n));
  });

  test('after uninstall, results are bit-identical to before install', () => {
    uninstallCoreKernels();
    const f = (): tf.Tensor[] => {
      const x = rand([33, 47], 1), w = rand([47, 29], 2);
      const y = tf.matMul(x, w);
      return [y, tf.sum(tf.tanh(y), 0), tf.softmax(y), tf.transpose(y), tf.pow(y, 3)];
    };
    const before = run(f);
    installCoreKernels(a);
    run(f);
    uninstallCoreKernels();
    const after = run(f);
    for (let k = 0; k < before.length; k++) expect(Array.from(after[k].data)).toEqual(Array.from(before[k].data));
  });

  describe('BatchMatMul', () => {
    const cases: [string, number[], number[], boolean, boolean][] = [
      ['1x1', [1, 1], [1, 1], false, false],
      ['2-D', [5, 7], [7, 3], false, false],
      ['2-D transposeA', [7, 5], [7, 3], true, false],
      ['2-D transposeB', [5, 7], [3, 7], false, true],
      ['2-D both transposed', [7, 5], [3, 7], true, true],
      ['rows split over threads', [300, 67], [67, 129], false, false],
      ['columns split (small M)', [9, 200], [301, 200], false, true],
      ['batched', [3, 5, 7], [3, 7, 4], false, false],
      ['batched transposed', [6, 7, 8], [6, 9, 7], true, true],
      ['batch broadcast, rank-2 b', [3, 5, 7], [7, 4], false, false],
      ['batch broadcast, leading 1', [1, 5, 7], [4, 7, 6], false, false],
      ['rank 4', [2, 3, 5, 7], [2, 3, 4, 7], false, true],
      ['rank 4 against rank 3 batch', [2, 3, 8, 8], [3, 8, 8], false, false],
      ['attention-like, odd batch', [97, 8, 64], [97, 8, 64], false, true],
      ['general batch broadcast (falls through)', [2, 1, 3, 4], [1, 5, 4, 2], false, false],
      ['K = 0', [3, 0], [0, 4], false, false],
    ];
    for (const [name, as, bs, tA, tB] of cases) {
      test(name, () => {
        agree(a, () => tf.matMul(rand(as, 3), rand(bs, 4), tA, tB), 1e-5, 1e-5);
      });
    }
    test('_FusedMatMul: plain goes native; bias + relu falls through', () => {
      agree(a, () => tf.fused.matMul({ a: rand([6, 5], 5), b: rand([5, 4], 6) }), 1e-5, 1e-5);
      agree(a, () => tf.fused.matMul({ a: rand([6, 5], 5), b: rand([5, 4], 6), bias: rand([4], 7), activation: 'relu' }), 1e-5, 1e-5);
    });
    test('_FusedMatMul with a bias row: native equals tfjs matMul + add (rows and columns split, batched)', () => {
      // The reference is tfjs's unfused matMul + add: tfjs-wasm 4.22's own _FusedMatMul with a bias is wrong for a
      // transposed b and for batched products (off by up to 1.6 here), so it cannot be the reference.
      const cases: [number[], number[], boolean, number][] = [
        [[6, 5], [5, 4], false, 4],
        [[300, 67], [67, 129], false, 129],
        [[9, 200], [301, 200], true, 301],
        [[3, 5, 7], [3, 7, 4], false, 4],
      ];
      for (const [as, bs, tB, n] of cases) {
        uninstallCoreKernels();
        const [want] = run(() => tf.add(tf.matMul(rand(as, 11), rand(bs, 12), false, tB), rand([n], 13)));
        installCoreKernels(a);
        const [got] = run(() => tf.fused.matMul({ a: rand(as, 11), b: rand(bs, 12), transposeB: tB, bias: rand([n], 13) }));
        expect(got.shape).toEqual(want.shape);
        want.data.forEach((w, i) => expect(Math.abs(got.data[i] - w)).toBeLessThan(1e-4));
      }
    });
  });

  describe('binary ops', () => {
    const ops: [string, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor][] = [
      ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['squaredDifference', tf.squaredDifference],
      ['maximum', tf.maximum], ['minimum', tf.minimum], ['pow', tf.pow],
    ];
    const shapes: [string, number[], number[]][] = [
      ['same shape', [4, 5], [4, 5]],
      ['scalar b', [1023, 37], []],
      ['scalar a', [], [6, 7]],
      ['row broadcast', [513, 129], [129]],
      ['column broadcast', [513, 129], [513, 1]],
      ['both broadcast', [2, 1, 4], [3, 1]],
      ['rank-5 broadcast', [2, 3, 1, 4, 5], [3, 2, 1, 1]],
      ['size 0', [0, 3], [3]],
      ['size 1', [1], [1, 1]],
    ];
    for (const [op, f] of ops) {
      for (const [name, as, bs] of shapes) {
        test(`${op}: ${name}`, () => {
          const lo = op === 'pow' ? 0.2 : -2;
          const blo = op === 'div' ? 0.5 : op === 'pow' ? -1.5 : -2;
          agree(a, () => f(rand(as, 8, lo, 2), rand(bs, 9, blo, 2)), op === 'pow' ? 1e-6 : 2e-7, 1e-7);
        });
      }
    }
    test('rank 7 (past what the wasm kernel computes): equals the op on flat tensors', () => {
      installCoreKernels(a);
      for (const [, f] of ops) {
        const shape = [2, 1, 2, 1, 2, 1, 3];
        const [got] = run(() => f(rand(shape, 8, 0.2, 2), rand(shape, 9, 0.5, 2)));
        const [want] = run(() => f(rand([24], 8, 0.2, 2), rand([24], 9, 0.5, 2)));
        expect(got.shape).toEqual(shape);
        expect(Array.from(got.data)).toEqual(Array.from(want.data));
      }
    });
    test('pow by a scalar 2, 3, 0.5, -0.5, 1, -1, 1.7', () => {
      for (const e of [2, 3, 0.5, -0.5, 1, -1, 1.7]) agree(a, () => tf.pow(rand([257, 9], 10, 0.01, 3), tf.scalar(e)), 1e-6, 0);
    });
    test('int32 inputs fall through to tfjs (int32 result)', () => {
      const [out] = agree(a, () => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')));
      expect(out.dtype).toBe('int32');
      expect(Array.from(out.data)).toEqual([5, 7, 9]);
    });
  });

  describe('unary ops', () => {
    const ops: [string, (x: tf.Tensor) => tf.Tensor, number, number, number][] = [
      ['exp', tf.exp, -20, 20, 1e-6], ['log', tf.log, 0.001, 100, 1e-6], ['neg', tf.neg, -3, 3, 0], ['abs', tf.abs, -3, 3, 0],
      ['sqrt', tf.sqrt, 0, 9, 2e-7], ['rsqrt', tf.rsqrt, 0.01, 9, 5e-7], ['square', tf.square, -3, 3, 2e-7], ['tanh', tf.tanh, -6, 6, 1e-6],
      ['sigmoid', tf.sigmoid, -20, 20, 1e-6], ['erf', tf.erf, -4, 4, 1e-6], ['relu', tf.relu, -3, 3, 0],
      // sin/cos: glibc's sinf/cosf against emscripten's, which loses relative accuracy near the zeros (atol 1e-7 below)
      ['reciprocal', tf.reciprocal, 0.1, 3, 2e-7], ['sin', tf.sin, -6, 6, 1e-5], ['cos', tf.cos, -6, 6, 1e-5],
      ['log1p', tf.log1p, -0.9, 9, 1e-6], ['expm1', tf.expm1, -3, 3, 1e-6], ['sign', tf.sign, -3, 3, 0], ['floor', tf.floor, -3, 3, 0],
      ['ceil', tf.ceil, -3, 3, 0], ['round', tf.round, -3, 3, 0], ['relu6', tf.relu6, -3, 9, 0], ['elu', tf.elu, -3, 3, 1e-6],
      ['leakyRelu', (x) => tf.leakyRelu(x, 0.15), -3, 3, 2e-7], ['step', (x) => tf.step(x, 0.3), -3, 3, 0],
    ];
    for (const [name, f, lo, hi, rtol] of ops) {
      test(name, () => {
        const atol = rtol === 0 ? 0 : name === 'sin' || name === 'cos' ? 1e-6 : 1e-7;
        for (const shape of [[1], [7], [0, 4], [301, 333]]) agree(a, () => f(rand(shape, 11, lo, hi)), rtol, atol);
      });
    }
    test('round: halves go to even, as tfjs', () => {
      agree(a, () => tf.round(tf.tensor1d([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5])), 0, 0);
    });
  });

  describe('reductions', () => {
    const ops: [string, (x: tf.Tensor, axis?: number | number[], keepDims?: boolean) => tf.Tensor][] = [
      ['sum', tf.sum], ['mean', tf.mean], ['max', tf.max], ['min', tf.min], ['prod', tf.prod],
    ];
    const cases: [string, number[], number | number[] | undefined, boolean][] = [
      ['inner axis', [37, 129], -1, false],
      ['outer axis', [1001, 37], 0, false],
      ['all axes', [3, 4, 5], undefined, false],
      ['one long row', [100003], 0, false],
      ['middle axis', [8, 128, 19], 1, false],
      ['two inner axes of rank 4, keepDims', [2, 3, 4, 5], [2, 3], true],
      ['two middle axes', [2, 3, 4, 5], [1, 2], false],
      ['axes around a size-1 dim', [3, 1, 5], [0, 2], false],
      ['non-contiguous axes (falls through)', [3, 4, 5], [0, 2], true],
      ['size-1 axis', [6, 1, 5], 1, false],
      ['single element', [1], 0, false],
    ];
    for (const [name, f] of ops) {
      for (const [cname, shape, axis, keep] of cases) {
        test(`${name}: ${cname}`, () => {
          const lo = name === 'prod' ? 0.99 : -1, hi = name === 'prod' ? 1.01 : 1;
          // tfjs-wasm sums in float, the addon in double: their difference grows with the reduced size
          const x = rand(shape, 12, lo, hi);
          const size = x.size / tf.tidy(() => f(x, axis, keep).size);
          agree(a, () => f(x, axis, keep), 2e-6, 1e-6 + 1e-7 * size);
          x.dispose();
        });
      }
    }
    test('int32 sum falls through (int32 result)', () => {
      const [out] = agree(a, () => tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0));
      expect(out.dtype).toBe('int32');
      expect(Array.from(out.data)).toEqual([4, 6]);
    });
  });

  describe('Transpose', () => {
    const cases: [number[], number[]][] = [
      [[37, 53], [1, 0]], [[1, 5], [1, 0]], [[300, 257], [1, 0]], [[4, 5, 6], [0, 2, 1]], [[4, 5, 6], [2, 0, 1]], [[4, 5, 6], [1, 2, 0]],
      [[8, 17, 3, 64], [0, 2, 1, 3]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[2, 3, 4, 5, 6], [4, 2, 0, 3, 1]], [[2, 3, 4, 5, 6], [0, 1, 2, 4, 3]],
      [[3, 1, 4, 1, 5], [4, 3, 2, 1, 0]], [[2, 3, 4], [0, 1, 2]], [[0, 3], [1, 0]],
    ];
    for (const [shape, perm] of cases) {
      test(`${JSON.stringify(shape)} perm ${JSON.stringify(perm)}`, () => {
        agree(a, () => tf.transpose(rand(shape, 13), perm), 0, 0);
      });
    }
    test('int32 falls through', () => {
      const [out] = agree(a, () => tf.transpose(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32')));
      expect(out.dtype).toBe('int32');
      expect(Array.from(out.data)).toEqual([1, 4, 2, 5, 3, 6]);
    });
  });

  describe('Softmax', () => {
    for (const [shape, scale] of [[[5, 7], 1], [[3, 4, 9], 3], [[1, 1], 1], [[1000, 33], 1], [[2, 64], 200]] as [number[], number][]) {
      test(`${JSON.stringify(shape)} (logits x${scale})`, () => {
        agree(a, () => tf.softmax(rand(shape, 14, -scale, scale)), 2e-6, 1e-7);
      });
    }
  });

  describe('Identity', () => {
    test('shares the buffer, and the copy outlives its source', () => {
      installCoreKernels(a);
      const x = rand([4, 3], 15);
      const y = tf.clone(x); // Identity
      const want = Array.from(x.dataSync());
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual(want);
      y.dispose();
      agree(a, () => tf.clone(rand([6], 16)), 0, 0);
    });
  });

  describe('data movement (one strided native copy each)', () => {
    test('Slice: contiguous and strided windows, ranks 1-5, empty', () => {
      agree(a, () => tf.slice(rand([10], 30), [3], [5]), 0, 0);
      agree(a, () => tf.slice(rand([6, 7], 31), [1, 2], [4, 3]), 0, 0);
      agree(a, () => tf.slice(rand([8, 17, 12], 32), [0, 1, 0], [8, 16, 12]), 0, 0); // the CLS / patches split
      agree(a, () => tf.slice(rand([3, 4, 5, 6], 33), [1, 0, 2, 1], [2, 4, 3, 4]), 0, 0);
      agree(a, () => tf.slice(rand([2, 3, 4, 5, 6], 34), [1, 1, 1, 1, 1], [1, 2, 3, 4, 5]), 0, 0);
      agree(a, () => tf.slice(rand([4, 5], 35), [1, 1], [0, 3]), 0, 0);
    });
    test('Concat on every axis, with an empty input', () => {
      agree(a, () => tf.concat([rand([2, 3, 4], 36), rand([2, 3, 4], 37)], 0), 0, 0);
      agree(a, () => tf.concat([rand([8, 1, 12], 38), rand([8, 16, 12], 39)], 1), 0, 0);
      agree(a, () => tf.concat([rand([2, 3, 4], 40), rand([2, 3, 1], 41), rand([2, 3, 0], 42)], 2), 0, 0);
    });
    test('SplitV: equal and uneven sizes, inner axis', () => {
      agree(a, () => tf.split(rand([4, 9], 43), 3, 1), 0, 0);
      agree(a, () => tf.split(rand([3, 17, 8], 44), [1, 16], 1), 0, 0);
      agree(a, () => tf.split(rand([6, 5], 45), [2, 1, 3], 0), 0, 0);
    });
    test('Tile ranks 1-3, and a rank-4 fall-through', () => {
      agree(a, () => tf.tile(rand([5], 46), [3]), 0, 0);
      agree(a, () => tf.tile(rand([2, 3], 47), [2, 4]), 0, 0);
      agree(a, () => tf.tile(rand([4, 1, 6], 48), [1, 8, 1]), 0, 0); // the CLS token per frame
      agree(a, () => tf.tile(rand([2, 1, 2, 3], 49), [1, 2, 2, 1]), 0, 0);
    });
    test('PadV2 with zeros and another constant', () => {
      agree(a, () => tf.pad(rand([3, 4], 50), [[1, 2], [0, 3]]), 0, 0);
      agree(a, () => tf.pad(rand([2, 3, 4], 51), [[0, 0], [2, 1], [1, 1]], -1.5), 0, 0);
    });
    test('gradients of slice/concat/tile (pad, split and sums underneath)', () => {
      const f = (x: tf.Tensor): tf.Scalar => {
        const cls = tf.slice(x, [0, 0, 0], [4, 1, 6]);
        const rest = tf.slice(x, [0, 1, 0], [4, 5, 6]);
        const y = tf.concat([tf.tile(cls, [1, 3, 1]), tf.mul(rest, rest)], 1);
        return tf.sum(tf.mul(y, tf.range(0, 8 * 6).reshape([8, 6]).cast('float32'))) as tf.Scalar;
      };
      agree(a, () => tf.grad(f)(rand([4, 6, 6], 52)), 1e-6, 1e-6);
    });
  });

  test('gradients through a composite function agree', () => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const h = tf.add(tf.matMul(x, w), b); // [8, 16]
      const m = tf.mean(h, -1, true);
      const v = tf.mean(tf.square(tf.sub(h, m)), -1, true);
      const n = tf.mul(tf.sub(h, m), tf.rsqrt(tf.add(v, 1e-5)));
      const g = tf.mul(n, tf.mul(tf.add(tf.erf(tf.mul(n, Math.SQRT1_2)), 1), 0.5));
      const p = tf.softmax(tf.matMul(g, g, false, true)); // [8, 8]
      return tf.sum(tf.mul(tf.transpose(p), tf.pow(tf.tanh(p), 3))) as tf.Scalar;
    };
    agree(a, () => {
      const x = rand([8, 12], 17), w = rand([12, 16], 18), b = rand([16], 19);
      return tf.grads((xx, ww, bb) => f(xx, ww, bb))([x, w, b]);
    }, 2e-5, 1e-6);
  });

  test('a tiny training step: same losses with and without the overrides', () => {
    const cfg = getPreset('tiny');
    const heads = [{ name: 'h', numClasses: 3, labels: ['a', 'b', 'c'] }];
    const losses = (): number[] => {
      const model = new TimeSformer(cfg, heads, 0);
      const opt = new Optimizer(DEFAULT_OPTIMIZER.adamw);
      const x = rand([2, cfg.numFrames, cfg.imgSize, cfg.imgSize, 3], 20);
      try {
        return [0, 1, 2].map((s) => trainStep(model, [{ head: 'h', x, labels: Int32Array.from([0, 2]) }], opt, { lr: 1e-3, seed: s }).loss);
      } finally {
        x.dispose();
        opt.dispose();
        model.dispose();
      }
    };
    uninstallCoreKernels();
    const want = losses();
    installCoreKernels(a);
    const got = losses();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
  });

  test('no tensors or buffers leak', () => {
    installCoreKernels(a);
    const step = (): void => {
      const x = rand([16, 24], 21), w = rand([24, 8], 22);
      const gs = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.softmax(tf.tanh(tf.matMul(xx, ww)))))([x, w]);
      const c = tf.clone(x), t = tf.transpose(x, [0, 1]), m = tf.max(x, 1), p = tf.pow(x, 2);
      tf.dispose([x, w, c, t, m, p, ...gs]);
    };
    step(); // burn-in
    const before = tf.memory();
    step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
