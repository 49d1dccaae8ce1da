// The native accelerator's generic kernels (issue 5, native-probe.md): tfjs-wasm's BatchMatMul, elementwise ops,
// reductions, Transpose and Softmax are replaced by the addon's (native/src/core_*.cc), which read and write the wasm
// heap in place. Each override handles float32 inputs in the layouts the addon takes and hands anything else (other
// dtypes, rank > 6, non-contiguous reduction axes, general batch broadcasts) to tfjs's own kernel unchanged, so results
// never depend on whether it is installed beyond float rounding. Identity shares its input's buffer (as tfjs's cpu
// backend and wasm's Reshape do) instead of copying it.
//
// Heap rule (heap.ts): allocate every output with makeOutput first, then take views; makeOutput may grow the heap.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './native';
import { heapView, sizeOf } from './heap';

const BACKEND = 'wasm';
/** Highest rank the addon's binary() and transpose() take. */
const MAX_RANK = 6;

interface KernelArgs {
  /** The kernel's inputs by name (optional ones, like _FusedMatMul's bias, may be absent). */
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs?: NamedAttrMap;
}
type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** tfjs's original configs of the kernels overridden now, by kernel name. */
const originals = new Map<string, KernelConfig>();

const BINARY: [kernel: string, op: string][] = [
  ['Add', 'add'], ['Sub', 'sub'], ['Multiply', 'mul'], ['RealDiv', 'div'], ['Pow', 'pow'],
  ['SquaredDifference', 'sqdiff'], ['Maximum', 'max'], ['Minimum', 'min'],
];
/** Unary kernels; LeakyRelu and Step read their `alpha` attr. */
const UNARY: [kernel: string, op: string][] = [
  ['Exp', 'exp'], ['Log', 'log'], ['Neg', 'neg'], ['Abs', 'abs'], ['Sqrt', 'sqrt'], ['Rsqrt', 'rsqrt'],
  ['Square', 'square'], ['Tanh', 'tanh'], ['Sigmoid', 'sigmoid'], ['Erf', 'erf'], ['Relu', 'relu'],
  ['Reciprocal', 'reciprocal'], ['Sin', 'sin'], ['Cos', 'cos'], ['Log1p', 'log1p'], ['Expm1', 'expm1'],
  ['Sign', 'sign'], ['Floor', 'floor'], ['Ceil', 'ceil'], ['Round', 'round'], ['Relu6', 'relu6'], ['Elu', 'elu'],
  ['LeakyRelu', 'leakyrelu'], ['Step', 'step'],
];
/** Reductions and the attr holding their axes (Max names it reductionIndices). */
const REDUCE: [kernel: string, op: string, axisAttr: string][] = [
  ['Sum', 'sum', 'axis'], ['Mean', 'mean', 'axis'], ['Max', 'max', 'reductionIndices'], ['Min', 'min', 'axis'],
  ['Prod', 'prod', 'axis'],
];

/**
 * Replaces tfjs-wasm's kernels with the addon's; returns the kernel names overridden. Idempotent: a second call
 * re-installs over tfjs's originals (never wraps an override in another).
 *
 * @example
 * installCoreKernels(loadNative().addon!);
 * // 42 names: ['BatchMatMul', '_FusedMatMul', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Pow', 'SquaredDifference', 'Maximum',
 * //  'Minimum', 'Exp', 'Log', ..., 'Step', 'Sum', 'Mean', 'Max', 'Min', 'Prod', 'Transpose', 'Softmax', 'Identity']
 */
export function installCoreKernels(addon: NativeAddon): string[] {
  uninstallCoreKernels();
  const override = (name: string, make: (fallback: Kernel) => Kernel): void => {
    const k = tf.getKernel(name, BACKEND);
    if (!k) return; // not a wasm kernel in this tfjs version: nothing to replace
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...k, kernelFunc: make(k.kernelFunc as unknown as Kernel) as unknown as KernelFunc });
    originals.set(name, k);
  };
  override('BatchMatMul', (fb) => matMulKernel(addon, fb, false));
  override('_FusedMatMul', (fb) => matMulKernel(addon, fb, true));
  for (const [kernel, op] of BINARY) {
    const code = addon.binaryOps.indexOf(op);
    if (code >= 0) override(kernel, (fb) => binaryKernel(addon, code, fb));
  }
  for (const [kernel, op] of UNARY) {
    const code = addon.unaryOps.indexOf(op);
    if (code >= 0) override(kernel, (fb) => unaryKernel(addon, code, fb));
  }
  for (const [kernel, op, axisAttr] of REDUCE) {
    const code = addon.reduceOps.indexOf(op);
    if (code >= 0) override(kernel, (fb) => reduceKernel(addon, code, axisAttr, fb));
  }
  override('Transpose', (fb) => transposeKernel(addon, fb));
  override('Softmax', (fb) => softmaxKernel(addon, fb));
  override('Identity', (fb) => identityKernel(fb));
  return [...originals.keys()];
}

/** Puts tfjs's original kernels back, exactly as they were registered; a no-op when nothing is installed. */
export function uninstallCoreKernels(): void {
  for (const [name, k] of originals) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(k);
  }
  originals.clear();
}

/** Kernel names overridden now (empty when not installed). */
export function installedCoreKernels(): string[] {
  return [...originals.keys()];
}

function matMulKernel(addon: NativeAddon, fallback: Kernel, fused: boolean): Kernel {
  return (args) => {
    const { a, b } = args.inputs;
    const attrs = args.attrs ?? {};
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    // _FusedMatMul without bias or activation is a plain matmul; anything fused stays with tfjs.
    if (fused && (args.inputs.bias != null || args.inputs.preluActivationWeights != null || (attrs.activation ?? 'linear') !== 'linear')) {
      return fallback(args);
    }
    const transA = attrs.transposeA === true, transB = attrs.transposeB === true;
    const ra = a.shape.length, rb = b.shape.length;
    if (ra < 2 || rb < 2) return fallback(args);
    const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
    const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
    const Kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
    const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (K !== Kb) return fallback(args); // tfjs raises its shape error
    const outer = backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batch = sizeOf(outer), batchA = sizeOf(a.shape) / (M * K || 1), batchB = sizeOf(b.shape) / (K * N || 1);
    // Each operand either has every batch matrix ([..., M, K] over the full batch) or one shared by all (stride 0).
    const strideA = batchA === batch ? M * K : batchA === 1 ? 0 : -1;
    const strideB = batchB === batch ? K * N : batchB === 1 ? 0 : -1;
    if (strideA < 0 || strideB < 0 || M * K === 0 || K * N === 0) return fallback(args);
    const backend = args.backend;
    const out = backend.makeOutput([...outer, M, N], 'float32'); // [...batch, M, N]
    if (batch * M * N === 0) return out;
    addon.gemm(heapView(backend, a), heapView(backend, b), heapView(backend, out), batch, M, N, K, transA, transB, strideA, strideB);
    return out;
  };
}

function binaryKernel(addon: NativeAddon, code: number, fallback: Kernel): Kernel {
  return (args) => {
    const { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    const as = a.shape, bs = b.shape;
    const na = sizeOf(as), nb = sizeOf(bs);
    const backend = args.backend;
    let outShape: number[];
    let dims: number[], sa: number[], sb: number[];
    if (na === nb && util.arraysEqual(as, bs)) {
      // Same shape: one flat run.
      outShape = as;
      dims = [na];
      sa = UNIT;
      sb = UNIT;
    } else {
      outShape = backend_util.assertAndGetBroadcastShape(as, bs);
      if (outShape.length > MAX_RANK) return fallback(args);
      if (nb === 1 && na === sizeOf(outShape)) {
        dims = [na]; // tensor op scalar
        sa = UNIT;
        sb = ZERO;
      } else if (na === 1 && nb === sizeOf(outShape)) {
        dims = [nb]; // scalar op tensor
        sa = ZERO;
        sb = UNIT;
      } else {
        dims = outShape;
        sa = broadcastStrides(as, outShape);
        sb = broadcastStrides(bs, outShape);
      }
    }
    const out = backend.makeOutput(outShape.slice(), 'float32');
    if (sizeOf(outShape) === 0) return out;
    addon.binary(code, heapView(backend, a, na), heapView(backend, b, nb), heapView(backend, out), dims, sa, sb);
    return out;
  };
}
const UNIT = [1];
const ZERO = [0];

/** For each dim of `out`, the stride of `shape` (right-aligned) along it, 0 where `shape` is broadcast. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length);
  let s = 1;
  for (let d = out.length - 1, i = shape.length - 1; d >= 0; d--, i--) {
    if (i < 0 || shape[i] === 1) {
      strides[d] = 0;
    } else {
      strides[d] = s;
      s *= shape[i];
    }
  }
  return strides;
}

function unaryKernel(addon: NativeAddon, code: number, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32') return fallback(args);
    const backend = args.backend;
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const n = sizeOf(x.shape);
    if (n === 0) return out;
    const alpha = args.attrs?.alpha;
    addon.unary(code, heapView(backend, x, n), heapView(backend, out, n), n, typeof alpha === 'number' ? alpha : 0);
    return out;
  };
}

function reduceKernel(addon: NativeAddon, code: number, axisAttr: string, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32') return fallback(args);
    const attrs = args.attrs ?? {};
    const shape = x.shape;
    const axes = util.parseAxisParam(attrs[axisAttr] as number | number[], shape);
    const reduced = new Array<boolean>(shape.length).fill(false);
    for (const ax of axes) reduced[ax] = true;
    // The reduced dims must be one block of memory: between the first and last reduced axis, every kept dim is 1.
    let lo = shape.length, hi = -1;
    for (let d = 0; d < shape.length; d++) {
      if (reduced[d]) {
        lo = Math.min(lo, d);
        hi = d;
      }
    }
    let outer = 1, size = 1, inner = 1;
    for (let d = 0; d < shape.length; d++) {
      if (reduced[d]) size *= shape[d];
      else if (d < lo) outer *= shape[d];
      else if (d > hi) inner *= shape[d];
      else if (shape[d] !== 1) return fallback(args);
    }
    const keepDims = attrs.keepDims === true;
    const outShape: number[] = [];
    for (let d = 0; d < shape.length; d++) {
      if (!reduced[d]) outShape.push(shape[d]);
      else if (keepDims) outShape.push(1);
    }
    const backend = args.backend;
    const out = backend.makeOutput(outShape, 'float32'); // [outer, inner] in memory
    if (outer * inner === 0) return out;
    addon.reduce(code, heapView(backend, x), heapView(backend, out, outer * inner), outer, size, inner);
    return out;
  };
}

function transposeKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    const perm = (args.attrs?.perm ?? []) as number[];
    const r = x.shape.length;
    if (x.dtype !== 'float32' || r === 0 || r > MAX_RANK || perm.length !== r) return fallback(args);
    const outShape = perm.map((p) => x.shape[p]);
    const backend = args.backend;
    if (perm.every((p, i) => p === i)) return share(backend, x, outShape);
    const out = backend.makeOutput(outShape, 'float32');
    if (sizeOf(outShape) === 0) return out;
    addon.transpose(heapView(backend, x), heapView(backend, out), x.shape.slice(), perm);
    return out;
  };
}

function softmaxKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { logits } = args.inputs;
    const r = logits.shape.length;
    const dim = args.attrs?.dim as number;
    if (logits.dtype !== 'float32' || r === 0 || (dim !== -1 && dim !== r - 1)) return fallback(args);
    const backend = args.backend;
    const out = backend.makeOutput(logits.shape.slice(), 'float32');
    const n = sizeOf(logits.shape);
    if (n === 0) return out;
    const cols = logits.shape[r - 1];
    addon.softmax(heapView(backend, logits, n), heapView(backend, out, n), n / cols, cols);
    return out;
  };
}

/** Identity shares the input's buffer: the engine counts references per dataId, and no wasm kernel writes its inputs. */
function identityKernel(fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return fallback(args);
    return share(args.backend, x, x.shape.slice());
  };
}

function share(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}
