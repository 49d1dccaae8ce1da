// The hand-written gradients (linear, GELU, tile) against tfjs's autodiff of the plain formulas.
import * as tf from '@tensorflow/tfjs-core';
import '../../src/model/register_gradients';
import { gelu } from '../../src/model/gelu';
import { linear } from '../../src/model/linear';
import { nearestGridIndices, nearestIndices } from '../../src/model/resample';
import { tile } from '../../src/model/tile';
import { useBackend } from '../helpers/tf';

describe.each(['cpu', 'wasm'] as const)('custom gradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('linear: dX, dW, db equal autodiff of x @ W + b (2-D and 3-D inputs)', () => {
    for (const shape of [[5, 4], [2, 3, 4]]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const w = tf.randomNormal([4, 6], 0, 1, 'float32', 2);
      const b = tf.randomNormal([6], 0, 1, 'float32', 3);
      const dy = tf.randomNormal([...shape.slice(0, -1), 6], 0, 1, 'float32', 4);
      const f = (fn: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor) => tf.grads((xx, ww, bb) => tf.sum(tf.mul(fn(xx, ww, bb), dy)))([x, w, b]);
      const ours = f((xx, ww, bb) => linear(xx, ww, bb));
      const ref = f((xx, ww, bb) => tf.add(tf.reshape(tf.matMul(tf.reshape(xx, [-1, 4]), ww), [...shape.slice(0, -1), 6]), bb));
      ours.forEach((g, i) => expect(tf.max(tf.abs(tf.sub(g, ref[i]))).dataSync()[0]).toBeLessThan(1e-5));
      tf.dispose([x, w, b, dy, ...ours, ...ref]);
    }
  });

  test('tile: value and gradient equal tf.tile and its autodiff (repeats on one axis, on several, none)', () => {
    for (const [shape, reps] of [[[2, 1, 3], [1, 4, 1]], [[1, 1, 5], [6, 1, 1]], [[2, 3], [3, 2]], [[4], [1]]]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const y = tile(x, reps);
      const ref = tf.tile(x, reps);
      expect(y.shape).toEqual(ref.shape);
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref.dataSync()));
      const dy = tf.randomNormal(ref.shape, 0, 1, 'float32', 2);
      const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tile(t, reps), dy)))(x);
      const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tile(t, reps), dy)))(x);
      expect(ours.shape).toEqual(shape);
      expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([x, y, ref, dy, ours, theirs]);
    }
  });

  test('exact GELU: value and gradient equal autodiff of 0.5 x (1 + erf(x / sqrt 2))', () => {
    const x = tf.linspace(-6, 6, 101);
    const plain = (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(tf.erf(tf.mul(t, Math.SQRT1_2)), 1));
    expect(tf.max(tf.abs(tf.sub(gelu(x), plain(x)))).dataSync()[0]).toBeLessThan(1e-6);
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(plain(t)))(x);
    expect(tf.max(tf.abs(tf.sub(g1, g2))).dataSync()[0]).toBeLessThan(1e-4);
    // GELU(1) = 0.8413447 (PyTorch nn.GELU()(torch.tensor(1.)))
    expect(gelu(tf.scalar(1)).dataSync()[0]).toBeCloseTo(0.8413447, 6);
    tf.dispose([x, g1, g2]);
  });
});

test('nearest resampling follows PyTorch: T=1 takes row 0, 8 -> 4 takes every other, grids stay row-major', () => {
  expect(nearestIndices(1, 8)).toEqual([0]);
  expect(nearestIndices(4, 8)).toEqual([0, 2, 4, 6]);
  expect(nearestIndices(16, 8)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
  expect(nearestIndices(3, 4)).toEqual([0, 1, 2]);
  expect(nearestGridIndices(2, 2, 4, 4)).toEqual([0, 2, 8, 10]);
});
