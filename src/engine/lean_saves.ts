// What a recorded forward pass keeps for the backward pass, cut to what the requested gradients read (issue 19, item 1).
//
// For each recorded op tfjs keeps the inputs its registered gradient function may read, whatever is differentiated.
// On TimeSformer that is a third of a step's activation bytes (`base`, torch backend: 2299 MiB a clip at the end of the
// forward pass, 1448 MiB without), kept for three reasons:
//   - shape-only saves: Reshape, Slice, Concat, Mean, Sum, Add, Sub and PadV2 keep a whole input alive, and their
//     gradients read only its shape;
//   - an op none of whose inputs depends on the tensors differentiated is never on the backward path, and saves anyway;
//   - Multiply keeps `a` for b's gradient and `b` for a's: where only one of them depends on the tensors
//     differentiated (drop path's x * mask), the other's value is never read.
// PyTorch's autograd keeps none of these: it knows at the forward which inputs require a gradient, and records sizes.
//
// While `recordLean` runs f, the engine saves a ShapeOnly stand-in (shape, rank, size and dtype, no data) in place of
// each such tensor. The registered gradient functions run unchanged and read only the stand-in's shape; one that read
// its values would fail loudly (a ShapeOnly is no Tensor), and test/engine/backprop.test.ts holds the gradients to
// tf.grads, so a tfjs upgrade that changes what a gradient reads fails there. Outside recordLean, tfjs saves as before.

import * as tf from '@tensorflow/tfjs-core';

/** A saved input's shape without its data: what shape-only gradient functions read. */
export class ShapeOnly {
  readonly shape: number[];
  readonly rank: number;
  readonly size: number;
  readonly dtype: tf.DataType;
  constructor(t: tf.Tensor) {
    this.shape = t.shape.slice();
    this.rank = t.rank;
    this.size = t.size;
    this.dtype = t.dtype;
  }
  /** Nothing to free (the engine disposes saved tensors after the backward pass). */
  dispose(): void {}
}

/** Kernels whose registered gradient reads only the shapes of what it saves (tfjs-core 4.x gradients/*.ts). */
const SHAPE_ONLY = new Set(['Reshape', 'Slice', 'Concat', 'Mean', 'Sum', 'Add', 'Sub', 'PadV2']);

type Saved = tf.Tensor | ShapeOnly;

interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
}

interface SavingEngine {
  state: { activeTape: TapeNode[] | null };
  getTensorsForGradient(kernelName: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[]): Saved[];
  saveTensorsForBackwardMode(tensors: Saved[]): Saved[];
}

/**
 * Runs f (which the caller records on a tape) with the engine saving, for each op, only the tensors the gradients with
 * respect to `xs` will read.
 */
export function recordLean<T>(xs: tf.Tensor[], f: () => T): T {
  const engine = tf.engine() as unknown as SavingEngine;
  const own = Object.prototype.hasOwnProperty;
  const hadGet = own.call(engine, 'getTensorsForGradient');
  const hadSave = own.call(engine, 'saveTensorsForBackwardMode');
  const prevGet = engine.getTensorsForGradient;
  const prevSave = engine.saveTensorsForBackwardMode;
  const needed = new Set(xs.map((x) => x.id)); // tensors that depend on xs
  let scanned = 0; // tape nodes already read into `needed`
  const depends = (t: tf.Tensor | null | undefined) => t != null && needed.has(t.id); // optional inputs may be absent

  engine.getTensorsForGradient = (kernelName, inputs, outputs) => {
    const tape = engine.state.activeTape ?? [];
    for (; scanned < tape.length; scanned++) {
      const node = tape[scanned];
      if (Object.values(node.inputs).some(depends)) for (const o of node.outputs) needed.add(o.id);
    }
    const saved = prevGet.call(engine, kernelName, inputs, outputs);
    const ghost = (t: Saved) => (t == null || t instanceof ShapeOnly ? t : new ShapeOnly(t));
    if (SHAPE_ONLY.has(kernelName) || !Object.values(inputs).some(depends)) return saved.map(ghost);
    if (kernelName === 'Multiply' && saved.length === 2) {
      const { a, b } = inputs; // saved as [a, b]: a is read by b's gradient, b by a's
      return [depends(b) ? saved[0] : ghost(saved[0]), depends(a) ? saved[1] : ghost(saved[1])];
    }
    return saved;
  };
  engine.saveTensorsForBackwardMode = (tensors) => tensors.map((t) => (t instanceof ShapeOnly ? t : prevSave.call(engine, [t])[0]));
  try {
    return f();
  } finally {
    restore(engine, 'getTensorsForGradient', hadGet, prevGet);
    restore(engine, 'saveTensorsForBackwardMode', hadSave, prevSave);
  }
}

/** Puts back an engine method: deletes the instance override when the method came from the prototype. */
function restore<K extends 'getTensorsForGradient' | 'saveTensorsForBackwardMode'>(engine: SavingEngine, key: K, had: boolean, prev: SavingEngine[K]): void {
  if (had) engine[key] = prev;
  else delete (engine as Partial<SavingEngine>)[key];
}
