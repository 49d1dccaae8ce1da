// The fused-op contract between the model and the backends: the linear layer, LayerNorm, exact GELU and the multi-head
// attention core, forward and backward, each ONE custom tfjs kernel, and the whole-step updates (the optimizer over
// every parameter and the global gradient norm, each one native call). This file names the kernels and fixes their inputs, attributes and
// outputs; a backend registers its implementation of all of them with registerFusedBackend() (the wasm accelerator in
// engine/accel/fused_kernels.ts, the torch backend in engine/backends/torch/); the model asks canFuse() and calls the
// differentiable ops below, and the optimizer and the train step ask fusedStep(). Nothing here is backend-specific.
//
// tfjs stays the framework: each op is tf.customGrad around tf.engine().runKernel, so the tape, tidy and variableGrads
// work as for any op; only the number of kernels changes (about 6 -> 1 per linear layer forward and 9 -> 1 backward,
// 10 -> 1 per LayerNorm, 5 -> 1 per GELU, ~12 -> 1 per attention core, ~10 per parameter -> 1 per step for the
// optimizer). What they compute is the unfused path's math, checked in test/accel/fused.test.ts (wasm) and test/torch/kernels.test.ts (torch).

import * as tf from '@tensorflow/tfjs-core';

/**
 * The custom kernels, their inputs (by name), attributes and outputs. R rows = x.size / C, Bx sequences, S tokens,
 * H heads, Dh per head; qkv's last axis is q | k | v, each head a contiguous Dh chunk.
 *   linear         x [..., K], w [K, N], b [N] (absent without bias)  -> y [..., N] = x @ w + b
 *   linearGrad     dy [..., N], x [..., K], w [K, N]; {hasBias}       -> dx [..., K], dw [K, N], then db [N] with hasBias
 *   layerNorm      x [..., C], gamma [C], beta [C]; {eps}             -> y [..., C], mean [R], rstd [R]
 *   layerNormGrad  dy, x [..., C], gamma [C], mean [R], rstd [R]      -> dx [..., C], dgamma [C], dbeta [C]
 *   gelu           x (any shape)                                      -> y (x's shape)
 *   geluGrad       x, dy                                              -> dx (x's shape)
 *   attention      qkv [Bx, S, 3*H*Dh]; {numHeads, scale}             -> out [Bx, S, H*Dh], probs [Bx, H, S, S]
 *   attentionGrad  dout [Bx, S, H*Dh], qkv, probs; {numHeads, scale}  -> dqkv (qkv's shape)
 * Every tensor is float32.
 */
export const FUSED_KERNEL_NAMES = {
  linear: 'CoverLinear',
  linearGrad: 'CoverLinearGrad',
  layerNorm: 'CoverLayerNorm',
  layerNormGrad: 'CoverLayerNormGrad',
  gelu: 'CoverGelu',
  geluGrad: 'CoverGeluGrad',
  attention: 'CoverAttention',
  attentionGrad: 'CoverAttentionGrad',
} as const;

export type FusedKernel = keyof typeof FUSED_KERNEL_NAMES;

/** The attention kernels' attributes. */
export interface FusedAttentionAttrs {
  numHeads: number;
  scale: number;
}

/** qkv [Bx, S, 3D] -> Bx, S, H, Dh; an Error when the shape is not [Bx, S, 3 * H * Dh]. */
export function attentionDims(qkvShape: number[], numHeads: number): [number, number, number, number] {
  const [Bx, S, D3] = qkvShape;
  const Dh = D3 / 3 / numHeads;
  if (qkvShape.length !== 3 || !Number.isInteger(Dh)) {
    throw new Error(`fused attention: qkv must be [Bx, S, 3 * ${numHeads} * Dh], got [${qkvShape}]`);
  }
  return [Bx, S, numHeads, Dh];
}

// ---- the whole-step updates ----------------------------------------------------------------------------------------------

export interface FusedAdamWArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based count of updates including this one (bias correction). */
  step: number;
  /** Multiplies every gradient first (global-norm clipping without materialising scaled gradients). */
  gradScale: number;
}

export interface FusedSgdArgs {
  lr: number;
  momentum: number;
  nesterov: boolean;
  gradScale: number;
}

/**
 * A backend's whole-step updates: every parameter and slot updated in place in one native call, with the math of the
 * per-parameter tfjs ops in src/train/optimizer.ts. weightDecay[i], m[i], v[i] and bufs[i] belong to params[i].
 */
export interface FusedStep {
  adamW(params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[], v: tf.Variable[], weightDecay: number[], a: FusedAdamWArgs): void;
  /** `bufs` is empty without momentum. */
  sgd(params: tf.Variable[], grads: tf.Tensor[], bufs: tf.Variable[], weightDecay: number[], a: FusedSgdArgs): void;
  /** Sum of squares of every element of every tensor (double accumulation): the global norm squared. */
  globalNormSq(grads: tf.Tensor[]): number;
}

// ---- how a backend registers -------------------------------------------------------------------------------------------

/** One backend's implementation of the contract. */
export interface FusedBackend {
  /** Every kernel above, registered with tfjs for the backend. */
  kernels: Record<FusedKernel, tf.KernelFunc>;
  step: FusedStep;
  /**
   * Whether the model takes the fused path now; always when left out. On wasm it is the accelerator's switch: the
   * kernels stay registered after `--accel off`, unused.
   */
  active?: () => boolean;
}

const backends = new Map<string, { step: FusedStep; active: () => boolean }>();

/**
 * Registers a backend's fused kernels with tfjs (each once: tfjs keeps the first) and its fused step; a later call
 * replaces the step and the switch.
 */
export function registerFusedBackend(backendName: string, impl: FusedBackend): void {
  for (const op of Object.keys(FUSED_KERNEL_NAMES) as FusedKernel[]) {
    const kernelName = FUSED_KERNEL_NAMES[op];
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: impl.kernels[op] });
  }
  backends.set(backendName, { step: impl.step, active: impl.active ?? (() => true) });
}

/** Whether the active backend runs cover's fused kernels now. */
export function fusedKernelsAvailable(): boolean {
  const impl = backends.get(tf.getBackend());
  return impl !== undefined && impl.active();
}

function fusableTensors(tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32' && t.size > 0);
}

/** Whether these tensors can take the fused path: available on this backend, every tensor float32 and non-empty. */
export function canFuse(...tensors: tf.Tensor[]): boolean {
  return fusedKernelsAvailable() && fusableTensors(tensors);
}

/** The active backend's fused step when these tensors can take it (float32, non-empty), else null: the tfjs ops then. */
export function fusedStep(...tensors: tf.Tensor[]): FusedStep | null {
  const impl = backends.get(tf.getBackend());
  return impl && impl.active() && fusableTensors(tensors) ? impl.step : null;
}

// ---- the differentiable ops the model calls (after canFuse) ------------------------------------------------------------

type CustomGradFn = Parameters<typeof tf.customGrad>[0];
type Op1 = (x: tf.Tensor) => tf.Tensor;
type Op2 = (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;
type Op3 = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  const out = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(kernel, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}

// x [..., K], w [K, N], b [N] -> [..., N]; saves x and w.
const linearWithBias = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: run(FUSED_KERNEL_NAMES.linear, { x, w, b })[0],
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(FUSED_KERNEL_NAMES.linearGrad, { dy, x: saved[0], w: saved[1] }, { hasBias: true }),
  };
}) as unknown as CustomGradFn) as unknown as Op3;

const linearNoBias = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: run(FUSED_KERNEL_NAMES.linear, { x, w })[0],
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(FUSED_KERNEL_NAMES.linearGrad, { dy, x: saved[0], w: saved[1] }, { hasBias: false }),
  };
}) as unknown as CustomGradFn) as unknown as Op2;

/**
 * A linear layer on the last axis in one kernel, any leading shape: x [..., K], w [K, N], b [N] or null -> [..., N].
 * The backward is one kernel too, returning dx, dw and db together.
 */
export function fusedLinear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  const K = x.shape[x.rank - 1];
  if (x.rank < 1 || w.rank !== 2 || w.shape[0] !== K || (b && b.size !== w.shape[1])) {
    throw new Error(`fusedLinear: x [${x.shape}], w [${w.shape}] and b [${b ? b.shape : ''}] do not make a linear layer`);
  }
  return b ? linearWithBias(x, w, b) : linearNoBias(x, w);
}

// One customGrad per eps / (heads, scale): customGrad's function receives tensors only.
const layerNormOps = new Map<number, Op3>();
const attentionOps = new Map<string, Op1>();

function layerNormOp(eps: number): Op3 {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = tf.customGrad(((x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, mean, rstd] = run(FUSED_KERNEL_NAMES.layerNorm, { x, gamma: weight, beta: bias }, { eps });
      save([x, weight, mean, rstd]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws, ms, rs] = saved;
          return run(FUSED_KERNEL_NAMES.layerNormGrad, { dy, x: xs, gamma: ws, mean: ms, rstd: rs }); // [dx, dweight, dbias]
        },
      };
    }) as unknown as CustomGradFn) as unknown as Op3;
    layerNormOps.set(eps, op);
  }
  return op;
}

/**
 * LayerNorm over the last axis in one kernel: x [..., D], weight [D], bias [D] -> [..., D]. The backward is one kernel
 * too (it saves x, mean and rstd).
 */
export function fusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const D = x.shape[x.rank - 1];
  if (weight.size !== D || bias.size !== D) {
    throw new Error(`fusedLayerNorm: x has ${D} features, weight ${weight.size} and bias ${bias.size}`);
  }
  return layerNormOp(eps)(x, weight, bias);
}

const geluOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const [y] = run(FUSED_KERNEL_NAMES.gelu, { x });
  save([x]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(FUSED_KERNEL_NAMES.geluGrad, { x: saved[0], dy }),
  };
}) as unknown as CustomGradFn) as unknown as Op1;

/** Exact GELU in one kernel (any shape); the backward recomputes erf/exp from the saved x. */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

function attentionOp(numHeads: number, scale: number): Op1 {
  const key = `${numHeads}/${scale}`;
  let op = attentionOps.get(key);
  if (!op) {
    op = tf.customGrad(((qkv: tf.Tensor, save: tf.GradSaveFunc) => {
      const [out, probs] = run(FUSED_KERNEL_NAMES.attention, { qkv }, { numHeads, scale });
      save([qkv, probs]);
      return {
        value: out,
        gradFunc: (dout: tf.Tensor, saved: tf.Tensor[]) =>
          run(FUSED_KERNEL_NAMES.attentionGrad, { dout, qkv: saved[0], probs: saved[1] }, { numHeads, scale }),
      };
    }) as unknown as CustomGradFn) as unknown as Op1;
    attentionOps.set(key, op);
  }
  return op;
}

/**
 * The attention core on the qkv projection's output: qkv [Bx, S, 3D] (q | k | v, each head a contiguous Dh chunk) ->
 * softmax(q k^T * scale) v with the heads merged, [Bx, S, D]. No attention dropout: the caller uses the unfused path
 * when it is active. Saves qkv and the probabilities [Bx, H, S, S] for the backward.
 */
export function fusedAttentionCore(qkv: tf.Tensor, numHeads: number, scale: number): tf.Tensor {
  attentionDims(qkv.shape, numHeads);
  return attentionOp(numHeads, scale)(qkv);
}
