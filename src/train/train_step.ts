// One co-training step: a batch made of per-dataset groups (CoVeR: each sample goes to its dataset's head; videos with
// T frames, images as T = 1, so each group is its own forward pass through the shared backbone), the loss the mean of
// the per-sample cross-entropies over the whole batch, gradients accumulated over micro-batches (the wasm heap holds
// 4 GiB and tfjs keeps every intermediate of a backward pass), optional global-norm clipping, then one optimizer update.
// A NaN or infinite loss or gradient norm stops the step before the update (NonFiniteStepError), so the weights, and
// any checkpoint saved from them, stay the last good ones.

import * as tf from '@tensorflow/tfjs-core';
import { gradientsFreeing } from '../engine/backprop';
import { fusedStep } from '../engine/fused';
import { trainContext } from '../model/context';
import { ConfigError } from '../errors';
import { TimeSformer } from '../model/timesformer';
import { crossEntropy, softCrossEntropy } from './loss';
import { Optimizer } from './optimizer';

export interface HeadBatch {
  /** The dataset head these samples belong to. */
  head: string;
  /** [B, T, H, W, 3] normalised frames; owned by the caller. */
  x: tf.Tensor;
  /** [B] class ids. */
  labels: Int32Array;
  /** [B, C] soft targets (mixup); when given, the loss uses them instead of `labels`. */
  targets?: Float32Array;
}

export interface StepOptions {
  lr: number;
  /** Most samples per forward/backward pass; the step's gradient is the same whatever this is. */
  microBatch?: number;
  labelSmoothing?: number;
  /** Clip the global gradient norm to this value (0 or undefined: no clipping). */
  clipGradNorm?: number;
  /** Seeds dropout / drop-path masks of this step. */
  seed: number;
  /** Activation checkpointing per block (model/recompute.ts): same gradients, less memory, one more forward pass. */
  recompute?: boolean;
  /** Which parameters are trained (default: all trainable variables). */
  trainable?: (name: string) => boolean;
  /**
   * Turns this process's gradients into the step's (data parallel: averaged over ranks, src/dist), before the norm,
   * clipping and the update; it disposes the gradients it is given.
   */
  reduce?: (local: BatchGradients) => BatchGradients;
}

/** A batch's summed gradients and its losses (accumulateGradients). */
export interface BatchGradients {
  grads: Map<string, tf.Tensor>;
  loss: number;
  perHead: Record<string, { loss: number; n: number }>;
  samples: number;
}

export interface StepResult {
  loss: number;
  perHead: Record<string, { loss: number; n: number }>;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  samples: number;
}

/** Computes the batch's summed gradients (unscaled by the optimizer) and its losses. The caller disposes `grads`. */
export function accumulateGradients(
  model: TimeSformer,
  batches: HeadBatch[],
  opts: Omit<StepOptions, 'lr' | 'clipGradNorm' | 'reduce'>,
): BatchGradients {
  const total = batches.reduce((n, b) => n + b.labels.length, 0);
  if (total === 0) throw new Error('trainStep: empty batch');
  const named = model.namedWeights();
  const varToParam = new Map<string, string>();
  const vars: tf.Variable[] = [];
  for (const [name, v] of named) {
    if (!v.trainable || (opts.trainable && !opts.trainable(name))) continue;
    varToParam.set(v.name, name);
    vars.push(v);
  }
  const ctx = trainContext(opts.seed, { recompute: opts.recompute });
  const micro = Math.max(1, opts.microBatch ?? total);
  const grads = new Map<string, tf.Tensor>();
  const perHead: Record<string, { loss: number; n: number }> = {};
  let lossSum = 0;

  for (const batch of batches) {
    const B = batch.x.shape[0];
    if (B !== batch.labels.length) throw new Error(`trainStep: head ${batch.head} has ${B} clips but ${batch.labels.length} labels`);
    for (let start = 0; start < B; start += micro) {
      const n = Math.min(micro, B - start);
      const labels = batch.labels.subarray(start, start + n);
      const C = batch.targets ? batch.targets.length / B : 0;
      const soft = batch.targets ? batch.targets.subarray(start * C, (start + n) * C) : undefined;
      const xs = n === B ? batch.x : tf.slice(batch.x, start, n); // [n, T, H, W, 3]
      const { value, grads: g } = gradientsFreeing(() =>
        tf.tidy(() => {
          const logits = model.forwardHead(model.forwardFeatures(xs, ctx), batch.head); // [n, C]
          const perSample = soft
            ? softCrossEntropy(logits, tf.tensor2d(soft, [n, C]), opts.labelSmoothing ?? 0)
            : crossEntropy(logits, labels, opts.labelSmoothing ?? 0);
          return tf.div(tf.sum(perSample), total) as tf.Scalar;
        }),
      vars);
      if (xs !== batch.x) xs.dispose();
      const chunkLoss = value.dataSync()[0] * total; // summed per-sample CE of this chunk
      value.dispose();
      lossSum += chunkLoss;
      const h = (perHead[batch.head] ??= { loss: 0, n: 0 });
      h.loss += chunkLoss;
      h.n += n;
      for (const [k, grad] of g.entries()) {
        if (!grad) continue; // a parameter this chunk does not reach (another dataset's head)
        const name = varToParam.get(vars[k].name)!;
        const prev = grads.get(name);
        if (prev) {
          grads.set(name, tf.add(prev, grad));
          prev.dispose();
          grad.dispose();
        } else {
          grads.set(name, grad);
        }
      }
    }
  }
  for (const h of Object.values(perHead)) h.loss /= h.n;
  return { grads, loss: lossSum / total, perHead, samples: total };
}

/** Global L2 norm of all gradients (one native call where the backend has a fused step: engine/fused.ts). */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  const list = [...grads.values()];
  const fused = fusedStep(...list);
  if (fused) return Math.sqrt(fused.globalNormSq(list));
  return tf.tidy(() => {
    const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    return Math.sqrt(tf.addN(sq).dataSync()[0]);
  });
}

/** A step whose loss or gradient norm is NaN or infinite; thrown before the optimizer touched the weights. */
export class NonFiniteStepError extends ConfigError {
  constructor(
    readonly loss: number,
    readonly gradNorm: number,
    /** Heads whose loss is not finite (empty when only the gradient norm is). */
    readonly heads: string[],
  ) {
    super(
      heads.length > 0
        ? `the loss is ${loss} (head ${heads.join(', ')}), gradient norm ${gradNorm}`
        : `the gradient norm is ${gradNorm} (loss ${loss})`,
    );
  }
}

/** One optimizer step on a co-training batch; a non-finite loss or gradient norm throws before any weight changes. */
export function trainStep(model: TimeSformer, batches: HeadBatch[], optimizer: Optimizer, opts: StepOptions): StepResult {
  // A rank of a data-parallel job whose share of the batch was all unreadable still joins the all-reduce, with nothing.
  const local: BatchGradients =
    batches.length === 0 && opts.reduce ? { grads: new Map(), loss: 0, perHead: {}, samples: 0 } : accumulateGradients(model, batches, opts);
  const { grads, loss, perHead, samples } = opts.reduce ? opts.reduce(local) : local;
  try {
    const gradNorm = globalNorm(grads);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      const heads = Object.entries(perHead).filter(([, h]) => !Number.isFinite(h.loss)).map(([name]) => name);
      throw new NonFiniteStepError(loss, gradNorm, heads);
    }
    // Clipping scales every gradient by one factor; the optimizer applies it as it reads them.
    const gradScale = opts.clipGradNorm && gradNorm > opts.clipGradNorm ? opts.clipGradNorm / (gradNorm + 1e-6) : 1;
    optimizer.apply(model.namedWeights(), grads, opts.lr, gradScale);
    return { loss, perHead, gradNorm, samples };
  } finally {
    for (const g of grads.values()) g.dispose();
  }
}
