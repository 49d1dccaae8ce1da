// Where model/memory.ts's activation coefficients come from: the peak bytes live on the wasm heap during a training
// step (the second, so the optimizer's slots exist; every _malloc and _free counted), at B = 2 minus B = 1, on eight
// variants of `small` that move one size each (embed, MLP ratio, frames, image size, heads, depth), on the tfjs path
// (accelerator off) and the fused one (accelerator on), with and without recomputing the blocks. A least-squares fit
// of the per-clip model gives the coefficients, and the batch-independent peak gives the gradient sets; `tiny`, left
// out of the fit, is the out-of-sample check.
//
//   node dist/bench/memory_fit.js            (about 3 minutes on the 2-core reference machine)

import * as tf from '@tensorflow/tfjs-core';
import { ModelConfig } from '../src/config/model_config';
import { getPreset } from '../src/config/presets';
import { activeNative } from '../src/engine/accel/accel';
import { initBackend } from '../src/engine/backend';
import { ACTIVATION_FIT, StepPath, activationTerms, planTrainingMemory } from '../src/model/memory';
import { TimeSformer } from '../src/model/timesformer';
import { DEFAULT_OPTIMIZER, Optimizer } from '../src/train/optimizer';
import { trainStep } from '../src/train/train_step';

interface WasmHeap {
  _malloc: (n: number) => number;
  _free: (p: number) => void;
}

/** The most bytes live on the wasm heap during the second of two training steps at batch B. */
export function measureWasmStep(cfg: ModelConfig, B: number, recompute: boolean): number {
  const wasm = (tf.backend() as unknown as { wasm: WasmHeap }).wasm;
  const sizes = new Map<number, number>();
  let live = 0;
  let peak = 0;
  const malloc = wasm._malloc;
  const free = wasm._free;
  wasm._malloc = (n) => {
    const p = malloc(n);
    sizes.set(p >>> 0, n);
    live += n;
    peak = Math.max(peak, live);
    return p;
  };
  wasm._free = (p) => {
    live -= sizes.get(p >>> 0) ?? 0;
    sizes.delete(p >>> 0);
    free(p);
  };
  const model = new TimeSformer(cfg, [{ name: 'a', numClasses: 10, labels: Array.from({ length: 10 }, (_, i) => `c${i}`) }], 0);
  const optimizer = new Optimizer(DEFAULT_OPTIMIZER.adamw);
  const x = tf.randomNormal([B, cfg.numFrames, cfg.imgSize, cfg.imgSize, 3]);
  const step = () => trainStep(model, [{ head: 'a', x, labels: new Int32Array(B) }], optimizer, { lr: 1e-4, clipGradNorm: 1, seed: 1, recompute });
  try {
    step();
    peak = live;
    step();
    return peak;
  } finally {
    wasm._malloc = malloc;
    wasm._free = free;
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** Solves the least-squares problem min |A c - y| by the normal equations (a handful of unknowns). */
function leastSquares(A: number[][], y: number[]): number[] {
  const n = A[0].length;
  const M = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (j < n ? A.reduce((s, r) => s + r[i] * r[j], 0) : A.reduce((s, r, k) => s + r[i] * y[k], 0))));
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(M[r][i]) > Math.abs(M[p][i])) p = r;
    [M[i], M[p]] = [M[p], M[i]];
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = M[r][i] / M[i][i];
      for (let j = i; j <= n; j++) M[r][j] -= f * M[i][j];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/**
 * Non-negative coefficients with the smallest worst relative error (the plan is checked as a ratio): relative least
 * squares on every subset of the terms, the others held at 0, keeping the subsets whose coefficients are all >= 0.
 * Some terms are nearly collinear over the variants, and a plain fit trades them against each other into negative
 * coefficients that extrapolate badly (to `base`, `large`).
 */
function nonNegativeFit(rows: number[][], ys: number[]): number[] {
  const n = rows[0].length;
  let best: { coef: number[]; worst: number } | null = null;
  for (let mask = 1; mask < 1 << n; mask++) {
    const cols = Array.from({ length: n }, (_, j) => j).filter((j) => mask & (1 << j));
    const sub = leastSquares(rows.map((r, i) => cols.map((j) => r[j] / ys[i])), ys.map(() => 1));
    if (sub.some((c) => !(c >= 0))) continue;
    const coef = Array.from({ length: n }, () => 0);
    cols.forEach((j, k) => (coef[j] = sub[k]));
    const worst = Math.max(...rows.map((r, i) => Math.abs(r.reduce((s, v, j) => s + v * coef[j], 0) / ys[i] - 1)));
    if (!best || worst < best.worst) best = { coef, worst };
  }
  return best!.coef;
}

/** The worst relative error of `coef` over the rows (except `skip`). */
function worstError(rows: number[][], ys: number[], coef: number[], skip: number | null = null): number {
  return Math.max(...rows.map((r, i) => (i === skip ? 0 : Math.abs(r.reduce((s, v, j) => s + v * coef[j], 0) / ys[i] - 1))));
}

/**
 * The non-negative fit over all variants, or over all but one when leaving that one out at least halves the worst
 * error of the rest (one measurement off the model, as `T 4` was on every path on 2026-12-05: its peak difference came
 * out below what every other variant's scaling predicts).
 */
function trimmedFit(rows: number[][], ys: number[]): { coef: number[]; worst: number; dropped: number | null } {
  const all = nonNegativeFit(rows, ys);
  let best = { coef: all, worst: worstError(rows, ys, all), dropped: null as number | null };
  rows.forEach((_, i) => {
    const coef = nonNegativeFit(rows.filter((__, k) => k !== i), ys.filter((__, k) => k !== i));
    const worst = worstError(rows, ys, coef, i);
    if (worst < best.worst && worst <= worstError(rows, ys, all) / 2) best = { coef, worst, dropped: i };
  });
  return best;
}

const SMALL = getPreset('small');
const VARIANTS: [string, ModelConfig][] = [
  ['small', SMALL],
  ['D 96', { ...SMALL, embedDim: 96 }],
  ['mlp 2', { ...SMALL, mlpRatio: 2 }],
  ['T 4', { ...SMALL, numFrames: 4 }],
  ['T 16', { ...SMALL, numFrames: 16 }],
  ['img 96', { ...SMALL, imgSize: 96 }],
  ['img 128', { ...SMALL, imgSize: 128 }],
  ['heads 6', { ...SMALL, numHeads: 6 }],
  ['depth 2', { ...SMALL, depth: 2 }],
];

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const accel of ['off', 'auto'] as const) {
    await initBackend({ backend: 'wasm', accel });
    const path: StepPath = activeNative() ? 'fused' : 'tfjs';
    for (const recompute of [false, true]) {
      const rows: number[][] = [];
      const ys: number[] = [];
      const sets: number[] = [];
      for (const [, cfg] of VARIANTS) {
        const p1 = measureWasmStep(cfg, 1, recompute);
        const p2 = measureWasmStep(cfg, 2, recompute);
        rows.push(activationTerms(cfg, recompute));
        ys.push((p2 - p1) / 4);
        // What B = 1 holds besides one clip's activations and input: weights, slots, and this many gradient sets.
        const plan = planTrainingMemory({ model: cfg, headClasses: [10], optimizer: 'adamw', batchSize: 1, microBatch: 1, path, recompute });
        const input = 4 * cfg.numFrames * cfg.imgSize ** 2 * 3;
        sets.push((p1 - (p2 - p1) - plan.weightsBytes - plan.slotsBytes - input) / (4 * plan.trainedParams));
      }
      // With recompute, each block's saved input is one [L, D] tensor a clip: its coefficient is 1 by construction (the
      // variants cannot resolve it: it is ~1% of one block's activations on `small`, but a fifth of the total on `large`).
      const known = recompute ? 1 : 0;
      const fit = trimmedFit(rows.map((r) => r.slice(known)), ys.map((y, i) => y - known * rows[i][0]));
      const coef = [...(recompute ? [1] : []), ...fit.coef];
      const { dropped } = fit;
      const worst = worstError(rows, ys, coef, dropped);
      const tiny = getPreset('tiny');
      const t1 = measureWasmStep(tiny, 1, recompute);
      const t2 = measureWasmStep(tiny, 2, recompute);
      const tinyPredicted = 4 * activationTerms(tiny, recompute).reduce((s, v, j) => s + v * coef[j], 0);
      const key = `${path}${recompute ? ', recompute' : ''}`;
      out[key] = {
        coefficients: coef.map((c) => Number(c.toFixed(2))),
        worstFitError: Number(worst.toFixed(3)),
        leftOut: dropped === null ? 'none' : VARIANTS[dropped][0],
        gradientSets: Number((sets.reduce((s, v) => s + v, 0) / sets.length).toFixed(2)),
        tiny: { measuredBytesPerClip: t2 - t1, predicted: Math.round(tinyPredicted) },
        current: ACTIVATION_FIT[path],
        variants: VARIANTS.map(([name], i) => `${name} ${(ys[i] * 4 / 1e6).toFixed(2)} MB`).join(', '),
        measured: { rows, ys },
      };
      process.stdout.write(`${key}: ${JSON.stringify(out[key])}\n`);
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
