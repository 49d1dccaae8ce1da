// The native accelerator's implementation of the fused-op contract (engine/fused.ts, issue 5): the linear layer,
// LayerNorm, exact GELU and the multi-head attention core, forward and backward, each ONE native call as a custom tfjs
// kernel on the 'wasm' backend, and the optimizer step and global gradient norm over all parameters in one call each. installFusedKernels()
// registers them through the contract; the model never imports this file.
//
// Kernel functions follow docs/notes/native-probe.md "How zero-copy works": allocate EVERY output with makeOutput first
// (it may grow the wasm heap and detach earlier views), then take heap views of inputs and outputs, then call the addon.

import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { attentionDims, FusedAdamWArgs, FusedAttentionAttrs, FusedBackend, FusedSgdArgs, registerFusedBackend } from '../fused';
import type { NativeAddon } from './native';
import { heapView, sizeOf } from './heap';

type Info = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

let installed: NativeAddon | null = null;
let switchedOn = false;

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

// x [M, K] (any leading shape), w [K, N], b [N] (optional) -> y [.., N]: one gemm, the bias added in the same pass
function linearKernel({ inputs, backend }: KernelArgs): Info {
  const be = backend as BackendWasm;
  const { x, w, b } = inputs as { x: Info; w: Info; b?: Info };
  const [K, N] = w.shape;
  const M = sizeOf(x.shape) / K;
  const y = be.makeOutput([...x.shape.slice(0, -1), N], 'float32');
  native().gemm(f32(be, x), f32(be, w), f32(be, y), 1, M, N, K, false, false, 0, 0, b ? f32(be, b) : undefined);
  return y;
}

// dy [M, N] (any leading shape), x [M, K], w [K, N]; {hasBias} -> dx [.., K] = dy w^T, dw [K, N] = x^T dy, db [N]
function linearGradKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const be = backend as BackendWasm;
  const { dy, x, w } = inputs as { dy: Info; x: Info; w: Info };
  const [K, N] = w.shape;
  const M = sizeOf(x.shape) / K;
  const dx = be.makeOutput(x.shape, 'float32');
  const dw = be.makeOutput(w.shape, 'float32');
  const db = (attrs as { hasBias: boolean }).hasBias ? be.makeOutput([N], 'float32') : null;
  const addon = native();
  addon.gemm(f32(be, dy), f32(be, w), f32(be, dx), 1, M, K, N, false, true, 0, 0);
  addon.gemm(f32(be, x), f32(be, dy), f32(be, dw), 1, K, N, M, true, false, 0, 0);
  if (!db) return [dx, dw];
  addon.reduce(addon.reduceOps.indexOf('sum'), f32(be, dy), f32(be, db), 1, M, N);
  return [dx, dw, db];
}

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

// qkv [Bx, S, 3, H, Dh] -> out [Bx, S, H*Dh], probs [Bx, H, S, S]
function attentionKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const be = backend as BackendWasm;
  const { qkv } = inputs as { qkv: Info };
  const { numHeads, scale } = attrs as unknown as FusedAttentionAttrs;
  const [Bx, S, H, Dh] = attentionDims(qkv.shape, numHeads);
  const out = be.makeOutput([Bx, S, H * Dh], 'float32');
  const probs = be.makeOutput([Bx, H, S, S], 'float32');
  native().attentionForward(f32(be, qkv), f32(be, out), f32(be, probs), Bx, S, H, Dh, scale);
  return [out, probs];
}

// dout [Bx, S, H*Dh], qkv, probs -> dqkv [Bx, S, 3, H, Dh]
function attentionGradKernel({ inputs, attrs, backend }: KernelArgs): Info {
  const be = backend as BackendWasm;
  const { dout, qkv, probs } = inputs as { dout: Info; qkv: Info; probs: Info };
  const { numHeads, scale } = attrs as unknown as FusedAttentionAttrs;
  const [Bx, S, H, Dh] = attentionDims(qkv.shape, numHeads);
  const dqkv = be.makeOutput(qkv.shape, 'float32');
  native().attentionBackward(f32(be, dout), f32(be, qkv), f32(be, probs), f32(be, dqkv), Bx, S, H, Dh, scale);
  return dqkv;
}

/**
 * Registers the fused kernels and the fused step on the wasm backend through the contract (idempotent; a later call
 * switches them to `addon`). The model takes them only while the accelerator's switch is on (switchFusedKernels, set by
 * accel.ts's initAccel), so `--accel off` leaves them registered but unused.
 */
export function installFusedKernels(addon: NativeAddon): void {
  installed = addon;
  registerFusedBackend('wasm', WASM_FUSED);
}

/** The accelerator's switch: whether the model and the optimizer take the kernels installed here (accel.ts). */
export function switchFusedKernels(on: boolean): void {
  switchedOn = on;
}

// ---- whole-step reductions and updates -------------------------------------------------------------------------------

/** Sum of squares of every element of every tensor (double accumulation), one native call: the global norm squared. */
function fusedGlobalNormSq(grads: tf.Tensor[]): number {
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

/**
 * One AdamW update of every parameter in place, in one native call: m, v and the parameters are written in their own
 * heap buffers (made exclusive first, see ownExclusively); grads are read only. weightDecay[i] belongs to params[i].
 */
function fusedAdamW(params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[], v: tf.Variable[], weightDecay: number[],
  a: FusedAdamWArgs): void {
  checkUpdate(params, [['grads', grads], ['m', m], ['v', v]], weightDecay);
  const be = wasmBackend();
  for (const t of [...params, ...m, ...v]) ownExclusively(be, t); // may allocate: views only after this
  const view = (t: tf.Tensor) => f32(be, t);
  native().adamw(params.map(view), grads.map(view), m.map(view), v.map(view), weightDecay, a.lr, a.beta1, a.beta2, a.eps,
    a.step, a.gradScale);
}

/** One SGD (optionally Nesterov-momentum) update of every parameter in place, in one native call; `bufs` empty without momentum. */
function fusedSgd(params: tf.Variable[], grads: tf.Tensor[], bufs: tf.Variable[], weightDecay: number[], a: FusedSgdArgs): void {
  checkUpdate(params, a.momentum > 0 ? [['grads', grads], ['bufs', bufs]] : [['grads', grads]], weightDecay);
  const be = wasmBackend();
  for (const t of [...params, ...bufs]) ownExclusively(be, t);
  const view = (t: tf.Tensor) => f32(be, t);
  native().sgd(params.map(view), grads.map(view), bufs.map(view), weightDecay, a.lr, a.momentum, a.nesterov, a.gradScale);
}

const WASM_FUSED: FusedBackend = {
  kernels: {
    linear: linearKernel,
    linearGrad: linearGradKernel,
    layerNorm: layerNormKernel,
    layerNormGrad: layerNormGradKernel,
    gelu: geluKernel,
    geluGrad: geluGradKernel,
    attention: attentionKernel,
    attentionGrad: attentionGradKernel,
  },
  step: { adamW: fusedAdamW, sgd: fusedSgd, globalNormSq: fusedGlobalNormSq },
  active: () => switchedOn,
};
