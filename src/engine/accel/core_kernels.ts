// The native accelerator's generic kernels (issue 5, docs/notes/native-probe.md): tfjs-wasm's BatchMatMul, elementwise
// ops, reductions, Transpose and Softmax are replaced by the addon's (native/src/core_*.cc), which read and write the
// wasm heap in place. Each override handles float32 inputs in the layouts the addon takes and hands anything else
// (other dtypes, rank > 6, non-contiguous reduction axes, general batch broadcasts) to tfjs's own kernel unchanged, so
// results never depend on whether it is installed beyond float rounding. Identity shares its input's buffer (as tfjs's
// cpu backend and wasm's Reshape do) instead of copying it.
//
// Heap rule (heap.ts): allocate every output with makeOutput first, then take views; makeOutput may grow the heap.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './native';
import { heapFloat32, heapOffset, heapView, sizeOf } from './heap';

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
  if (typeof addon.copy === 'function') {
    override('Slice', (fb) => sliceKernel(addon, fb));
    override('Concat', (fb) => concatKernel(addon, fb));
    override('SplitV', (fb) => splitKernel(addon, fb));
    override('Tile', (fb) => tileKernel(addon, fb));
    override('PadV2', (fb) => padKernel(addon, fb));
  }
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
    // _FusedMatMul with a linear activation is a matmul, with its bias (one [N] row) added by the same native call;
    // activations, PReLU weights and other bias shapes stay with tfjs.
    const bias = fused ? args.inputs.bias : undefined;
    if (fused && (args.inputs.preluActivationWeights != null || (attrs.activation ?? 'linear') !== 'linear')) return fallback(args);
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
    if (bias && (bias.dtype !== 'float32' || sizeOf(bias.shape) !== N || bias.shape[bias.shape.length - 1] !== N)) return fallback(args);
    const backend = args.backend;
    const out = backend.makeOutput([...outer, M, N], 'float32'); // [...batch, M, N]
    if (batch * M * N === 0) return out;
    const biasView = bias ? heapView(backend, bias) : undefined;
    addon.gemm(heapView(backend, a), heapView(backend, b), heapView(backend, out), batch, M, N, K, transA, transB, strideA, strideB, biasView);
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

// ---- data movement: Slice, Concat, SplitV, Tile, PadV2 as one strided native copy each ------------------------------

/** Row-major strides of a shape, in elements. */
function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

/** Elements a strided view spans: 1 + sum((shape[d] - 1) * stride[d]). */
function span(shape: readonly number[], strides: readonly number[]): number {
  let n = 1;
  for (let d = 0; d < shape.length; d++) n += (shape[d] - 1) * strides[d];
  return n;
}

/** dst[dstOffset + i . dstStrides] = src[srcOffset + i . srcStrides] over `shape` (call after every makeOutput). */
function copyStrided(
  addon: NativeAddon, backend: BackendWasm, src: TensorInfo, srcOffset: number, srcStrides: number[],
  dst: TensorInfo, dstOffset: number, dstStrides: number[], shape: number[],
): void {
  if (sizeOf(shape) === 0) return;
  const heap = heapFloat32(backend);
  const so = heapOffset(backend, src) + srcOffset;
  const d0 = heapOffset(backend, dst) + dstOffset;
  addon.copy(heap.subarray(so, so + span(shape, srcStrides)), heap.subarray(d0, d0 + span(shape, dstStrides)), shape, srcStrides, dstStrides);
}

const movable = (t: TensorInfo): boolean => t.dtype === 'float32' && t.shape.length >= 1 && t.shape.length <= MAX_RANK;

function sliceKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (!movable(x)) return fallback(args);
    const [begin, size] = slice_util.parseSliceParams(x as unknown as tf.Tensor, args.attrs!.begin as number[], args.attrs!.size as number[]);
    const backend = args.backend;
    const out = backend.makeOutput(size, 'float32');
    const xs = stridesOf(x.shape);
    copyStrided(addon, backend, x, begin.reduce((a, b, i) => a + b * xs[i], 0), xs, out, 0, stridesOf(size), size);
    return out;
  };
}

function concatKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const xs = Object.values(args.inputs);
    if (xs.length === 0 || !xs.every(movable) || xs.some((t) => t.shape.length !== xs[0].shape.length)) return fallback(args);
    const axis = util.parseAxisParam(args.attrs!.axis as number, xs[0].shape)[0];
    const outShape = backend_util.computeOutShape(xs.map((t) => t.shape), axis);
    const backend = args.backend;
    const out = backend.makeOutput(outShape, 'float32');
    const os = stridesOf(outShape);
    let at = 0;
    for (const t of xs) {
      copyStrided(addon, backend, t, 0, stridesOf(t.shape), out, at * os[axis], os, t.shape.slice());
      at += t.shape[axis];
    }
    return out;
  };
}

function splitKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (!movable(x)) return fallback(args);
    const axis = util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x as unknown as tf.Tensor, args.attrs!.numOrSizeSplits as number[] | number, axis);
    const backend = args.backend;
    const outs = sizes.map((n) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? n : d)), 'float32'));
    const xs = stridesOf(x.shape);
    let at = 0;
    outs.forEach((o, i) => {
      copyStrided(addon, backend, x, at * xs[axis], xs, o, 0, stridesOf(o.shape), o.shape.slice());
      at += sizes[i];
    });
    return outs;
  };
}

function tileKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    const reps = args.attrs!.reps as number[];
    const r = x.shape.length;
    // As a copy of rank 2r ([reps0, d0, reps1, d1, ...], source stride 0 on the reps axes), so x has rank <= 3.
    if (!movable(x) || 2 * r > MAX_RANK || reps.length !== r) return fallback(args);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const backend = args.backend;
    const out = backend.makeOutput(outShape, 'float32');
    const xs = stridesOf(x.shape), os = stridesOf(outShape);
    const shape: number[] = [], src: number[] = [], dst: number[] = [];
    x.shape.forEach((d, i) => {
      shape.push(reps[i], d);
      src.push(0, xs[i]);
      dst.push(d * os[i], os[i]);
    });
    copyStrided(addon, backend, x, 0, src, out, 0, dst, shape);
    return out;
  };
}

function padKernel(addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    const paddings = args.attrs!.paddings as [number, number][];
    if (!movable(x) || paddings.length !== x.shape.length) return fallback(args);
    const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    const backend = args.backend;
    const out = backend.makeOutput(outShape, 'float32');
    heapView(backend, out).fill(Number(args.attrs!.constantValue ?? 0));
    const os = stridesOf(outShape);
    copyStrided(addon, backend, x, 0, stridesOf(x.shape), out, paddings.reduce((a, p, i) => a + p[0] * os[i], 0), os, x.shape.slice());
    return out;
  };
}
