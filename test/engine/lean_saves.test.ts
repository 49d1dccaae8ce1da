// What a recorded forward pass keeps (src/engine/lean_saves.ts): data only where a requested gradient reads it, a
// ShapeOnly stand-in elsewhere, and the engine as it was afterwards. That the gradients stay tfjs's own, bit for bit,
// is test/engine/backprop.test.ts's.
import * as tf from '@tensorflow/tfjs-core';
import { recordLean, ShapeOnly } from '../../src/engine/lean_saves';
import '../../src/model/register_gradients'; // tfjs's gradient functions
import { useBackend } from '../helpers/tf';

beforeAll(() => useBackend('cpu'));

interface Node {
  kernelName: string;
  saved?: (tf.Tensor | ShapeOnly)[];
}
interface Recorder {
  state: { activeTape: Node[] | null };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
}

/** Records f on a fresh tape (as gradientsFreeing does) and returns, per kernel (not op scopes), what each saved entry holds. */
function record(f: () => tf.Tensor, lean: tf.Tensor[] | null): { saves: [string, string[]][]; bytes: number } {
  const engine = tf.engine() as unknown as Recorder;
  const before = tf.memory().numBytes;
  const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => (lean ? recordLean(lean, () => tf.tidy(f)) : tf.tidy(f)));
  const tape = engine.state.activeTape ?? [];
  engine.state.activeTape = null;
  const bytes = tf.memory().numBytes - before;
  const saves = tape.filter((n) => !n.kernelName.endsWith('__op')).map((n): [string, string[]] => [n.kernelName, (n.saved ?? []).map((s) => (s instanceof ShapeOnly ? 'shape' : 'data'))]);
  for (const n of tape) for (const s of n.saved ?? []) s.dispose();
  y.dispose();
  return { saves, bytes };
}

test('shape-only gradients, ops off the path and the unused side of a product keep no data; what a gradient reads is kept', () => {
  const w = tf.variable(tf.randomNormal([64, 64], 0, 1, 'float32', 1));
  const x = tf.randomNormal([64, 64], 0, 1, 'float32', 2); // not differentiated
  const f = () => {
    const constant = tf.reshape(tf.mul(x, x), [4096]); // off the path: nothing depends on w
    const h = tf.reshape(tf.add(w, x), [4096]); // shape-only gradients
    const y = tf.mul(h, constant); // a's gradient reads b (kept); b needs none, so a is not kept
    return tf.sum(tf.exp(y)); // Exp's gradient reads its output
  };
  const plain = record(f, null);
  const lean = record(f, [w]);
  expect(plain.saves.every(([, s]) => s.every((k) => k === 'data'))).toBe(true);
  expect(lean.saves).toEqual([
    ['Multiply', ['shape', 'shape']],
    ['Reshape', ['shape']],
    ['Add', ['shape', 'shape']],
    ['Reshape', ['shape']],
    ['Multiply', ['shape', 'data']],
    ['Exp', ['data']],
    ['Sum', ['shape']],
  ]);
  // Alive at the end of the forward pass: x*x (as b) and exp's output, against five 64x64 tensors without it.
  expect(lean.bytes).toBe(2 * 4096 * 4 + 4);
  expect(plain.bytes).toBeGreaterThan(4 * 4096 * 4);
  tf.dispose([w, x]);
});

test('a product of two differentiated tensors keeps both; x * x keeps x', () => {
  const a = tf.variable(tf.tensor1d([1, 2, 3]));
  const b = tf.variable(tf.tensor1d([4, 5, 6]));
  const { saves } = record(() => tf.sum(tf.add(tf.mul(a, b), tf.mul(a, a))), [a, b]);
  expect(saves.filter(([k]) => k === 'Multiply')).toEqual([
    ['Multiply', ['data', 'data']],
    ['Multiply', ['data', 'data']],
  ]);
  tf.dispose([a, b]);
});

test('the engine saves as before once recordLean returns or throws', () => {
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const own = () => ['getTensorsForGradient', 'saveTensorsForBackwardMode'].filter((k) => Object.prototype.hasOwnProperty.call(engine, k));
  expect(own()).toEqual([]);
  expect(() =>
    recordLean([], () => {
      expect(own().length).toBe(2);
      throw new Error('boom');
    }),
  ).toThrow('boom');
  expect(own()).toEqual([]);
});
