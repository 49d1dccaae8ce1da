// Every kernel of the torch backend against tfjs's cpu backend: values, shapes and dtypes on several shapes, broadcasts
// and dtypes (float32, int32, bool), through the tfjs ops cover calls; plus the addon's argument checks (one-line
// TypeError/RangeError, no crash) and that every registered kernel is exercised here.
import * as tf from '@tensorflow/tfjs-core';
import { probeTorch, TORCH_KERNELS } from '../../src/engine/backends/torch';
import { loadTorch } from '../../src/engine/backends/torch/addon';
import { fusedAttentionCore, fusedGelu, fusedLayerNorm, fusedLinear } from '../../src/engine/fused';
import { attentionCore } from '../../src/model/attention';
import { evalContext } from '../../src/model/context';
import '../../src/model/register_gradients';
import { capture, describeTorch, kernelsOf, maxRelDiff, Result, useCpu, useTorch } from './torch_helpers';

/** Deterministic values in [-2, 2) with a few exact ties and zeros. */
function vals(n: number, seed: number): number[] {
  let s = seed * 9301 + 49297;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s * 9301 + 49297) % 233280;
    const r = s / 233280;
    out.push(i % 7 === 3 ? 0 : Math.round((r * 4 - 2) * 64) / 64);
  }
  return out;
}
const f = (shape: number[], seed = 1) => tf.tensor(vals(tf.util.sizeFromShape(shape), seed), shape, 'float32');
const pos = (shape: number[], seed = 1) => tf.add(tf.abs(f(shape, seed)), 0.25);
const i32 = (shape: number[], seed = 1) => tf.tensor(vals(tf.util.sizeFromShape(shape), seed).map((v) => Math.round(v * 3)), shape, 'int32');
const bool = (shape: number[], seed = 1) => tf.greater(f(shape, seed), 0);

type Case = [string, () => tf.Tensor | tf.Tensor[]];

/** The kernel itself where the active backend registers it, else the equivalent tfjs ops (the cpu reference). */
function viaKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap, ops: () => tf.Tensor): tf.Tensor {
  return tf.getKernel(name, tf.getBackend()) ? (tf.engine().runKernel(name, inputs, attrs) as tf.Tensor) : ops();
}

const CASES: Case[] = [
  // unary
  ...['abs', 'neg', 'exp', 'expm1', 'erf', 'floor', 'ceil', 'round', 'sign', 'relu', 'relu6', 'sigmoid', 'tanh', 'sin', 'cos',
    'elu', 'selu', 'square', 'softplus', 'isNaN', 'isInf', 'zerosLike', 'onesLike', 'step'].map(
    (op): Case => [op, () => (tf as unknown as Record<string, (x: tf.Tensor) => tf.Tensor>)[op](f([3, 5], 2))]),
  ...['log', 'log1p', 'sqrt', 'rsqrt', 'reciprocal'].map((op): Case => [op, () => (tf as unknown as Record<string, (x: tf.Tensor) => tf.Tensor>)[op](pos([4, 3], 3))]),
  ['abs/neg/square int32', () => [tf.abs(i32([6])), tf.neg(i32([6])), tf.square(i32([2, 3]))]],
  ['leakyRelu', () => tf.leakyRelu(f([10]), 0.3)],
  ['step alpha', () => tf.step(f([10]), 0.5)],
  ['clipByValue', () => tf.clipByValue(f([2, 6]), -0.5, 0.75)],
  ['prelu', () => tf.prelu(f([3, 4]), f([4], 5))],
  ['logicalNot', () => tf.logicalNot(bool([7]))],
  // binary, with broadcasting
  ...['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference', 'atan2', 'greater', 'greaterEqual', 'less', 'lessEqual',
    'equal', 'notEqual'].map((op): Case => [op, () => {
    const g = (tf as unknown as Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>)[op];
    return [g(f([2, 3, 4], 1), f([2, 3, 4], 2)), g(f([2, 3, 4], 3), f([4], 4)), g(f([2, 1, 4], 5), f([3, 1], 6)), g(f([5], 7), tf.scalar(0.5))];
  }]),
  ['pow', () => [tf.pow(pos([3, 4]), f([4], 2)), tf.pow(i32([5]), tf.scalar(2, 'int32'))]],
  ['int32 arithmetic', () => [tf.add(i32([2, 3]), i32([3], 2)), tf.sub(i32([4]), i32([4], 3)), tf.mul(i32([4]), i32([4], 3)),
    tf.floorDiv(i32([6], 1), tf.tensor([2, -3, 4, 5, -2, 7], [6], 'int32')), tf.mod(i32([6]), tf.tensor([2, -3, 4, 5, -2, 7], [6], 'int32'))]],
  ['floorDiv/mod float', () => [tf.floorDiv(f([6]), tf.scalar(0.75)), tf.mod(f([6]), tf.scalar(-0.75))]],
  ['logicalAnd/Or', () => [tf.logicalAnd(bool([6], 1), bool([6], 2)), tf.logicalOr(bool([2, 3], 1), bool([3], 2))]],
  ['addN', () => [tf.addN([f([3, 2], 1), f([3, 2], 2), f([3, 2], 3)]), tf.addN([f([2])])]],
  ['where', () => [tf.where(bool([2, 3]), f([2, 3], 2), f([2, 3], 3)), tf.where(bool([1, 3], 4), f([2, 3], 1), f([2, 3], 2))]],
  ['cast', () => [tf.cast(f([6]), 'int32'), tf.cast(f([6]), 'bool'), tf.cast(i32([6]), 'float32'), tf.cast(bool([6]), 'int32'), tf.cast(f([2]), 'float32')]],
  // reductions
  ...['sum', 'mean', 'max', 'min', 'prod'].map((op): Case => [op, () => {
    const g = (tf as unknown as Record<string, (x: tf.Tensor, a?: number | number[], k?: boolean) => tf.Tensor>)[op];
    const x = f([2, 3, 4], 9);
    return [g(x), g(x, -1), g(x, [0, 2], true), g(x, 1, false), g(x, [])];
  }]),
  ['sum/max/min/prod int32', () => [tf.sum(i32([3, 4])), tf.sum(i32([3, 4]), 0), tf.max(i32([3, 4]), 1), tf.min(i32([3, 4])), tf.prod(i32([2, 3]), 1)]],
  ['sum bool', () => tf.sum(bool([3, 4]), 1)],
  ['mean int32', () => tf.mean(i32([3, 4]), 1)],
  ['any/all', () => [tf.any(bool([3, 4]), 1), tf.all(bool([3, 4])), tf.any(bool([2, 3]), [0, 1], true)]],
  ['argMax/argMin', () => [tf.argMax(f([4, 5]), 1), tf.argMax(f([4, 5]), 0), tf.argMin(f([3, 4, 2]), -1), tf.argMax(tf.tensor([1, 3, 3, 2]))]],
  ['softmax/logSoftmax', () => [tf.softmax(f([3, 7])), tf.logSoftmax(f([2, 3, 5]))]],
  ['topk', () => { const r = tf.topk(tf.tensor([[1, 3, 3, 2, 0], [5, 5, 5, 1, 9]]), 3); return [r.values, r.indices]; }],
  ['cumsum', () => [tf.cumsum(f([3, 4]), 1), tf.cumsum(f([3, 4]), 0, true, true)]],
  // shapes
  ['reshape', () => [tf.reshape(f([2, 6]), [3, -1]), tf.reshape(tf.transpose(f([2, 3, 4]), [2, 0, 1]), [4, 6])]],
  ['transpose', () => [tf.transpose(f([2, 3, 4]), [2, 0, 1]), tf.transpose(i32([2, 5])), tf.transpose(f([2, 3, 4, 2, 3]), [0, 3, 1, 4, 2])]],
  ['slice', () => [tf.slice(f([4, 5, 3]), [1, 0, 1], [2, -1, 2]), tf.slice(f([6]), 2), tf.slice(i32([3, 4]), [0, 1], [3, 2])]],
  ['concat', () => [tf.concat([f([2, 3], 1), f([2, 2], 2)], 1), tf.concat([f([1, 3], 1), f([2, 3], 2), f([0, 3], 3)], 0), tf.concat([i32([2]), i32([3])]), tf.concat([bool([2]), bool([1], 3)])]],
  ['split', () => [...tf.split(f([6, 4]), 3, 0), ...tf.split(f([2, 7]), [2, -1, 1], 1)]],
  ['stack/unstack', () => [tf.stack([f([2, 3], 1), f([2, 3], 2)], 1), ...tf.unstack(f([3, 2]), 1)]],
  ['pad', () => [tf.pad(f([2, 3]), [[1, 0], [2, 1]], 0.5), tf.pad(i32([3]), [[2, 2]])]],
  ['tile', () => [tf.tile(f([2, 3]), [2, 3]), tf.tile(i32([1, 2]), [3, 1])]],
  ['reverse', () => [tf.reverse(f([2, 3, 2]), [0, 2]), tf.reverse(f([5]))]],
  ['broadcastTo', () => tf.broadcastTo(f([1, 3]), [4, 3])],
  // kernels tfjs's ops do not dispatch (they compose other kernels): run directly where the backend has them
  ['BroadcastTo kernel', () => viaKernel('BroadcastTo', { x: f([2, 1, 3]) }, { shape: [2, 4, 3] }, () => tf.tile(f([2, 1, 3]), [1, 4, 1]))],
  ['LogSoftmax kernel', () => viaKernel('LogSoftmax', { logits: f([3, 5]) }, { axis: -1 }, () => tf.logSoftmax(f([3, 5])))],
  ['gather', () => [tf.gather(f([5, 3]), tf.tensor([4, 0, 2, 2], [4], 'int32')), tf.gather(f([2, 4, 3]), tf.tensor([[3, 1], [0, 0]], [2, 2], 'int32'), 1)]],
  ['fill/zeros/ones', () => [tf.fill([2, 3], 1.5), tf.fill([3], 4, 'int32'), tf.zeros([2, 2]), tf.ones([3], 'int32')]],
  ['oneHot', () => [tf.oneHot(tf.tensor([0, 3, 1, 5, -1], [5], 'int32'), 4), tf.oneHot(tf.tensor([[1, 2]], [1, 2], 'int32'), 3, 0.9, 0.05, 'float32')]],
  ['range', () => [tf.range(0, 10, 3), tf.range(5, 1, -1.5), tf.range(0, 5, 1, 'int32')]],
  // matmuls
  ['matMul', () => [tf.matMul(f([3, 4], 1), f([4, 5], 2)), tf.matMul(f([4, 3], 1), f([4, 5], 2), true), tf.matMul(f([3, 4], 1), f([5, 4], 2), false, true),
    tf.matMul(f([2, 3, 4], 1), f([2, 5, 4], 2), false, true), tf.matMul(f([2, 3, 4], 3), f([1, 4, 2], 4)), tf.matMul(f([4, 3], 1), f([5, 4], 2), true, true)]],
  ['fused.matMul', () => [tf.fused.matMul({ a: f([3, 4], 1), b: f([4, 5], 2), bias: f([5], 3) }),
    tf.fused.matMul({ a: f([3, 4], 1), b: f([5, 4], 2), transposeB: true, bias: f([5], 3), activation: 'relu' }),
    tf.fused.matMul({ a: f([4, 3], 1), b: f([4, 2], 2), transposeA: true, activation: 'sigmoid' })]],
];

describeTorch('torch kernels match the cpu backend', () => {
  const cpu = new Map<string, Result[]>();
  const seen = new Set<string>();
  beforeAll(async () => {
    await useCpu();
    for (const [name, fn] of CASES) cpu.set(name, capture(fn));
    await useTorch();
  });
  afterAll(() => useCpu());

  test.each(CASES.map(([name]) => [name]))('%s', async (name) => {
    const fn = CASES.find(([n]) => n === name)![1];
    const before = tf.memory().numTensors;
    (await kernelsOf(() => {
      capture(fn);
      return [];
    })).forEach((k) => seen.add(k));
    const torch = capture(fn);
    const ref = cpu.get(name)!;
    expect(torch.map((r) => [r.shape, r.dtype])).toEqual(ref.map((r) => [r.shape, r.dtype]));
    const worst = Math.max(0, ...torch.map((r, i) => maxRelDiff(r.values, ref[i].values)));
    expect(worst).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the fused linear, LayerNorm, GELU and attention kernels: values and gradients match the unfused tfjs ops', () => {
    const grads = (fn: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]) => tf.tidy(() => {
      const r = f(fn(...xs).shape, 17);
      const { value, grads: g } = tf.valueAndGrads((...ys: tf.Tensor[]) => tf.sum(tf.mul(fn(...ys), r)))(xs);
      return [value, ...g].map((t) => Array.from(t.dataSync()));
    });
    const cases: [(...xs: tf.Tensor[]) => tf.Tensor, (...xs: tf.Tensor[]) => tf.Tensor, tf.Tensor[]][] = [
      [(x, w, b) => fusedLinear(x, w, b), (x, w, b) => tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, 8]), w), [3, 2, 5]), b), [f([3, 2, 8], 1), f([8, 5], 2), f([5], 3)]],
      [(x, w) => fusedLinear(x, w, null), (x, w) => tf.matMul(x, w), [f([4, 6], 4), f([6, 3], 5)]],
      [(x, w, b) => fusedLayerNorm(x, w, b, 1e-6), (x, w, b) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-6))), w), b);
      }, [f([3, 2, 8], 1), f([8], 2), f([8], 3)]],
      [(x) => fusedGelu(x), (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)), [f([4, 6], 4)]],
      // Sequences of up to 32 take attention_cpu.cc's loops (a head width that is no multiple of 8, small's temporal
      // and spatial shapes, the longest); 33 and more the batched matmuls.
      ...[[2, 3, 2, 4], [3, 8, 3, 64], [2, 17, 3, 64], [2, 32, 1, 13], [1, 33, 2, 8]].map(([Bx, S, H, Dh]) => [
        (qkv: tf.Tensor) => fusedAttentionCore(qkv, H, Dh ** -0.5),
        (qkv: tf.Tensor) => attentionCore(qkv, [Bx, S, H, Dh], { numHeads: H, attnDropRate: 0, projDropRate: 0 }, evalContext()),
        [tf.mul(f([Bx, S, 3 * H * Dh], 5), 0.5)],
      ] as [(...xs: tf.Tensor[]) => tf.Tensor, (...xs: tf.Tensor[]) => tf.Tensor, tf.Tensor[]]),
    ];
    for (const [fused, plain, xs] of cases) {
      const a = grads(fused, xs);
      const b = grads(plain, xs);
      a.forEach((v, i) => expect(maxRelDiff(v, b[i])).toBeLessThan(2e-5));
      tf.dispose(xs);
    }
  });

  test('every registered kernel was exercised (the fused ones by the model tests)', () => {
    const untested = TORCH_KERNELS.filter((k) => !seen.has(k) && !k.startsWith('Cover'));
    expect(untested).toEqual([]);
  });
});

describeTorch('the addon checks its arguments (one line, no crash)', () => {
  test('wrong types, unknown ids and ops, mismatched shapes', () => {
    expect(probeTorch().ok).toBe(true);
    const t = loadTorch().addon!;
    const thrown = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'nothing thrown';
    };
    const id = t.create(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], 'float32');
    try {
      expect(thrown(() => t.run('Nope', [id]))).toBe("TypeError: run: unknown op 'Nope'")
      expect(thrown(() => t.run('Add', [id]))).toBe('RangeError: run(Add): got 1 inputs, expected 2')
      expect(thrown(() => t.run('Add', [id, 987654]))).toBe('RangeError: run(Add): no tensor with id 987654')
      expect(thrown(() => t.run('Sum', [id], { axes: 'x' }))).toBe("TypeError: run(Sum): attribute 'axes' must be an array of integers")
      expect(thrown(() => t.create(new Float32Array(3), [2, 2], 'float32'))).toBe('RangeError: create: 3 values for a shape of 4 elements')
      expect(thrown(() => t.create(new Float32Array(4), [2, 2], 'int32'))).toBe('TypeError: create: int32 values must be a Int32Array')
      expect(thrown(() => t.create(new Float32Array(4), [2, 2], 'string' as 'bool'))).toMatch(/^TypeError: /);
      expect(thrown(() => t.read(-1))).toMatch(/^TypeError: /);
      expect(thrown(() => t.setThreads(0))).toMatch(/^RangeError: /);
      expect(thrown(() => t.setPrecision('fp8' as 'fp32'))).toMatch(/^TypeError: /);
      const other = t.create(new Float32Array(4), [4], 'float32');
      let msg = '';
      try {
        t.run('Add', [id, other]);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/^run\(Add\): The size of tensor a \(3\) must match the size of tensor b \(4\)/);
      expect(msg).not.toContain('\n');
      t.dispose(other);
    } finally {
      t.dispose(id);
    }
  });
});
