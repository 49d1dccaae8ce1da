// The tfjs kernels of the `torch` backend: each one resolves tfjs's attributes (negative axes, -1 sizes, split counts)
// with tfjs's own helpers and calls one addon op, so the results match tfjs's cpu backend. The list covers what cover's
// model, losses, optimizers, metrics and transforms dispatch, and their tfjs gradients; a kernel missing here is an
// error from tfjs ("Kernel 'X' not registered for backend 'torch'"), never a silent fallback. cover's fused kernels
// (TORCH_FUSED_KERNELS) are registered through the contract in engine/fused.ts, by index.ts.

import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES, FusedBackend } from '../../fused';
import type { TorchBackend } from './backend';

type Info = tf.TensorInfo;
type Args = Parameters<tf.KernelFunc>[0];
type Attrs = Record<string, unknown>;

export const BACKEND_NAME = 'torch';

function be(args: Args): TorchBackend {
  return args.backend as unknown as TorchBackend;
}

function one(args: Args, op: string, inputs: Info[], attrs: Attrs = {}): Info {
  return be(args).runOp(op, inputs, attrs)[0];
}

function input(args: Args, name: string): Info {
  const t = (args.inputs as Record<string, Info>)[name];
  if (!t) throw new Error(`torch backend: kernel input '${name}' is missing`);
  return t;
}

const UNARY = [
  'Abs', 'Neg', 'Exp', 'Expm1', 'Log', 'Log1p', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal', 'Erf', 'Floor', 'Ceil', 'Round',
  'Sign', 'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Sin', 'Cos', 'Elu', 'Selu', 'IsNan', 'IsInf', 'LogicalNot', 'ZerosLike',
  'OnesLike', 'Softplus',
];
const BINARY = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Mod', 'Pow', 'Maximum', 'Minimum', 'SquaredDifference', 'Atan2',
  'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr',
];
const REDUCE = ['Sum', 'Mean', 'Min', 'Prod', 'Any', 'All'];

function reduceKernel(op: string, axisAttr: string): tf.KernelFunc {
  return (args) => {
    const x = input(args, 'x');
    const axes = tf.util.parseAxisParam((args.attrs as Attrs)[axisAttr] as number | number[], x.shape);
    const keepDims = Boolean((args.attrs as Attrs).keepDims);
    if (axes.length === 0) return be(args).alias(x);
    return one(args, op, [x], { axes, keepDims });
  };
}

const KERNELS: [string, tf.KernelFunc][] = [
  ...UNARY.map((op): [string, tf.KernelFunc] => [op, (a) => one(a, op, [input(a, 'x')])]),
  ...BINARY.map((op): [string, tf.KernelFunc] => [op, (a) => one(a, op, [input(a, 'a'), input(a, 'b')])]),
  ...REDUCE.map((op): [string, tf.KernelFunc] => [op, reduceKernel(op, 'axis')]),
  ['Max', reduceKernel('Max', 'reductionIndices')],
  ['Identity', (a) => be(a).alias(input(a, 'x'))],
  ['Cast', (a) => {
    const x = input(a, 'x');
    const dtype = (a.attrs as { dtype: tf.DataType }).dtype;
    return x.dtype === dtype ? be(a).alias(x) : one(a, 'Cast', [x], { dtype });
  }],
  ['LeakyRelu', (a) => one(a, 'LeakyRelu', [input(a, 'x')], { alpha: (a.attrs as Attrs).alpha })],
  ['Step', (a) => one(a, 'Step', [input(a, 'x')], { alpha: (a.attrs as Attrs).alpha ?? 0 })],
  ['ClipByValue', (a) => one(a, 'ClipByValue', [input(a, 'x')], a.attrs as Attrs)],
  ['Prelu', (a) => one(a, 'Prelu', [input(a, 'x'), input(a, 'alpha')])],
  ['AddN', (a) => {
    const xs = a.inputs as unknown as Info[];
    return xs.length === 1 ? be(a).alias(xs[0]) : one(a, 'AddN', xs);
  }],
  ['Select', (a) => one(a, 'Select', [input(a, 'condition'), input(a, 't'), input(a, 'e')])],
  ['ArgMax', (a) => {
    const x = input(a, 'x');
    return one(a, 'ArgMax', [x], { axis: tf.util.parseAxisParam((a.attrs as Attrs).axis as number, x.shape)[0] });
  }],
  ['ArgMin', (a) => {
    const x = input(a, 'x');
    return one(a, 'ArgMin', [x], { axis: tf.util.parseAxisParam((a.attrs as Attrs).axis as number, x.shape)[0] });
  }],
  ['Softmax', (a) => one(a, 'Softmax', [input(a, 'logits')], { dim: (a.attrs as Attrs).dim ?? -1 })],
  ['LogSoftmax', (a) => one(a, 'LogSoftmax', [input(a, 'logits')], { axis: (a.attrs as Attrs).axis ?? -1 })],
  ['TopK', (a) => be(a).runOp('TopK', [input(a, 'x')], { k: (a.attrs as Attrs).k })],
  ['Cumsum', (a) => {
    const x = input(a, 'x');
    const { axis, exclusive, reverse } = a.attrs as { axis: number; exclusive: boolean; reverse: boolean };
    return one(a, 'Cumsum', [x], { axis: tf.util.parseAxisParam(axis, x.shape)[0], exclusive, reverse });
  }],
  // ---- shapes ----
  ['Reshape', (a) => {
    const x = input(a, 'x');
    const shape = tf.util.inferFromImplicitShape((a.attrs as { shape: number[] }).shape, tf.util.sizeFromShape(x.shape));
    return one(a, 'Reshape', [x], { shape });
  }],
  ['Transpose', (a) => one(a, 'Transpose', [input(a, 'x')], { perm: (a.attrs as Attrs).perm })],
  ['Slice', (a) => {
    const x = input(a, 'x');
    const { begin, size } = a.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return one(a, 'Slice', [x], { begin: b, size: s });
  }],
  ['Concat', (a) => {
    const xs = a.inputs as unknown as Info[];
    const axis = tf.util.parseAxisParam((a.attrs as Attrs).axis as number, xs[0].shape)[0];
    const outShape = tf.backend_util.computeOutShape(xs.map((t) => t.shape), axis);
    const nonEmpty = xs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (tf.util.sizeFromShape(outShape) === 0) return be(a).makeTensorInfo(outShape, xs[0].dtype);
    if (nonEmpty.length === 1) return be(a).alias(nonEmpty[0]);
    return one(a, 'Concat', nonEmpty, { axis });
  }],
  ['SplitV', (a) => {
    const x = input(a, 'x');
    const { numOrSizeSplits, axis } = a.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    return be(a).runOp('SplitV', [x], { sizes, axis: ax });
  }],
  ['Pack', (a) => {
    const xs = a.inputs as unknown as Info[];
    const axis = (a.attrs as { axis: number }).axis;
    return one(a, 'Pack', xs, { axis: axis < 0 ? axis + xs[0].shape.length + 1 : axis });
  }],
  ['Unpack', (a) => {
    const x = input(a, 'value');
    return be(a).runOp('Unpack', [x], { axis: tf.util.parseAxisParam((a.attrs as Attrs).axis as number, x.shape)[0] });
  }],
  ['PadV2', (a) => {
    const { paddings, constantValue } = a.attrs as { paddings: [number, number][]; constantValue: number };
    return one(a, 'PadV2', [input(a, 'x')], { pads: paddings.flat(), constantValue });
  }],
  ['Tile', (a) => one(a, 'Tile', [input(a, 'x')], { reps: (a.attrs as Attrs).reps })],
  ['Reverse', (a) => {
    const x = input(a, 'x');
    return one(a, 'Reverse', [x], { dims: tf.util.parseAxisParam((a.attrs as Attrs).dims as number[], x.shape) });
  }],
  ['BroadcastTo', (a) => one(a, 'BroadcastTo', [input(a, 'x')], { shape: (a.attrs as Attrs).shape })],
  ['GatherV2', (a) => {
    const x = input(a, 'x');
    const { axis, batchDims } = a.attrs as { axis: number; batchDims?: number };
    if (batchDims) throw new Error('torch backend: GatherV2 with batchDims > 0 is not implemented');
    return one(a, 'GatherV2', [x, input(a, 'indices')], { axis: tf.util.parseAxisParam(axis, x.shape)[0] });
  }],
  ['Fill', (a) => {
    const { shape, value, dtype } = a.attrs as { shape: number[]; value: number; dtype?: tf.DataType };
    return one(a, 'Fill', [], { shape, value: Number(value), dtype: dtype ?? (typeof value === 'number' ? 'float32' : 'int32') });
  }],
  ['OneHot', (a) => {
    const { depth, onValue, offValue, dtype } = a.attrs as { depth: number; onValue: number; offValue: number; dtype?: tf.DataType };
    return one(a, 'OneHot', [input(a, 'indices')], { depth, onValue, offValue, dtype: dtype ?? 'int32' });
  }],
  ['Range', (a) => one(a, 'Range', [], a.attrs as Attrs)],
  // ---- matmuls ----
  ['BatchMatMul', (a) => {
    const { transposeA, transposeB } = a.attrs as Attrs;
    return one(a, 'BatchMatMul', [input(a, 'a'), input(a, 'b')], { transposeA, transposeB });
  }],
  ['_FusedMatMul', (a) => {
    const ins = a.inputs as Record<string, Info | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = a.attrs as Attrs;
    const xs = [ins.a!, ins.b!];
    if (ins.bias) xs.push(ins.bias);
    if (ins.preluActivationWeights) xs.push(ins.preluActivationWeights);
    return one(a, '_FusedMatMul', xs, { transposeA, transposeB, activation: activation ?? 'linear', leakyreluAlpha: leakyreluAlpha ?? 0.2, hasBias: Boolean(ins.bias) });
  }],
];

/** cover's fused kernels (engine/fused.ts gives their inputs, attributes and outputs), each one addon op. */
export const TORCH_FUSED_KERNELS: FusedBackend['kernels'] = {
  linear: (a) => {
    const b = (a.inputs as Record<string, Info | undefined>).b;
    return one(a, 'CoverLinear', b ? [input(a, 'x'), input(a, 'w'), b] : [input(a, 'x'), input(a, 'w')]);
  },
  linearGrad: (a) => be(a).runOp('CoverLinearGrad', ['dy', 'x', 'w'].map((n) => input(a, n)), { hasBias: Boolean((a.attrs as Attrs).hasBias) }),
  layerNorm: (a) => be(a).runOp('CoverLayerNorm', [input(a, 'x'), input(a, 'gamma'), input(a, 'beta')], { eps: (a.attrs as Attrs).eps }),
  layerNormGrad: (a) => be(a).runOp('CoverLayerNormGrad', ['dy', 'x', 'gamma', 'mean', 'rstd'].map((n) => input(a, n))),
  gelu: (a) => one(a, 'CoverGelu', [input(a, 'x')]),
  geluGrad: (a) => one(a, 'CoverGeluGrad', [input(a, 'x'), input(a, 'dy')]),
  attention: (a) => be(a).runOp('CoverAttention', [input(a, 'qkv')], a.attrs as Attrs),
  attentionGrad: (a) => one(a, 'CoverAttentionGrad', [input(a, 'dout'), input(a, 'qkv'), input(a, 'probs')], a.attrs as Attrs),
};

/** Names of every kernel the torch backend registers, the fused ones included. */
export const TORCH_KERNELS: readonly string[] = [...KERNELS.map(([name]) => name), ...Object.values(FUSED_KERNEL_NAMES)];

/** Registers every kernel but the fused ones for the `torch` backend (idempotent). */
export function registerTorchKernels(): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (!tf.getKernel(kernelName, BACKEND_NAME)) tf.registerKernel({ kernelName, backendName: BACKEND_NAME, kernelFunc });
  }
}
