// What a training step of this model needs in memory, from its configuration alone (nothing is allocated): the memory
// counterpart of flops.ts. The preflight (train/memory_preflight.ts) compares it with what the backend can hold
// (engine/capacity.ts) before the first step, so that a run that cannot fit ends in one line with the numbers instead of
// an abort deep inside a step.
//
// Needs, in bytes (float32):
//   weights      every parameter, heads included;
//   slots        optimizer state per trained parameter: AdamW 2 (m, v), SGD with momentum 1, plain SGD 0;
//   gradients    one per trained parameter, and a second set while micro-batches accumulate (train_step.ts adds each
//                micro-batch's fresh gradients to the running sum);
//   activations  what the tape holds for one micro-batch at the peak of its backward pass, plus the batch's input.
//
// The backward pass frees as it goes (engine/backprop.ts): each op's saved tensors once its gradient has run, each
// intermediate gradient once it has been passed on. So the peak is the forward pass's saved tensors plus the gradients
// in flight, not (as with tfjs's own backward pass) every saved tensor and every intermediate gradient at once. With
// --recompute blocks (model/recompute.ts) the tape holds each block's input and one block's activations at a time.
//
// Activation model, per clip, with L = 1 + T*N tokens, D embed, Dh = D * mlpRatio hidden, S attention-score elements
// per block (divided: T*H*(N+1)^2 spatial + N*H*T^2 temporal), depth blocks, P input pixel values:
//   off        floats = a*depth*L*D + b*depth*L*Dh + c*depth*S + e*L*D + p*P
//   recompute  floats = r*depth*L*D + a'*L*D + b'*L*Dh + c'*S + p'*P
// The coefficients are bench/memory_fit.ts's (run 2026-12-05 on the 2-core reference machine, after the forward pass
// stopped keeping what no gradient reads: engine/lean_saves.ts): the peak bytes live on the wasm heap during a training
// step (the second, so the optimizer's slots exist; every _malloc and _free counted), B = 2 minus B = 1, on variants of
// `small` that each move one size, fitted non-negative by least relative error. r is 1 by construction (each block's
// saved input; too small on `small` for the variants to resolve). On the variants the fit is within 5.8% (tfjs path)
// and 0.4% (accelerator) without recompute, 1.4% and 3.6% with it (T 4 left out as an outlier where the script's rule
// says so: its difference comes out below every other variant's scaling); out of sample, on `tiny`, it predicts 0.50 MB
// per clip against 0.47 measured (tfjs path) and 0.34 against 0.33 (accelerator).
// test/model/memory.test.ts checks the whole estimate against a real `tiny` and `small` step within a factor 1.25.
// The cpu backend shares cloned buffers instead of copying them, so the tfjs-path numbers are an upper bound there.

import { ModelConfig, gridSize } from '../config/model_config';
import type { OptimizerName } from '../config/optimizer_name';
import { backboneParamSpecs, countParams, headParamSpecs, headPrefix } from './param_spec';

/**
 * Which kernels run the step: tfjs's own ops, the native accelerator's fused ones on wasm (engine/accel), or the torch
 * backend (fused kernels too, in libtorch's memory).
 */
export type StepPath = 'tfjs' | 'fused' | 'torch';

/**
 * The torch backend's activations per clip against the fused model's, without and with recompute: measured on `base`
 * by peak resident memory at batch 1 and 4 in fresh processes (`node dist/bench/memory.js`, 2026-12-05, 2-core VM):
 * 1743 MiB a clip where the fused model gives 1560, and 282 recomputed where it gives 255 (libtorch's allocator and
 * glibc keep freed blocks for reuse, which a heap count does not see). PyTorch eager on the same step: 1879 MiB.
 */
const TORCH_OVER_FUSED = { off: 1.12, recompute: 1.11 };

/** Coefficients of the activation model above, without and with recompute, and the batch-independent gradient sets. */
export interface ActivationFit {
  /** Floats per clip for each of activationTerms(m, false): depth*L*D, depth*L*Dh, depth*S, L*D, pixels. */
  off: number[];
  /** Floats per clip for each of activationTerms(m, true): depth*L*D, L*D, L*Dh, S, pixels. */
  recompute: number[];
  /**
   * Gradient sets alive at the peak besides the activations, whatever the batch: measured on `small` 1.74 (1.3
   * recomputed) on the tfjs path, whose peak now falls in the optimizer's update, and 0.04 (0.63) with the
   * accelerator, whose peak falls early in the backward pass, before most gradients exist; 1 for every path, since a
   * larger model's peak comes where its activations and its gradients are all alive.
   */
  gradSets: number;
}

const FUSED_FIT: ActivationFit = { off: [16.46, 2.02, 0.63, 18.55, 2.14], recompute: [1, 23.42, 1.83, 3.36, 1.86], gradSets: 1 };

export const ACTIVATION_FIT: Record<StepPath, ActivationFit> = {
  tfjs: { off: [7.9, 5.16, 8.28, 33.8, 1.08], recompute: [1, 35.08, 15.38, 4.36, 2.12], gradSets: 1 },
  fused: FUSED_FIT,
  torch: {
    off: FUSED_FIT.off.map((c) => c * TORCH_OVER_FUSED.off),
    recompute: FUSED_FIT.recompute.map((c) => c * TORCH_OVER_FUSED.recompute),
    gradSets: FUSED_FIT.gradSets,
  },
};

/** Slot variables per trained parameter (optimizer.ts: AdamW m and v; SGD's momentum buffer). */
export const OPTIMIZER_SLOTS: Record<OptimizerName, number> = { adamw: 2, sgd: 1 };

export interface TrainingShape {
  model: ModelConfig;
  /** Classes of each head. */
  headClasses: number[];
  optimizer: OptimizerName;
  /** Clips per step. */
  batchSize: number;
  /** Clips per forward/backward pass. */
  microBatch: number;
  /** `cover pretrain` trains only the non-temporal parameters. */
  freezeTemporal?: boolean;
  path: StepPath;
  /** Each block recomputed in the backward pass (model/recompute.ts): its activations are held one block at a time. */
  recompute?: boolean;
}

export interface MemoryPlan {
  /** Parameters in all (backbone and heads), and those trained. */
  params: number;
  trainedParams: number;
  weightsBytes: number;
  gradsBytes: number;
  slotsBytes: number;
  /** The micro-batch's activations and the step's input batch. */
  activationsBytes: number;
  totalBytes: number;
}

const F32 = 4;

/** Tokens and attention-score elements of one clip, for the model's attention scheme. */
function geometry(m: ModelConfig): { L: number; scores: number } {
  const N = gridSize(m) ** 2;
  const T = m.numFrames;
  const H = m.numHeads;
  const L = 1 + N * T;
  switch (m.attentionType) {
    case 'divided_space_time':
      return { L, scores: T * H * (N + 1) ** 2 + N * H * T * T };
    case 'joint_space_time':
      return { L, scores: H * L * L };
    case 'space_only':
      return { L: T * (N + 1), scores: T * H * (N + 1) ** 2 };
    default: {
      const never: never = m.attentionType;
      throw new Error(`unknown attention type ${String(never)}`);
    }
  }
}

/**
 * The sizes the activation model's coefficients multiply, for one clip: without recompute every block's activations
 * (depth*L*D, depth*L*Dh, depth*S) plus what is outside the blocks (L*D) and the input (pixels); with it, one saved
 * input per block (depth*L*D) plus one block's activations at a time (L*D, L*Dh, S) and the input.
 */
export function activationTerms(m: ModelConfig, recompute: boolean): number[] {
  const { L, scores } = geometry(m);
  const D = m.embedDim;
  const hidden = Math.round(D * m.mlpRatio);
  const pixels = m.numFrames * m.imgSize ** 2 * m.inChans;
  return recompute
    ? [m.depth * L * D, L * D, L * hidden, scores, pixels]
    : [m.depth * L * D, m.depth * L * hidden, m.depth * scores, L * D, pixels];
}

/** Bytes the tape holds for one clip at the peak of a training step's backward pass. */
export function activationBytesPerClip(m: ModelConfig, path: StepPath, recompute = false): number {
  const fit = ACTIVATION_FIT[path];
  const coef = recompute ? fit.recompute : fit.off;
  return F32 * activationTerms(m, recompute).reduce((s, v, i) => s + v * coef[i], 0);
}

/**
 * The memory a training step needs.
 *
 * @example
 * planTrainingMemory({ model: getPreset('base'), headClasses: [400], optimizer: 'adamw', batchSize: 8, microBatch: 1, path: 'fused' })
 * // { params: 121566352, weightsBytes: 486265408, slotsBytes: 972530816, gradsBytes: 972530816, activationsBytes: ~4.1e9, ... }
 */
export function planTrainingMemory(s: TrainingShape): MemoryPlan {
  const backbone = backboneParamSpecs(s.model);
  const heads = s.headClasses.map((c, i) => headParamSpecs(headPrefix(`h${i}`), s.model.embedDim, c));
  const params = countParams(backbone) + heads.reduce((n, h) => n + countParams(h), 0);
  const frozen = s.freezeTemporal ? countParams(backbone.filter((p) => p.temporal)) : 0;
  const trainedParams = params - frozen;
  const micro = Math.max(1, Math.min(s.microBatch, s.batchSize));
  const gradSets = ACTIVATION_FIT[s.path].gradSets + (s.batchSize > micro ? 1 : 0);
  const inputBytes = F32 * s.batchSize * s.model.numFrames * s.model.imgSize ** 2 * s.model.inChans;
  const plan = {
    params,
    trainedParams,
    weightsBytes: F32 * params,
    gradsBytes: F32 * trainedParams * gradSets,
    slotsBytes: F32 * trainedParams * OPTIMIZER_SLOTS[s.optimizer],
    activationsBytes: micro * activationBytesPerClip(s.model, s.path, s.recompute) + inputBytes,
  };
  return { ...plan, totalBytes: plan.weightsBytes + plan.gradsBytes + plan.slotsBytes + plan.activationsBytes };
}

/** What a run needs against a device's memory: the plan at the asked micro-batch, and what would fit. */
export interface SizedPlan {
  plan: MemoryPlan;
  memoryBytes: number;
  fits: boolean;
  /** The largest micro-batch (at most the batch) whose step fits, or 0 when not even one clip does. */
  largestMicroBatch: number;
  /** The largest batch that fits in one pass (micro-batch = batch), or 0. */
  largestBatchOnePass: number;
}

/**
 * Sizes a run for a device of `memoryBytes` without allocating anything: `cover plan`, to choose a GPU before renting
 * one. The activation model of the torch path comes from libtorch on the CPU (TORCH_OVER_FUSED); a CUDA caching
 * allocator holds memory differently, so on a GPU it is an estimate to check with one step.
 *
 * @example
 * sizeForMemory({ model: getPreset('base'), headClasses: [400], optimizer: 'sgd', batchSize: 8, microBatch: 8, path: 'torch' }, 80 * 2 ** 30)
 * // { fits: true, largestMicroBatch: 8, largestBatchOnePass: 13, ... }
 */
export function sizeForMemory(s: TrainingShape, memoryBytes: number): SizedPlan {
  const plan = planTrainingMemory(s);
  const fitsAt = (batchSize: number, microBatch: number) => planTrainingMemory({ ...s, batchSize, microBatch }).totalBytes <= memoryBytes;
  let largestMicroBatch = 0;
  for (let m = Math.min(s.microBatch, s.batchSize); m >= 1 && largestMicroBatch === 0; m--) if (fitsAt(s.batchSize, m)) largestMicroBatch = m;
  let largestBatchOnePass = 0;
  for (let b = 1; b <= 4096 && fitsAt(b, b); b *= 2) largestBatchOnePass = b;
  if (largestBatchOnePass > 0) {
    // Between the last power of two that fits and the next one.
    let lo = largestBatchOnePass;
    let hi = Math.min(largestBatchOnePass * 2, 4096);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fitsAt(mid, mid)) lo = mid;
      else hi = mid - 1;
    }
    largestBatchOnePass = lo;
  }
  return { plan, memoryBytes, fits: plan.totalBytes <= memoryBytes, largestMicroBatch, largestBatchOnePass };
}
