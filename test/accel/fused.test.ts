// The fused native kernels (engine/accel/fused_kernels.ts), called through the contract's ops (engine/fused.ts), against
// the unfused tfjs paths they replace, on wasm: values and gradients of LayerNorm, GELU and the attention core on odd
// shapes (S = 1, one head, T = 1 clips), the optimizer step (AdamW with and without weight decay, Nesterov SGD,
// clipping's gradScale, state save/load, buffers shared with other tensors), and the tiny model's training losses with
// and without the accelerator. Skipped where the addon is not built (it is optional).
import * as tf from '@tensorflow/tfjs-core';
import { initAccel } from '../../src/engine/accel/accel';
import { installFusedKernels } from '../../src/engine/accel/fused_kernels';
import { FUSED_KERNEL_NAMES, fusedAttentionCore, fusedGelu, fusedLayerNorm, fusedLinear } from '../../src/engine/fused';
import { loadNative } from '../../src/engine/accel/native';
import { getPreset } from '../../src/config/presets';
import { attentionCore } from '../../src/model/attention';
import { evalContext, trainContext } from '../../src/model/context';
import { gelu } from '../../src/model/gelu';
import { layerNorm } from '../../src/model/layer_norm';
import { TimeSformer } from '../../src/model/timesformer';
import { DEFAULT_OPTIMIZER, Optimizer, OptimizerConfig } from '../../src/train/optimizer';
import { globalNorm, trainStep } from '../../src/train/train_step';
import { randomClips, randomizeWeights, useBackend } from '../helpers/tf';

const { addon } = loadNative();
const d = addon ? describe : describe.skip;

/** Largest |a - b| relative to max(1, |b|) over all elements. */
function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  return worst;
}

/** Value and gradients (w.r.t. every input) of sum(f(inputs) * r) for a fixed random r: exercises the backward. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number): tf.Tensor[] {
  return tf.tidy(() => {
    const y = f(...inputs);
    const r = tf.randomNormal(y.shape, 0, 1, 'float32', seed);
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
    value.dispose();
    return [y, ...grads];
  });
}

function expectClose(fused: tf.Tensor[], ref: tf.Tensor[], tol: number): void {
  expect(fused.length).toBe(ref.length);
  fused.forEach((t, i) => expect(maxRelDiff(t, ref[i])).toBeLessThan(tol));
}

/** Kernel names run by fn (tf.profile), to see which path a call took. */
async function kernelsRun(fn: () => tf.TensorContainer): Promise<Set<string>> {
  const info = await tf.profile(() => fn());
  return new Set(info.kernels.map((k) => k.name));
}

d('fused kernels on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    initAccel('off', 'wasm'); // the model's ops take their tfjs path: the reference here
    installFusedKernels(addon!);
  });
  afterAll(() => initAccel('off', 'wasm'));

  test.each([
    [[5, 7], 3, true],
    [[2, 3, 16], 8, true],
    [[4, 1, 192], 576, false], // one token per sequence, a qkv projection's width, no bias
    [[1, 9], 1, true],
  ])('linear x %j to %i features (bias %s): values and gradients match the tfjs ops', (shape, N, bias) => {
    const K = shape[shape.length - 1];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
    const w = tf.randomNormal([K, N], 0, 0.3, 'float32', 2);
    const b = tf.randomNormal([N], 0, 0.5, 'float32', 3);
    const plain = (xx: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) => {
      const y = tf.matMul(tf.reshape(xx, [-1, K]) as tf.Tensor2D, ww as tf.Tensor2D);
      return tf.reshape(bb ? tf.add(y, bb) : y, [...shape.slice(0, -1), N]);
    };
    const inputs = bias ? [x, w, b] : [x, w];
    const fused = valueAndGrads((xx, ww, bb) => fusedLinear(xx, ww, bb ?? null), inputs, 4);
    const ref = valueAndGrads(plain, inputs, 4);
    expect(fused[0].shape).toEqual([...shape.slice(0, -1), N]);
    expectClose(fused, ref, 2e-5);
    tf.dispose([x, w, b, ...fused, ...ref]);
  });

  test.each([
    [[3, 5, 7]],
    [[1, 16]],
    [[2, 1, 33]], // one token per sequence
    [[4, 2, 192]],
  ])('LayerNorm %j: values and gradients match the tfjs ops', (shape) => {
    const D = shape[shape.length - 1];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 0.5);
    const w = tf.randomNormal([D], 1, 0.5, 'float32', 2);
    const b = tf.randomNormal([D], 0, 0.5, 'float32', 3);
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => fusedLayerNorm(xx, ww, bb, 1e-6);
    const r = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => layerNorm(xx, ww, bb, 1e-6);
    const fused = valueAndGrads(f, [x, w, b], 4);
    const ref = valueAndGrads(r, [x, w, b], 4);
    expectClose(fused, ref, 2e-5);
    tf.dispose([x, w, b, ...fused, ...ref]);
  });

  test.each([[[5]], [[3, 7, 11]], [[1]], [[2, 4, 768]]])('GELU %j: values and gradients match the tfjs ops', (shape) => {
    const x = tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 5), 4); // reaches erf's flat tails
    const fused = valueAndGrads((t) => fusedGelu(t), [x], 6);
    const ref = valueAndGrads((t) => gelu(t), [x], 6);
    expectClose(fused, ref, 2e-6);
    tf.dispose([x, ...fused, ...ref]);
  });

  test.each([
    [2, 5, 3, 4],
    [3, 1, 2, 8], // S = 1 (a T = 1 clip's temporal attention)
    [1, 17, 3, 64], // a frame's 16 patches + CLS at the small preset's width
    [4, 8, 1, 3], // one head, odd head width
  ])('attention core Bx=%i S=%i H=%i Dh=%i: values and gradients match the tfjs ops', (Bx, S, H, Dh) => {
    const qkv = tf.randomNormal([Bx, S, 3 * H * Dh], 0, 1.5, 'float32', 7);
    const scale = Dh ** -0.5;
    const opts = { numHeads: H, attnDropRate: 0, projDropRate: 0 };
    const fused = valueAndGrads((t) => fusedAttentionCore(t, H, scale), [qkv], 8);
    const ref = valueAndGrads((t) => attentionCore(t, [Bx, S, H, Dh], opts, evalContext()), [qkv], 8);
    expect(fused[0].shape).toEqual([Bx, S, H * Dh]);
    expectClose(fused, ref, 2e-5);
    tf.dispose([qkv, ...fused, ...ref]);
  });

  test('fused ops leak no tensors, forward or backward', () => {
    const x = tf.randomNormal([3, 4, 12], 0, 1, 'float32', 9);
    const w = tf.ones([12]);
    const b = tf.zeros([12]);
    const wl = tf.ones([12, 5]);
    const bl = tf.zeros([5]);
    const step = () => {
      tf.dispose(valueAndGrads((a, ww, bb) => fusedLinear(a, ww, bb), [x, wl, bl], 1));
      tf.dispose(valueAndGrads((a, ww) => fusedLinear(a, ww, null), [x, wl], 1));
      tf.dispose(valueAndGrads((a, ww, bb) => fusedLayerNorm(a, ww, bb, 1e-5), [x, w, b], 1));
      tf.dispose(valueAndGrads((a) => fusedGelu(a), [x], 2));
      tf.dispose(valueAndGrads((a) => fusedAttentionCore(a, 2, 0.5), [x], 3));
      tf.dispose([fusedLinear(x, wl, bl), fusedLayerNorm(x, w, b, 1e-5), fusedGelu(x), fusedAttentionCore(x, 2, 0.5)]); // tape off
    };
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b, wl, bl]);
  });

  test('the global norm matches the tfjs reduction', () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.randomNormal([7, 13], 0, 1, 'float32', 1)],
      ['b', tf.randomNormal([1], 0, 1, 'float32', 2)],
      ['c', tf.randomNormal([40000], 0, 0.01, 'float32', 3)],
    ]);
    const ref = globalNorm(grads);
    initAccel('native', 'wasm');
    try {
      const before = tf.memory().numTensors;
      const fused = globalNorm(grads);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(fused - ref) / ref).toBeLessThan(1e-6);
    } finally {
      initAccel('off', 'wasm');
      tf.dispose([...grads.values()]);
    }
  });
});

// ---- the optimizer ----------------------------------------------------------------------------------------------------

// Names chosen to cover decay and no-decay parameters (biases, 1-D, embeddings).
const PARAM_SHAPES: [string, number[]][] = [
  ['blocks.0.attn.qkv.weight', [6, 18]],
  ['blocks.0.attn.qkv.bias', [18]],
  ['pos_embed', [1, 5, 6]],
  ['norm.weight', [6]],
  ['head.weight', [6, 5001]], // 30K elements: split across the pool
];

let made = 0; // tfjs variable names are global
function makeParams(): Map<string, tf.Variable> {
  made++;
  return new Map(PARAM_SHAPES.map(([name, shape], i) => [name, tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.5, 'float32', 100 + i), true, `${name}#${made}`))]));
}

function gradsFor(step: number): Map<string, tf.Tensor> {
  return new Map(PARAM_SHAPES.map(([name, shape], i) => [name, tf.randomNormal(shape, 0, 1, 'float32', 1000 * step + i)]));
}

/** Runs `steps` updates (accelerator on or off) and returns params and slots as plain arrays. */
function runOptimizer(config: OptimizerConfig, fused: boolean, steps: number, gradScale = 1, resumeAt = -1): Map<string, Float32Array> {
  initAccel(fused ? 'native' : 'off', 'wasm');
  const params = makeParams();
  let opt = new Optimizer(config);
  try {
    for (let s = 1; s <= steps; s++) {
      if (s === resumeAt) {
        // Checkpoint and resume: a fresh optimizer loads the state; the loaded tensors must not change afterwards.
        const state = opt.stateTensors();
        const copies = new Map([...state].map(([k, t]) => [k, t.dataSync().slice()]));
        opt.dispose();
        opt = new Optimizer(config);
        opt.loadState(s - 1, state, params);
        const grads = gradsFor(s);
        opt.apply(params, grads, 0.01, gradScale);
        tf.dispose([...grads.values()]);
        for (const [k, t] of state) expect(Array.from(t.dataSync())).toEqual(Array.from(copies.get(k)!));
        tf.dispose([...state.values()]);
        continue;
      }
      const grads = gradsFor(s);
      opt.apply(params, grads, 0.01, gradScale);
      tf.dispose([...grads.values()]);
    }
    const out = new Map<string, Float32Array>();
    for (const [name, p] of params) out.set(name, p.dataSync() as Float32Array);
    const state = opt.stateTensors();
    for (const [k, t] of state) out.set(k, t.dataSync() as Float32Array);
    tf.dispose([...state.values()]);
    expect(opt.step).toBe(steps);
    return out;
  } finally {
    opt.dispose();
    params.forEach((p) => p.dispose());
    initAccel('off', 'wasm');
  }
}

function expectSameState(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, x] of a) {
    const y = b.get(k)!;
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
    expect({ k, worst: worst < 1e-6 }).toEqual({ k, worst: true });
  }
}

d('fused optimizer on wasm', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => initAccel('off', 'wasm'));

  test.each([
    ['AdamW with weight decay', DEFAULT_OPTIMIZER.adamw, 1],
    ['AdamW without weight decay', { ...DEFAULT_OPTIMIZER.adamw, weightDecay: 0 }, 1],
    ['AdamW with a clipping gradScale', DEFAULT_OPTIMIZER.adamw, 0.37],
    ['SGD with Nesterov momentum', DEFAULT_OPTIMIZER.sgd, 1],
    ['SGD with plain momentum and clipping', { ...DEFAULT_OPTIMIZER.sgd, nesterov: false }, 0.5],
    ['SGD without momentum', { ...DEFAULT_OPTIMIZER.sgd, momentum: 0, nesterov: false }, 1],
  ] as [string, OptimizerConfig, number][])('%s: 5 fused steps give the unfused params and slots', (_, config, scale) => {
    expectSameState(runOptimizer(config, true, 5, scale), runOptimizer(config, false, 5, scale));
  });

  test.each([
    ['AdamW', DEFAULT_OPTIMIZER.adamw],
    ['SGD', DEFAULT_OPTIMIZER.sgd],
  ] as [string, OptimizerConfig][])('%s: saving and loading the state mid-run changes nothing', (_, config) => {
    expectSameState(runOptimizer(config, true, 5, 1, 3), runOptimizer(config, false, 5));
  });

  test('an update in place never changes a tensor that shares the parameter\'s buffer, and leaks nothing', () => {
    initAccel('native', 'wasm');
    const t = tf.randomNormal([4, 4], 0, 1, 'float32', 5);
    const p = tf.variable(t); // shares t's buffer
    const before = t.dataSync().slice();
    const opt = new Optimizer(DEFAULT_OPTIMIZER.adamw);
    const g = tf.onesLike(p);
    const params = new Map([['w', p]]);
    try {
      opt.apply(params, new Map([['w', g]]), 0.1);
      expect(Array.from(t.dataSync())).toEqual(Array.from(before));
      expect(Array.from(p.dataSync())).not.toEqual(Array.from(before));
      const n = tf.memory().numTensors;
      opt.apply(params, new Map([['w', g]]), 0.1);
      expect(tf.memory().numTensors).toBe(n);
    } finally {
      tf.dispose([t, p, g]);
      opt.dispose();
      initAccel('off', 'wasm');
    }
  });
});

// ---- the whole model --------------------------------------------------------------------------------------------------

const HEADS = [
  { name: 'k400', numClasses: 5, labels: ['a', 'b', 'c', 'd', 'e'] },
  { name: 'imnet', numClasses: 3, labels: ['x', 'y', 'z'] },
];

/** 20 steps of the tiny preset on a video head and an image head (T = 1), clipping on. */
function trainLosses(accel: boolean): number[] {
  initAccel(accel ? 'native' : 'off', 'wasm');
  const model = new TimeSformer({ ...getPreset('tiny'), dropRate: 0.1, dropPathRate: 0.1 }, HEADS, 1);
  randomizeWeights(model, 2);
  const opt = new Optimizer(DEFAULT_OPTIMIZER.adamw);
  const x = randomClips(3, 2, 32, 11);
  const img = randomClips(2, 1, 32, 12);
  const batch = [
    { head: 'k400', x, labels: Int32Array.from([0, 1, 4]) },
    { head: 'imnet', x: img, labels: Int32Array.from([0, 2]) },
  ];
  try {
    const losses: number[] = [];
    let afterFirst = 0;
    for (let i = 0; i < 20; i++) {
      losses.push(trainStep(model, batch, opt, { lr: 1e-3, seed: i, clipGradNorm: 1 }).loss);
      if (i === 0) afterFirst = tf.memory().numTensors; // the first step creates the optimizer's slots
    }
    expect(tf.memory().numTensors).toBe(afterFirst);
    return losses;
  } finally {
    tf.dispose([x, img]);
    opt.dispose();
    model.dispose();
    initAccel('off', 'wasm');
  }
}

d('the tiny model with and without the accelerator', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => initAccel('off', 'wasm'));

  test('20 training steps give the same losses (1e-4), with dropout, drop-path and clipping on', () => {
    const off = trainLosses(false);
    const on = trainLosses(true);
    expect(on.length).toBe(20);
    on.forEach((l, i) => expect(Math.abs(l - off[i])).toBeLessThan(1e-4));
    expect(on[on.length - 1]).toBeLessThan(on[0]);
  });

  test('the forward pass runs the fused kernels when active; attention dropout keeps the tfjs attention', async () => {
    const x = randomClips(1, 2, 32, 3);
    initAccel('native', 'wasm');
    const model = new TimeSformer(getPreset('tiny'), HEADS, 1);
    const dropModel = new TimeSformer({ ...getPreset('tiny'), attnDropRate: 0.1 }, HEADS, 1);
    try {
      const evalRun = await kernelsRun(() => [...model.forward(x).values()]);
      expect([...evalRun]).toEqual(expect.arrayContaining([FUSED_KERNEL_NAMES.linear, FUSED_KERNEL_NAMES.layerNorm, FUSED_KERNEL_NAMES.gelu, FUSED_KERNEL_NAMES.attention]));
      const dropRun = await kernelsRun(() => [...dropModel.forward(x, undefined, trainContext(1)).values()]);
      expect(dropRun.has(FUSED_KERNEL_NAMES.attention)).toBe(false);
      expect(dropRun.has(FUSED_KERNEL_NAMES.layerNorm)).toBe(true);
      initAccel('off', 'wasm');
      const offRun = await kernelsRun(() => [...model.forward(x).values()]);
      expect([...offRun].some((k) => k.startsWith('Cover'))).toBe(false);
    } finally {
      initAccel('off', 'wasm');
      x.dispose();
      model.dispose();
      dropModel.dispose();
    }
  });
});
