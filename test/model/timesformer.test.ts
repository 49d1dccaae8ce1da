import * as tf from '@tensorflow/tfjs-core';
import { AttentionType } from '../../src/config/model_config';
import { PRESETS, getPreset } from '../../src/config/presets';
import { evalContext, trainContext } from '../../src/model/context';
import { modelParamCount } from '../../src/model/param_spec';
import { TimeSformer } from '../../src/model/timesformer';
import { accumulateGradients, trainStep } from '../../src/train/train_step';
import { Optimizer, DEFAULT_OPTIMIZER } from '../../src/train/optimizer';
import { randomClips, randomizeWeights, useBackend } from '../helpers/tf';

const HEADS = [
  { name: 'k400', numClasses: 5, labels: ['a', 'b', 'c', 'd', 'e'] },
  { name: 'ssv2', numClasses: 3, labels: ['left', 'right', 'up'] },
];
const ATTENTION: AttentionType[] = ['divided_space_time', 'joint_space_time', 'space_only'];

describe.each(['cpu', 'wasm'] as const)('TimeSformer on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test.each(ATTENTION)('%s: logits per head have shape [B, C]; T=1 and other T and resolutions work', (attentionType) => {
    const cfg = { ...getPreset('tiny'), attentionType };
    const model = new TimeSformer(cfg, HEADS, 3);
    try {
      for (const [T, size] of [[2, 32], [1, 32], [3, 32], [2, 48]] as const) {
        const x = randomClips(2, T, size);
        const out = model.forward(x);
        expect(out.get('k400')!.shape).toEqual([2, 5]);
        expect(out.get('ssv2')!.shape).toEqual([2, 3]);
        for (const t of out.values()) {
          expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
          t.dispose();
        }
        x.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

// The rest runs on wasm, the embedded default (and 5-10x faster than cpu on these sizes).
describe('TimeSformer', () => {
  beforeAll(() => useBackend('wasm'));

  test('parameter counts: base 121,566,352 and large 430,331,280 with a 400-class head, as the reference', () => {
    expect(modelParamCount(PRESETS.base, [400])).toBe(121_566_352);
    expect(modelParamCount(PRESETS.large, [400])).toBe(430_331_280);
    // The model allocates exactly the parameters the spec lists.
    const model = new TimeSformer(getPreset('tiny'), HEADS);
    expect(model.numParams()).toBe(modelParamCount(getPreset('tiny'), [5, 3]));
    model.dispose();
  });

  test.each(ATTENTION)('%s: every trainable variable receives a non-zero gradient', (attentionType) => {
    const cfg = { ...getPreset('tiny'), attentionType };
    const model = new TimeSformer(cfg, HEADS);
    randomizeWeights(model);
    const x1 = randomClips(2, 2, 32, 1);
    const x2 = randomClips(3, 1, 32, 2); // images as single-frame videos through the same backbone
    const { grads } = accumulateGradients(
      model,
      [
        { head: 'k400', x: x1, labels: Int32Array.from([0, 4]) },
        { head: 'ssv2', x: x2, labels: Int32Array.from([2, 1, 0]) },
      ],
      { seed: 1 },
    );
    const zero: string[] = [];
    for (const [name, v] of model.namedWeights()) {
      const g = grads.get(name);
      if (!g || tf.max(tf.abs(g)).dataSync()[0] === 0) zero.push(name);
      expect(g?.shape ?? v.shape).toEqual(v.shape);
    }
    expect(zero).toEqual([]);
    grads.forEach((g) => g.dispose());
    tf.dispose([x1, x2]);
    model.dispose();
  });

  test('at init (zero temporal_fc and time_embed) the output ignores frame order, as the reference notes', () => {
    const model = new TimeSformer(getPreset('tiny'), HEADS, 5);
    const x = randomClips(1, 2, 32, 9);
    const swapped = tf.reverse(x, 1);
    const a = model.forwardFeatures(x);
    const b = model.forwardFeatures(swapped);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, swapped, a, b]);
    model.dispose();
  });

  test('timeEmbedInitStd > 0 (the small preset) starts time_embed random, so frame order matters from step 0', () => {
    expect(getPreset('small').timeEmbedInitStd).toBeGreaterThan(0);
    const model = new TimeSformer({ ...getPreset('tiny'), timeEmbedInitStd: 0.5 }, HEADS, 5);
    const te = model.params.get('time_embed').dataSync<'float32'>();
    const mean = te.reduce((a, b) => a + b, 0) / te.length;
    const std = Math.sqrt(te.reduce((a, b) => a + (b - mean) ** 2, 0) / te.length);
    expect(std).toBeGreaterThan(0.3);
    expect(std).toBeLessThan(0.7);
    const x = randomClips(1, 2, 32, 9);
    const swapped = tf.reverse(x, 1);
    const a = model.forwardFeatures(x);
    const b = model.forwardFeatures(swapped);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, swapped, a, b]);
    model.dispose();
  });

  test('one seed gives identical weights, outputs and training-mode (drop-path) outputs', () => {
    const cfg = { ...getPreset('tiny'), dropPathRate: 0.3, dropRate: 0.1 };
    const m1 = new TimeSformer(cfg, HEADS, 42);
    const m2 = new TimeSformer(cfg, HEADS, 42);
    const m3 = new TimeSformer(cfg, HEADS, 43);
    const x = randomClips(2, 2, 32);
    const run = (m: TimeSformer, seed: number) => Array.from(m.forwardFeatures(x, trainContext(seed)).dataSync());
    expect(run(m1, 5)).toEqual(run(m2, 5));
    expect(run(m1, 5)).not.toEqual(run(m1, 6)); // the masks do depend on the seed
    expect(Array.from(m1.forwardFeatures(x, evalContext()).dataSync())).not.toEqual(
      Array.from(m3.forwardFeatures(x, evalContext()).dataSync()),
    );
    tf.dispose(x);
    [m1, m2, m3].forEach((m) => m.dispose());
  });

  test('micro-batches give the same gradient as one full batch', () => {
    const model = new TimeSformer(getPreset('tiny'), HEADS);
    randomizeWeights(model, 3);
    const x = randomClips(4, 2, 32, 4);
    const batch = [{ head: 'k400', x, labels: Int32Array.from([0, 1, 2, 3]) }];
    const full = accumulateGradients(model, batch, { seed: 1 });
    const micro = accumulateGradients(model, batch, { seed: 1, microBatch: 1 });
    expect(micro.loss).toBeCloseTo(full.loss, 5);
    for (const [name, g] of full.grads) {
      expect(tf.max(tf.abs(tf.sub(g, micro.grads.get(name)!))).dataSync()[0]).toBeLessThan(1e-5);
    }
    [...full.grads.values(), ...micro.grads.values()].forEach((g) => g.dispose());
    x.dispose();
    model.dispose();
  });

  test('training steps lower the loss and leak no tensors', () => {
    const model = new TimeSformer(getPreset('tiny'), HEADS, 1);
    const opt = new Optimizer(DEFAULT_OPTIMIZER.adamw);
    const x = randomClips(4, 2, 32, 11);
    const img = randomClips(2, 1, 32, 12);
    const batch = [
      { head: 'k400', x, labels: Int32Array.from([0, 1, 2, 3]) },
      { head: 'ssv2', x: img, labels: Int32Array.from([0, 2]) },
    ];
    const first = trainStep(model, batch, opt, { lr: 3e-3, seed: 0, microBatch: 3, clipGradNorm: 1 });
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 1; i <= 15; i++) last = trainStep(model, batch, opt, { lr: 3e-3, seed: i, microBatch: 3, clipGradNorm: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    expect(Object.keys(last.perHead).sort()).toEqual(['k400', 'ssv2']);
    tf.dispose([x, img]);
    opt.dispose();
    model.dispose();
  });

  test('forward leaks no tensors', () => {
    const model = new TimeSformer(getPreset('tiny'), HEADS);
    const x = randomClips(1, 2, 32);
    model.forward(x).forEach((t) => t.dispose());
    const before = tf.memory().numTensors;
    model.forward(x).forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
