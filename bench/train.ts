// Training-step benchmark: ms per step and achieved matmul GFLOP/s (analytic count, model/flops.ts) for a preset on the
// active backend, plus a per-kernel profile of one step, to show where the time goes.

import * as tf from '@tensorflow/tfjs-core';
import { getPreset } from '../src/config/presets';
import { trainStepFlops } from '../src/model/flops';
import { TimeSformer } from '../src/model/timesformer';
import { Optimizer, DEFAULT_OPTIMIZER } from '../src/train/optimizer';
import { trainStep, HeadBatch } from '../src/train/train_step';

export interface TrainBenchResult {
  backend: string;
  preset: string;
  batch: number;
  frames: number;
  microBatch: number;
  msPerStep: number;
  gflopPerStep: number;
  gflops: number;
  clipsPerSec: number;
  steps: number;
  /** With `--pairs N`: which of the N interleaved PyTorch/torch pairs this row belongs to (0-based). */
  round?: number;
  /** Kernel name -> ms in one profiled step, largest first (top 12). */
  kernels?: { kernel: string; ms: number; share: number }[];
}

/** Untimed steps before the timed ones, the same for every backend and PyTorch: tiny settles (JIT, allocator) after ~15. */
export function warmupSteps(preset: string): number {
  return preset === 'base' ? 1 : preset === 'tiny' ? 15 : 5;
}

export async function benchTrainStep(opts: { preset: string; batch: number; steps: number; microBatch?: number; profile?: boolean; warmup?: number; recompute?: boolean }): Promise<TrainBenchResult> {
  const cfg = getPreset(opts.preset);
  const heads = [{ name: 'bench', numClasses: 10, labels: Array.from({ length: 10 }, (_, i) => `c${i}`) }];
  const model = new TimeSformer(cfg, heads, 0);
  const optimizer = new Optimizer(DEFAULT_OPTIMIZER.adamw);
  const B = opts.batch;
  const T = cfg.numFrames;
  const x = tf.randomNormal([B, T, cfg.imgSize, cfg.imgSize, 3], 0, 1, 'float32', 1);
  const labels = Int32Array.from({ length: B }, (_, i) => i % 10);
  const batch: HeadBatch[] = [{ head: 'bench', x, labels }];
  const micro = opts.microBatch ?? B;
  const recompute = opts.recompute ?? false;
  try {
    const warmup = opts.warmup ?? warmupSteps(opts.preset);
    for (let i = 0; i < warmup; i++) trainStep(model, batch, optimizer, { lr: 1e-4, seed: 1000 + i, microBatch: micro, recompute }); // kernels compiled, memory grown
    const times: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      const t0 = performance.now();
      trainStep(model, batch, optimizer, { lr: 1e-4, seed: i + 1, microBatch: micro, recompute });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    const flop = trainStepFlops(cfg, B, T, cfg.imgSize, [10]);
    const result: TrainBenchResult = {
      backend: tf.getBackend(),
      preset: opts.preset,
      batch: B,
      frames: T,
      microBatch: micro,
      msPerStep: ms,
      gflopPerStep: flop / 1e9,
      gflops: flop / 1e9 / (ms / 1000),
      clipsPerSec: B / (ms / 1000),
      steps: opts.steps,
    };
    if (opts.profile) {
      const info = await tf.profile(() => {
        trainStep(model, batch, optimizer, { lr: 1e-4, seed: 99, microBatch: micro });
      });
      const byKernel = new Map<string, number>();
      // 'unnamed scope' rows (customGrad) and 'name__op' rows (op scopes) contain kernels already counted on their own.
      for (const k of info.kernels) {
        if (k.name === 'unnamed scope' || k.name.endsWith('__op')) continue;
        byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (Number(k.kernelTimeMs) || 0));
      }
      const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
      result.kernels = [...byKernel.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([kernel, kms]) => ({ kernel, ms: kms, share: kms / total }));
    }
    return result;
  } finally {
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * Losses of `steps` training steps from one seed (same weights, batch, drop-path masks): run once per accelerator mode
 * to check that the accelerator changes how kernels run, not what they compute.
 */
export function lossTrajectory(opts: { preset: string; batch: number; steps: number }): number[] {
  const cfg = getPreset(opts.preset);
  const heads = [{ name: 'bench', numClasses: 10, labels: Array.from({ length: 10 }, (_, i) => `c${i}`) }];
  const model = new TimeSformer(cfg, heads, 0);
  const optimizer = new Optimizer(DEFAULT_OPTIMIZER.adamw);
  const x = tf.randomNormal([opts.batch, cfg.numFrames, cfg.imgSize, cfg.imgSize, 3], 0, 1, 'float32', 1);
  const labels = Int32Array.from({ length: opts.batch }, (_, i) => i % 10);
  try {
    return Array.from({ length: opts.steps }, (_, i) =>
      trainStep(model, [{ head: 'bench', x, labels }], optimizer, { lr: 1e-4, seed: i, clipGradNorm: 1 }).loss,
    );
  } finally {
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
