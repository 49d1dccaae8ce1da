// The torch backend end to end on the tiny model: a training step (video + image head, AdamW and SGD, dropout,
// drop-path, clipping) equal to the cpu backend's to 1e-4 with every kernel it dispatched registered on 'torch', the fused
// LayerNorm/GELU/attention kernels in use; evaluation's and prediction's forward passes; the reference parity fixture to
// 1e-4; and no tensor (tfjs's count, the addon's native tensors and bytes) left behind over 200 steps, with and without
// recomputing the blocks in the backward pass.
import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../../src/config/presets';
import { torchMemory } from '../../src/engine/backends/torch';
import { FUSED_KERNEL_NAMES } from '../../src/engine/fused';
import { TimeSformer } from '../../src/model/timesformer';
import { DEFAULT_OPTIMIZER, Optimizer, OptimizerConfig } from '../../src/train/optimizer';
import { trainStep } from '../../src/train/train_step';
import { expectParity } from '../helpers/fixtures';
import { randomClips, randomizeWeights } from '../helpers/tf';
import '@tensorflow/tfjs-backend-wasm';
import { describeTorch, kernelsOf, maxRelDiff, useCpu, useTorch } from './torch_helpers';

const HEADS = [
  { name: 'k400', numClasses: 5, labels: ['a', 'b', 'c', 'd', 'e'] },
  { name: 'imnet', numClasses: 3, labels: ['x', 'y', 'z'] },
];

interface Run {
  losses: number[];
  params: Map<string, Float32Array>;
  kernels: Set<string>;
}

/** `steps` training steps of the tiny preset from fixed weights and data on the active backend. */
async function train(config: OptimizerConfig, steps: number, opts: { labelSmoothing?: number } = {}): Promise<Run> {
  const model = new TimeSformer({ ...getPreset('tiny'), dropRate: 0.1, dropPathRate: 0.1 }, HEADS, 1);
  randomizeWeights(model, 2);
  const opt = new Optimizer(config);
  const x = randomClips(3, 2, 32, 11);
  const img = randomClips(2, 1, 32, 12);
  const batch = [
    { head: 'k400', x, labels: Int32Array.from([0, 1, 4]) },
    { head: 'imnet', x: img, labels: Int32Array.from([0, 2]), targets: Float32Array.from([0.7, 0, 0.3, 0, 0.4, 0.6]) }, // mixup targets
  ];
  const losses: number[] = [];
  const kernels = new Set<string>();
  try {
    for (let i = 0; i < steps; i++) {
      const stepOpts = { lr: 1e-3, seed: i, clipGradNorm: 1, labelSmoothing: opts.labelSmoothing ?? 0.1 };
      const seen = await kernelsOf(() => {
        losses.push(trainStep(model, batch, opt, stepOpts).loss);
        return [];
      });
      seen.forEach((k) => kernels.add(k));
    }
    const params = new Map<string, Float32Array>();
    for (const [name, v] of model.namedWeights()) params.set(name, v.dataSync() as Float32Array);
    return { losses, params, kernels };
  } finally {
    tf.dispose([x, img]);
    opt.dispose();
    model.dispose();
  }
}

function expectSameRun(torch: Run, cpu: Run, tol: number): void {
  torch.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i])).toBeLessThan(tol));
  let worst = 0;
  for (const [name, p] of cpu.params) worst = Math.max(worst, maxRelDiff(Array.from(torch.params.get(name)!), Array.from(p)));
  expect(worst).toBeLessThan(tol);
}

describeTorch('the torch backend trains, evaluates and predicts like the cpu backend', () => {
  afterAll(() => useCpu());

  test.each([
    ['adamw', DEFAULT_OPTIMIZER.adamw],
    ['sgd', { ...DEFAULT_OPTIMIZER.sgd, momentum: 0.9, nesterov: true }],
  ])('%s: 2 steps (dropout, drop-path, label smoothing, clipping) equal cpu to 1e-4; every kernel is a torch kernel', async (_name, config) => {
    await useCpu();
    const cpu = await train(config as OptimizerConfig, 2);
    await useTorch();
    const torch = await train(config as OptimizerConfig, 2);
    expectSameRun(torch, cpu, 1e-4);
    // tf.profile also lists customGrad scopes ('fusedMatMul__op'); a kernel is a name some backend registers
    const known = new Set([...tf.getKernelsForBackend('cpu'), ...tf.getKernelsForBackend('wasm')].map((k) => k.kernelName));
    const kernels = [...torch.kernels].filter((k) => known.has(k) || k.startsWith('Cover'));
    expect(kernels.length).toBeGreaterThan(25);
    const missing = kernels.filter((k) => !tf.getKernel(k, 'torch'));
    expect(missing).toEqual([]);
    // the model took its fused path on torch
    expect([...torch.kernels]).toEqual(expect.arrayContaining(Object.values(FUSED_KERNEL_NAMES)));
    expect(torch.losses[1]).not.toBe(torch.losses[0]);
  });

  test('evaluation and prediction forward passes (features, head logits, softmax over heads) equal cpu', async () => {
    const forward = () => {
      const model = new TimeSformer(getPreset('tiny'), HEADS, 1);
      randomizeWeights(model, 5);
      const x = randomClips(2, 2, 32, 21);
      try {
        return tf.tidy(() => {
          const feats = model.forwardFeatures(x);
          const logits = model.forwardHead(feats, 'k400');
          const probs = tf.concat(HEADS.map((h) => tf.softmax(model.forwardHead(feats, h.name))), 1);
          return [feats, logits, probs].map((t) => Array.from(t.dataSync()));
        });
      } finally {
        x.dispose();
        model.dispose();
      }
    };
    await useCpu();
    const cpu = forward();
    await useTorch();
    const before = tf.memory().numTensors;
    const torch = forward();
    expect(tf.memory().numTensors).toBe(before);
    torch.forEach((v, i) => expect(maxRelDiff(v, cpu[i])).toBeLessThan(1e-4));
  });

  test('parity fixture tiny-a: features and logits within 1e-4 of the reference, no tensor leaked', async () => {
    await useTorch();
    const r = await expectParity();
    expect(r.backend).toBe('torch');
  });

  test.each([['off', false], ['blocks', true]])('200 training steps (--recompute %s) leave tfjs tensors and native tensors/bytes flat (checked at 100 and 200)', async (_name, recompute) => {
    await useTorch();
    const model = new TimeSformer({ ...getPreset('tiny'), dropRate: 0.1, dropPathRate: 0.1 }, HEADS, 1);
    randomizeWeights(model, 3);
    const opt = new Optimizer(DEFAULT_OPTIMIZER.adamw);
    const x = randomClips(2, 2, 32, 31);
    const batch = [{ head: 'k400', x, labels: Int32Array.from([1, 3]) }];
    try {
      trainStep(model, batch, opt, { lr: 1e-3, seed: 0, clipGradNorm: 1, recompute }); // creates the optimizer's slots
      const tensors = tf.memory().numTensors;
      const native = torchMemory();
      expect(native.tensors).toBeGreaterThan(0);
      for (let i = 1; i <= 200; i++) {
        trainStep(model, batch, opt, { lr: 1e-3, seed: i, clipGradNorm: 1, recompute });
        if (i % 100 === 0) {
          expect(tf.memory().numTensors).toBe(tensors);
          expect(torchMemory()).toEqual(native);
        }
      }
    } finally {
      x.dispose();
      opt.dispose();
      model.dispose();
    }
  });
});
