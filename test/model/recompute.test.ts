// Activation checkpointing per block (src/model/recompute.ts): the step's loss and gradients with --recompute blocks
// equal those without, to 1e-6, on tiny and small with dropout and drop-path on, on every backend cover trains on
// (cpu, wasm with and without the native accelerator, torch); and nothing is left behind. The leak test over 200 steps
// with recompute is test/torch/training.test.ts's.
import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../../src/config/presets';
import { initBackend } from '../../src/engine/backend';
import { TimeSformer } from '../../src/model/timesformer';
import { accumulateGradients } from '../../src/train/train_step';
import { randomClips, randomizeWeights } from '../helpers/tf';
import { describeTorch, maxRelDiff, useTorch } from '../torch/torch_helpers';

const HEADS = [
  { name: 'k400', numClasses: 5, labels: ['a', 'b', 'c', 'd', 'e'] },
  { name: 'imnet', numClasses: 3, labels: ['x', 'y', 'z'] },
];

/** Largest relative difference between the gradients (and the loss) of one step with and without recompute. */
function compare(preset: string): { loss: number; worst: number; leaked: number } {
  const cfg = { ...getPreset(preset), dropRate: 0.1, attnDropRate: 0.1, dropPathRate: 0.2 };
  const model = new TimeSformer(cfg, HEADS, 0);
  randomizeWeights(model, 5);
  const B = preset === 'tiny' ? 2 : 1;
  const x = randomClips(B, cfg.numFrames, cfg.imgSize, 3);
  const img = randomClips(1, 1, cfg.imgSize, 4);
  const batch = [
    { head: 'k400', x, labels: Int32Array.from([1, 4]).subarray(0, B) },
    { head: 'imnet', x: img, labels: Int32Array.from([2]) },
  ];
  try {
    const step = (recompute: boolean) => accumulateGradients(model, batch, { seed: 9, microBatch: 1, labelSmoothing: 0.1, recompute });
    const off = step(false);
    const before = tf.memory().numTensors;
    const on = step(true);
    let worst = maxRelDiff([on.loss], [off.loss]);
    for (const [name, g] of off.grads) worst = Math.max(worst, maxRelDiff(Array.from(on.grads.get(name)!.dataSync()), Array.from(g.dataSync())));
    expect([...on.grads.keys()].sort()).toEqual([...off.grads.keys()].sort());
    tf.dispose([...on.grads.values()]);
    const leaked = tf.memory().numTensors - before;
    tf.dispose([...off.grads.values()]);
    return { loss: off.loss, worst, leaked };
  } finally {
    tf.dispose([x, img]);
    model.dispose();
  }
}

// tfjs's cpu backend is plain JavaScript: `small` there takes minutes, so it runs `tiny` only; plain wasm runs the same
// tfjs kernels as cpu, so `small` is checked with the accelerator's (and torch's) kernels.
describe.each([
  ['cpu', ['tiny'], () => initBackend({ backend: 'cpu' })],
  ['wasm', ['tiny'], () => initBackend({ backend: 'wasm', accel: 'off' })],
  ['wasm + accelerator', ['tiny', 'small'], () => initBackend({ backend: 'wasm', accel: 'auto' })],
] as const)('on %s', (_name, presets, start) => {
  test.each(presets.map((p) => [p]))('%s: recompute gives the same loss and gradients within 1e-6 and leaves nothing behind', async (preset) => {
    await start();
    const r = compare(preset);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.worst).toBeLessThanOrEqual(1e-6);
    expect(r.leaked).toBe(0);
  });
});

describeTorch('on torch', () => {
  test.each([['tiny'], ['small']])('%s: recompute gives the same loss and gradients within 1e-6', async (preset) => {
    await useTorch();
    const r = compare(preset);
    expect(r.worst).toBeLessThanOrEqual(1e-6);
    expect(r.leaked).toBe(0);
  });
});
