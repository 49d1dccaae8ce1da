// The native accelerator's fused kernels (issue 5): LayerNorm, exact GELU and the multi-head attention core, forward and
// backward, each ONE native call registered as a custom tfjs kernel on the 'wasm' backend, and the optimizer step and
// global gradient norm over all parameters in one call. tfjs stays the framework: the model calls the differentiable
// ops below (tf.customGrad around tf.engine().runKernel), so the tape, tidy and variableGrads work as for any op; only
// the number of kernels changes (about 10 -> 1 per LayerNorm, 5 -> 1 per GELU, ~12 -> 1 per attention core, ~10 per
// parameter -> 1 per step for the optimizer). What they compute is the unfused path's math, checked in
// test/accel/fused.test.ts.
//
// Kernel functions follow native-probe.md "How zero-copy works": allocate EVERY output with makeOutput first (it may grow
// the wasm heap and detach earlier views), then take heap views of inputs and outputs, then call the addon.

import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './native';
import { heapView, sizeOf } from './heap';

type Info = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Names of the custom kernels this file registers on the wasm backend. */
export const FUSED_KERNELS = {
  layerNorm: 'CoverLayerNorm',
  layerNormGrad: 'CoverLayerNormGrad',
  gelu: 'CoverGelu',
  geluGrad: 'CoverGeluGrad',
  attention: 'CoverAttention',
  attentionGrad: 'CoverAttentionGrad',
} as const;

let installed: NativeAddon | null = null;

function native(): NativeAddon {
  if (!installed) throw new Error('fused kernels: installFusedKernels() has not run');
  return installed;
}

function wasmBackend(): BackendWasm {
  if (tf.getBackend() !== 'wasm') throw new Error(`fused kernels run on the wasm backend, not ${tf.getBackend()}`);
  return tf.backend() as unknown as BackendWasm;
}

function f32(be: BackendWasm, t: Info): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`fused kernels: expected a float32 tensor, got ${t.dtype}`);
  return heapView(be, t);
}

// ---- kernels ------------------------------------------------------------------------------------------------------------

// x [R, C] (any leading shape), gamma [C], beta [C] -> y [.., C], mean [R], rstd [R]
function layerNormKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const be = backend as BackendWasm;
  const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info };
  const cols = x.shape[x.shape.length - 1];
  const rows = sizeOf(x.shape) / cols;
  const y = be.makeOutput(x.shape, 'float32');
  const mean = be.makeOutput([rows], 'float32');
  const rstd = be.makeOutput([rows], 'float32');
  native().layerNormForward(f32(be, x), f32(be, gamma), f32(be, beta), f32(be, y), f32(be, mean), f32(be, rstd), rows, cols,
    (attrs as { eps: number }).eps);
  return [y, mean, rstd];
}

// dy, x [R, C], gamma [C], mean/rstd [R] -> dx [.., C], dgamma [C], dbeta [C]
function layerNormGradKernel({ inputs, backend }: KernelArgs): Info[] {
  const be = backend as BackendWasm;
  const { dy, x, gamma, mean, rstd } = inputs as { dy: Info; x: Info; gamma: Info; mean: Info; rstd: Info };
  const cols = x.shape[x.shape.length - 1];
  const rows = sizeOf(x.shape) / cols;
  const dx = be.makeOutput(x.shape, 'float32');
  const dgamma = be.makeOutput(gamma.shape, 'float32');
  const dbeta = be.makeOutput(gamma.shape, 'float32');
  native().layerNormBackward(f32(be, dy), f32(be, x), f32(be, gamma), f32(be, mean), f32(be, rstd), f32(be, dx),
    f32(be, dgamma), f32(be, dbeta), rows, cols);
  return [dx, dgamma, dbeta];
}

function geluKernel({ inputs, backend }: KernelArgs): Info {
  const be = backend as BackendWasm;
  const { x } = inputs as { x: Info };
  const y = be.makeOutput(x.shape, 'float32');
  native().geluForward(f32(be, x), f32(be, y), sizeOf(x.shape));
  return y;
}

function geluGradKernel({ inputs, backend }: KernelArgs): Info {
  const be = backend as BackendWasm;
  const { x, dy } = inputs as { x: Info; dy: Info };
  const dx = be.makeOutput(x.shape, 'float32');
  native().geluBackward(f32(be, x), f32(be, dy), f32(be, dx), sizeOf(x.shape));
  return dx;
}

interface AttentionAttrs {
  numHeads: number;
  scale: number;
}

/** qkv [Bx, S, 3D] -> Bx, S, H, Dh. */
function attentionDims(qkv: Info, numHeads: number): [number, number, number, number] {
  const [Bx, S, D3] = qkv.shape;
  const Dh = D3 / 3 / numHeads;
  if (qkv.shape.length !== 3 || !Number.isInteger(Dh)) {
    throw new Error(`fused attention: qkv must be [Bx, S, 3 * ${numHeads} * Dh], got [${qkv.shape}]`);
  }
  return [Bx, S, numHeads, Dh];
}

// qkv [Bx, S, 3, H, Dh] -> out [Bx, S, H*Dh], probs [Bx, H, S, S]
function attentionKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const be = backend as BackendWasm;
  const { qkv } = inputs as { qkv: Info };
  const { numHeads, scale } = attrs as unknown as AttentionAttrs;
  const [Bx, S, H, Dh] = attentionDims(qkv, numHeads);
  const out = be.makeOutput([Bx, S, H * Dh], 'float32');
  const probs = be.makeOutput([Bx, H, S, S], 'float32');
  native().attentionForward(f32(be, qkv), f32(be, out), f32(be, probs), Bx, S, H, Dh, scale);
  return [out, probs];
}

// dout [Bx, S, H*Dh], qkv, probs -> dqkv [Bx, S, 3, H, Dh]
function attentionGradKernel({ inputs, attrs, backend }: KernelArgs): Info {
  const be = backend as BackendWasm;
  const { dout, qkv, probs } = inputs as { dout: Info; qkv: Info; probs: Info };
  const { numHeads, scale } = attrs as unknown as AttentionAttrs;
  const [Bx, S, H, Dh] = attentionDims(qkv, numHeads);
  const dqkv = be.makeOutput(qkv.shape, 'float32');
  native().attentionBackward(f32(be, dout), f32(be, qkv), f32(be, probs), f32(be, dqkv), Bx, S, H, Dh, scale);
  return dqkv;
}

const KERNEL_FUNCS: [string, tf.KernelFunc][] = [
  [FUSED_KERNELS.layerNorm, layerNormKernel],
  [FUSED_KERNELS.layerNormGrad, layerNormGradKernel],
  [FUSED_KERNELS.gelu, geluKernel],
  [FUSED_KERNELS.geluGrad, geluGradKernel],
  [FUSED_KERNELS.attention, attentionKernel],
  [FUSED_KERNELS.attentionGrad, attentionGradKernel],
];

/**
 * Registers the fused kernels on the wasm backend (idempotent; a later call switches them to `addon`). The ops below
 * check `fusable()`; the model asks `canFuse()` (engine/fused.ts), which on wasm is the accelerator's switch, so `--accel off`
 * leaves them unused.
 */
export function installFusedKernels(addon: NativeAddon): void {
  installed = addon;
  for (const [kernelName, kernelFunc] of KERNEL_FUNCS) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/** Whether the fused ops can run on these tensors: kernels installed, wasm the active backend, all float32, non-empty. */
export function fusable(...tensors: tf.Tensor[]): boolean {
  if (!installed || tf.getBackend() !== 'wasm') return false;
  return tensors.every((t) => t.dtype === 'float32' && t.size > 0);
}

// ---- differentiable ops ------------------------------------------------------------------------------------------------

type CustomGradFn = Parameters<typeof tf.customGrad>[0];
type Op1 = (x: tf.Tensor) => tf.Tensor;
type Op3 = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  const out = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(kernel, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}

// One customGrad per eps / (heads, scale): customGrad's function receives tensors only.
const layerNormOps = new Map<number, Op3>();
const attentionOps = new Map<string, Op1>();

function layerNormOp(eps: number): Op3 {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = tf.customGrad(((x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, mean, rstd] = run(FUSED_KERNELS.layerNorm, { x, gamma: weight, beta: bias }, { eps });
      save([x, weight, mean, rstd]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws, ms, rs] = saved;
          return run(FUSED_KERNELS.layerNormGrad, { dy, x: xs, gamma: ws, mean: ms, rstd: rs }); // [dx, dweight, dbias]
        },
      };
    }) as unknown as CustomGradFn) as unknown as Op3;
    layerNormOps.set(eps, op);
  }
  return op;
}

/**
 * LayerNorm over the last axis in one native call: x [..., D], weight [D], bias [D] -> [..., D]. The backward is one
 * call too (it saves x, mean and rstd).
 */
export function fusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const D = x.shape[x.rank - 1];
  if (weight.size !== D || bias.size !== D) {
    throw new Error(`fusedLayerNorm: x has ${D} features, weight ${weight.size} and bias ${bias.size}`);
  }
  return layerNormOp(eps)(x, weight, bias);
}

const geluOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const [y] = run(FUSED_KERNELS.gelu, { x });
  save([x]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(FUSED_KERNELS.geluGrad, { x: saved[0], dy }),
  };
}) as unknown as CustomGradFn) as unknown as Op1;

/** Exact GELU in one native call (any shape); the backward recomputes erf/exp from the saved x. */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

function attentionOp(numHeads: number, scale: number): Op1 {
  const key = `${numHeads}/${scale}`;
  let op = attentionOps.get(key);
  if (!op) {
    op = tf.customGrad(((qkv: tf.Tensor, save: tf.GradSaveFunc) => {
      const [out, probs] = run(FUSED_KERNELS.attention, { qkv }, { numHeads, scale });
      save([qkv, probs]);
      return {
        value: out,
        gradFunc: (dout: tf.Tensor, saved: tf.Tensor[]) =>
          run(FUSED_KERNELS.attentionGrad, { dout, qkv: saved[0], probs: saved[1] }, { numHeads, scale }),
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
  attentionDims(qkv, numHeads);
  return attentionOp(numHeads, scale)(qkv);
}

// ---- whole-step reductions and updates -------------------------------------------------------------------------------

/** Sum of squares of every element of every tensor (double accumulation), one native call: the global norm squared. */
export function fusedGlobalNormSq(grads: tf.Tensor[]): number {
  const be = wasmBackend();
  return native().sumSquares(grads.map((g) => f32(be, g)));
}

/**
 * Gives `v` a buffer no other tensor shares, so that writing it in place changes only `v`. tfjs shares data between
 * tensors freely (tf.variable(t) and v.assign(t) adopt t's buffer, reshape views it, and a backend may make clone() a
 * view), and the wasm backend's refCount counts those sharers. A shared buffer is copied once into a fresh one; after
 * that the optimizer is its only owner (its updates write in place, and never assign), so this is a map lookup per step.
 */
function ownExclusively(be: BackendWasm, v: tf.Variable): void {
  if (be.refCount(v.dataId) <= 1) return;
  const fresh = be.makeOutput(v.shape, 'float32');
  heapView(be, fresh).set(heapView(be, v));
  const t = tf.engine().makeTensorFromTensorInfo(fresh);
  v.assign(t); // v now shares t's buffer, and the old one keeps its other owners
  t.dispose(); // ... and now v is the only owner
}

function checkUpdate(params: tf.Variable[], lists: [string, tf.Tensor[]][], weightDecay: number[]): void {
  for (const [what, list] of lists) {
    if (list.length !== params.length) throw new Error(`fused optimizer: ${list.length} ${what} for ${params.length} parameters`);
    list.forEach((t, i) => {
      if (t.dtype !== 'float32' || t.size !== params[i].size) {
        throw new Error(`fused optimizer: ${what}[${i}] is ${t.dtype} [${t.shape}], parameter ${params[i].name} is [${params[i].shape}]`);
      }
    });
  }
  if (weightDecay.length !== params.length) throw new Error(`fused optimizer: ${weightDecay.length} weight decays for ${params.length} parameters`);
}

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

/**
 * One AdamW update of every parameter in place, in one native call: m, v and the parameters are written in their own
 * heap buffers (made exclusive first, see ownExclusively); grads are read only. weightDecay[i] belongs to params[i].
 */
export function fusedAdamW(params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[], v: tf.Variable[], weightDecay: number[],
  a: FusedAdamWArgs): void {
  checkUpdate(params, [['grads', grads], ['m', m], ['v', v]], weightDecay);
  const be = wasmBackend();
  for (const t of [...params, ...m, ...v]) ownExclusively(be, t); // may allocate: views only after this
  const view = (t: tf.Tensor) => f32(be, t);
  native().adamw(params.map(view), grads.map(view), m.map(view), v.map(view), weightDecay, a.lr, a.beta1, a.beta2, a.eps,
    a.step, a.gradScale);
}

export interface FusedSgdArgs {
  lr: number;
  momentum: number;
  nesterov: boolean;
  gradScale: number;
}

/** One SGD (optionally Nesterov-momentum) update of every parameter in place, in one native call; `bufs` empty without momentum. */
export function fusedSgd(params: tf.Variable[], grads: tf.Tensor[], bufs: tf.Variable[], weightDecay: number[], a: FusedSgdArgs): void {
  checkUpdate(params, a.momentum > 0 ? [['grads', grads], ['bufs', bufs]] : [['grads', grads]], weightDecay);
  const be = wasmBackend();
  for (const t of [...params, ...bufs]) ownExclusively(be, t);
  const view = (t: tf.Tensor) => f32(be, t);
  native().sgd(params.map(view), grads.map(view), bufs.map(view), weightDecay, a.lr, a.momentum, a.nesterov, a.gradScale);
}
