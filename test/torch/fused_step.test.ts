// The torch backend's fused step (engine/backends/torch/fused_step.ts): AdamW and Nesterov SGD update every parameter in
// one addon call with the cpu backend's (tfjs ops') results, clipping's gradScale and per-parameter decay included; a
// variable whose data another tensor shares is updated alone; the global norm is one call; and a step dispatches no
// per-parameter kernels.
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_OPTIMIZER, Optimizer, OptimizerConfig } from '../../src/train/optimizer';
import { globalNorm } from '../../src/train/train_step';
import { describeTorch, kernelsOf, maxRelDiff, useCpu, useTorch } from './torch_helpers';

const SHAPES: [string, number[]][] = [['blocks.0.mlp.fc1.weight', [6, 5]], ['blocks.0.mlp.fc1.bias', [5]], ['pos_embed', [1, 3, 4]]];

function values(seed: number, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * (1 + (i % 3)));
}

interface Outcome {
  params: number[][];
  slots: number[][];
  norm: number;
  /** The tensor the first parameter was made from, read after the steps: must be unchanged. */
  source: number[];
  /** Kernels the second step dispatched. */
  kernels: string[];
}

async function run(config: OptimizerConfig): Promise<Outcome> {
  const source = tf.tensor(values(1, SHAPES[0][1]), SHAPES[0][1]);
  const params = new Map<string, tf.Variable>(SHAPES.map(([name, shape], i) => {
    if (i === 0) return [name, tf.variable(source)]; // shares source's data
    const init = tf.tensor(values(i + 1, shape), shape);
    const v = tf.variable(init);
    init.dispose();
    return [name, v];
  }));
  const view = tf.reshape(params.get(SHAPES[1][0])!, [-1]); // shares the bias's data
  const opt = new Optimizer(config);
  let kernels: string[] = [];
  try {
    let norm = 0;
    for (let step = 0; step < 3; step++) {
      const grads = new Map(SHAPES.map(([name, shape], i) => [name, tf.tensor(values(10 * step + i + 5, shape), shape)]));
      norm = globalNorm(grads);
      const seen = await kernelsOf(() => {
        opt.apply(params, grads, 1e-2, step === 1 ? 0.5 : 1);
        return [];
      });
      if (step === 1) kernels = [...seen];
      tf.dispose([...grads.values()]);
    }
    expect(Array.from(view.dataSync())).toEqual(Array.from(values(2, SHAPES[1][1]))); // the view kept the old values
    const slots = opt.stateTensors();
    const out = {
      params: [...params.values()].map((p) => Array.from(p.dataSync())),
      slots: [...slots.values()].map((s) => Array.from(s.dataSync())),
      norm,
      source: Array.from(source.dataSync()),
      kernels,
    };
    tf.dispose([...slots.values()]);
    return out;
  } finally {
    opt.dispose();
    tf.dispose([source, view, ...params.values()]);
  }
}

describeTorch('the torch backend updates every parameter in one call', () => {
  afterAll(() => useCpu());

  test.each([
    ['adamw', DEFAULT_OPTIMIZER.adamw],
    ['sgd (nesterov)', DEFAULT_OPTIMIZER.sgd],
    ['sgd (no momentum)', { ...DEFAULT_OPTIMIZER.sgd, momentum: 0, nesterov: false }],
  ])('%s: 3 steps equal the cpu backend to 1e-6, shared data stays unchanged, no per-parameter kernels', async (_name, config) => {
    await useCpu();
    const cpu = await run(config as OptimizerConfig);
    await useTorch();
    const before = tf.memory().numTensors;
    const torch = await run(config as OptimizerConfig);
    expect(tf.memory().numTensors).toBe(before);
    expect(torch.kernels).toEqual([]);
    expect(cpu.kernels.length).toBeGreaterThan(0);
    expect(torch.params.length).toBe(cpu.params.length);
    torch.params.forEach((p, i) => expect(maxRelDiff(p, cpu.params[i])).toBeLessThan(1e-6));
    torch.slots.forEach((s, i) => expect(maxRelDiff(s, cpu.slots[i])).toBeLessThan(1e-6));
    expect(Math.abs(torch.norm - cpu.norm) / cpu.norm).toBeLessThan(1e-6);
    expect(torch.source).toEqual(Array.from(values(1, SHAPES[0][1])));
    expect(cpu.source).toEqual(torch.source);
  });
});
