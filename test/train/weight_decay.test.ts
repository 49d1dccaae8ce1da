// Weight decay: the tfjs optimizer decays whenever wd != 0, as the native fused one does (native/src/fused_optimizer.cc:
// `if (wd != 0)`), so a run gives the same weights with and without the accelerator; a negative decay is refused.
import * as tf from '@tensorflow/tfjs-core';
import { initAccel } from '../../src/engine/accel/accel';
import { installFusedKernels } from '../../src/engine/accel/fused_kernels';
import { loadNative } from '../../src/engine/accel/native';
import { ConfigError } from '../../src/errors';
import { DEFAULT_OPTIMIZER, Optimizer, OptimizerConfig } from '../../src/train/optimizer';
import { useBackend } from '../helpers/tf';

beforeAll(async () => {
  await useBackend('wasm');
  initAccel('off', 'wasm');
});

let made = 0;
/** One SGD step (no momentum) on a 2-D weight: p - lr * (g + wd * p). */
function sgdStep(config: OptimizerConfig, fused: boolean): Float32Array {
  initAccel(fused ? 'native' : 'off', 'wasm');
  const p = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]), true, `w#${made++}`);
  const g = tf.tensor2d([[0.1, 0.2], [-0.3, 0.4]]);
  const opt = new Optimizer(config);
  try {
    opt.apply(new Map([['blocks.0.mlp.fc1.weight', p]]), new Map([['blocks.0.mlp.fc1.weight', g]]), 0.5);
    return p.dataSync() as Float32Array;
  } finally {
    opt.dispose();
    tf.dispose([p, g]);
    initAccel('off', 'wasm');
  }
}

const plainSgd = (wd: number): OptimizerConfig => ({ ...DEFAULT_OPTIMIZER.sgd, momentum: 0, nesterov: false, weightDecay: wd });

test.each([0, 1e-4, 0.05, 1])('wd %p: the tfjs step is p - lr (g + wd p)', (wd) => {
  const p = [1, -2, 3, 0.5];
  const g = [0.1, 0.2, -0.3, 0.4];
  const got = Array.from(sgdStep(plainSgd(wd), false));
  got.forEach((v, i) => expect(v).toBeCloseTo(p[i] - 0.5 * (g[i] + wd * p[i]), 6));
});

test('a negative weight decay is refused by the optimizer itself (ConfigError), on either path', () => {
  expect(() => new Optimizer(plainSgd(-0.05))).toThrow(ConfigError);
  expect(() => new Optimizer({ ...DEFAULT_OPTIMIZER.adamw, weightDecay: -1 })).toThrow(/weight decay -1 is not a number of at least 0/);
  expect(() => new Optimizer({ ...DEFAULT_OPTIMIZER.adamw, weightDecay: NaN })).toThrow(ConfigError);
});

const { addon } = loadNative();
(addon ? test : test.skip).each([0, 1e-4, 0.05, 1])('wd %p: the native fused step gives the tfjs step (SGD and AdamW)', (wd) => {
  installFusedKernels(addon!);
  for (const config of [plainSgd(wd), { ...DEFAULT_OPTIMIZER.adamw, weightDecay: wd }]) {
    const a = sgdStep(config, true);
    const b = sgdStep(config, false);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
  }
});
