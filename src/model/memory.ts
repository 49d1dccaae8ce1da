// What a training step of this model needs in memory, from its configuration alone (nothing is allocated): the memory
// counterpart of flops.ts. The preflight (train/memory_preflight.ts) compares it with what the backend can hold
// (engine/capacity.ts) before the first step, so that a run that cannot fit ends in one line with the numbers instead of
// an abort deep inside a step.
//
// Needs, in bytes (float32):
//   weights      every parameter, heads included;
//   slots        optimizer state per trained parameter: AdamW 2 (m, v), SGD with momentum 1, plain SGD 0;
//   gradients    one per trained parameter, a second set while micro-batches accumulate (train_step.ts adds each
//                micro-batch's fresh gradients to the running sum), and on the tfjs path two more sets of temporaries
//                (measured: the step's batch-independent peak is 3x the trained weights there, 1x with the accelerator);
//   activations  what the tfjs tape holds for one micro-batch at the peak of its backward pass, plus the batch's input.
//
// Why activations are large: tfjs keeps every tensor a gradient needs until the whole backward pass ends, on the wasm
// backend each of them is a copy (engine.clone -> the wasm Identity kernel copies), and the gradient of every
// intermediate stays alive in the same tidy until the end too. Per clip and block that is ~157 floats per token and
// embedding unit on the tfjs path: far more than the ~30 a textbook count of saved activations gives.
//
// Activation model, per clip, with L = 1 + T*N tokens, D embed, Dh = D * mlpRatio hidden, H heads, depth blocks:
//   floats = depth * (a*L*D + b*L*Dh + c*S) + e*L*D + p*T*img^2*3
// where S counts attention-score elements per block (divided: T*H*(N+1)^2 spatial + N*H*T^2 temporal). The coefficients
// come from a least-squares fit of the measured peak (wasm _malloc/_free bytes live at the peak of a training step,
// step 2 so the optimizer slots exist, B = 2 minus B = 1) on eight variants of `small` (D 96/192, mlp 2/4, T 4/8/16,
// img 32/64/128, heads 3/6, depth 2/4), c from the heads-only variant. On those eight the fit is within 5%; out of sample,
// on `tiny` it predicts 2.06 MB per clip against 2.03 MB measured (tfjs path) and 0.69 MB against 0.68 MB (accelerator).
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
 * The torch backend's activations per clip against the wasm fused model: measured on `base` (batch 8, this 2-core VM),
 * peak resident memory 6.5 GB at micro-batch 1 and 22.4 GB at micro-batch 4, so 4.9 GiB per clip where the fused model
 * gives 3.8 (libtorch's allocator keeps freed blocks for reuse, and tfjs's saved tensors are separate ATen tensors).
 */
const TORCH_OVER_FUSED = 1.3;

/** Coefficients of the activation model above (floats per clip), and the batch-independent gradient sets. */
const ACTIVATION_FIT: Record<StepPath, { a: number; b: number; c: number; e: number; p: number; gradSets: number }> = {
  tfjs: { a: 157, b: 13.1, c: 5, e: 16.7, p: 6.7, gradSets: 3 },
  fused: { a: 51.9, b: 3.7, c: 1, e: 13.5, p: 2.5, gradSets: 1 },
  torch: { a: 51.9 * TORCH_OVER_FUSED, b: 3.7 * TORCH_OVER_FUSED, c: TORCH_OVER_FUSED, e: 13.5 * TORCH_OVER_FUSED, p: 2.5 * TORCH_OVER_FUSED, gradSets: 1 },
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

/** Bytes the tape holds for one clip at the peak of a training step's backward pass. */
export function activationBytesPerClip(m: ModelConfig, path: StepPath): number {
  const { a, b, c, e, p } = ACTIVATION_FIT[path];
  const { L, scores } = geometry(m);
  const D = m.embedDim;
  const hidden = Math.round(D * m.mlpRatio);
  const pixels = m.numFrames * m.imgSize ** 2 * m.inChans;
  return F32 * (m.depth * (a * L * D + b * L * hidden + c * scores) + e * L * D + p * pixels);
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
    activationsBytes: micro * activationBytesPerClip(s.model, s.path) + inputBytes,
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
