// The freeing backward pass (src/engine/backprop.ts) against tfjs's own (tf.variableGrads / tf.grads) on the same
// tape: the same numbers, no tensor left behind, and less memory alive at once.
import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../../src/config/presets';
import { gradientsFreeing } from '../../src/engine/backprop';
import { trainContext } from '../../src/model/context';
import { TimeSformer } from '../../src/model/timesformer';
import { crossEntropy } from '../../src/train/loss';
import { randomClips, randomizeWeights, useBackend } from '../helpers/tf';

beforeAll(() => useBackend('cpu'));

test('small graphs: pass-through gradients (add, identity), a tensor read twice, unreachable inputs and a seed dy', () => {
  const a = tf.variable(tf.tensor1d([1, -2, 3]));
  const b = tf.variable(tf.tensor1d([0.5, 0.25, 2]));
  const unused = tf.variable(tf.tensor1d([9]));
  const f = () => tf.sum(tf.add(tf.mul(tf.add(a, b), a), tf.exp(tf.add(b, b)))) as tf.Scalar; // a and b each read by several ops
  const ref = tf.variableGrads(f, [a, b]);
  const before = tf.memory().numTensors;
  const got = gradientsFreeing(f, [a, b, unused]);
  expect(got.value.dataSync()[0]).toBe(ref.value.dataSync()[0]);
  expect(Array.from(got.grads[0]!.dataSync())).toEqual(Array.from(ref.grads[a.name].dataSync()));
  expect(Array.from(got.grads[1]!.dataSync())).toEqual(Array.from(ref.grads[b.name].dataSync()));
  expect(got.grads[2]).toBeNull();
  tf.dispose([got.value, got.grads[0]!, got.grads[1]!]);
  expect(tf.memory().numTensors).toBe(before);

  // A non-scalar output seeded with the caller's dy, which stays the caller's.
  const dy = tf.tensor1d([1, 2, 3]);
  const seeded = gradientsFreeing(() => tf.add(a, tf.square(b)), [a, b], dy);
  expect(Array.from(seeded.grads[0]!.dataSync())).toEqual([1, 2, 3]);
  expect(Array.from(seeded.grads[1]!.dataSync())).toEqual([1, 1, 12]);
  expect(dy.isDisposed).toBe(false);
  tf.dispose([seeded.value, ...seeded.grads.map((g) => g!), dy]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([ref.value, ...Object.values(ref.grads), a, b, unused]);
});

test('a training forward of the model (dropout, drop-path, every op cover uses): the same loss and gradients as tf.variableGrads, bit for bit', () => {
  const cfg = { ...getPreset('tiny'), dropRate: 0.1, attnDropRate: 0.1, dropPathRate: 0.2 };
  const model = new TimeSformer(cfg, [{ name: 'a', numClasses: 5, labels: ['0', '1', '2', '3', '4'] }], 0);
  randomizeWeights(model);
  const x = randomClips(2, cfg.numFrames, cfg.imgSize);
  const vars = model.trainableVariables();
  const loss = () => tf.tidy(() => tf.mean(crossEntropy(model.forwardHead(model.forwardFeatures(x, trainContext(3)), 'a'), new Int32Array([1, 4]), 0.1)) as tf.Scalar);
  const ref = tf.variableGrads(loss, vars);
  const before = tf.memory().numTensors;
  const got = gradientsFreeing(loss, vars);
  expect(got.value.dataSync()[0]).toBe(ref.value.dataSync()[0]);
  vars.forEach((v, i) => expect(Array.from(got.grads[i]!.dataSync())).toEqual(Array.from(ref.grads[v.name].dataSync())));
  tf.dispose([got.value, ...got.grads.map((g) => g!)]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([ref.value, ...Object.values(ref.grads), x]);
  model.dispose();
});

test('the backward pass holds less at once: the most bytes alive during it are below tfjs\'s own', () => {
  const cfg = getPreset('tiny');
  const model = new TimeSformer(cfg, [{ name: 'a', numClasses: 5, labels: ['0', '1', '2', '3', '4'] }], 0);
  const x = randomClips(2, cfg.numFrames, cfg.imgSize);
  const vars = model.trainableVariables();
  const loss = () => tf.tidy(() => tf.mean(crossEntropy(model.forwardHead(model.forwardFeatures(x, trainContext(3)), 'a'), new Int32Array([1, 4]), 0)) as tf.Scalar);
  const peakOf = (run: () => tf.Tensor[]): number => {
    const engine = tf.engine() as unknown as { state: { numBytes: number } };
    let peak = 0;
    const backend = tf.backend() as unknown as { disposeData: (id: object, force?: boolean) => boolean };
    const dispose = backend.disposeData;
    backend.disposeData = function (id, force) {
      peak = Math.max(peak, engine.state.numBytes);
      return dispose.call(this, id, force);
    };
    try {
      tf.dispose(run());
    } finally {
      backend.disposeData = dispose;
    }
    return peak;
  };
  const tfjs = peakOf(() => {
    const r = tf.variableGrads(loss, vars);
    return [r.value, ...Object.values(r.grads)];
  });
  const freeing = peakOf(() => {
    const r = gradientsFreeing(loss, vars);
    return [r.value, ...r.grads.map((g) => g!)];
  });
  expect(freeing).toBeLessThan(0.8 * tfjs);
  x.dispose();
  model.dispose();
});
