// Reverse-mode gradients over tfjs's own tape that free memory as the backward pass goes (issue 19, item 1).
//
// tfjs's engine.gradients() records the forward pass on its tape, then walks the tape backwards, and keeps until the
// whole backward pass ends both every tensor a gradient needs (each op's `saved` inputs and outputs) and the gradient
// of every intermediate tensor. At the end of the backward pass the model's whole forward state and all its gradients
// are alive at once: about twice what PyTorch's autograd holds, which frees each saved tensor as soon as its op's
// backward has run and each gradient as soon as it has been passed on.
//
// This file walks the same tape, with the same gradient functions (tfjs's registered ones and every customGrad), in
// the same order, and so gives the same numbers, but frees as it goes:
//   - an op's saved tensors right after its gradient has run (nothing else reads them: each is the op's own clone);
//   - the gradient of a tensor right after the op that produced it has used it: in reverse tape order no later op can
//     add to it, since every op that read the tensor came after its producer;
//   - the zeros tfjs would make for an op's outputs that lead nowhere (the attention kernel's `probs`), after that op.
// and records the forward pass keeping only what the gradients with respect to xs read (lean_saves.ts).
// A gradient tensor can sit under several keys (an Add passes dy through to both inputs), so each is counted and freed
// at its last use; the gradients of the requested tensors, and a caller's dy, are never freed.
//
// It reads the engine's tape through a few of its fields (`state.activeTape`, `startTape`, `scopedRun`), stable across
// tfjs 4.x; test/engine/backprop.test.ts holds it to tf.grads on the model's ops so that a tfjs upgrade that moves
// them fails there.

import * as tf from '@tensorflow/tfjs-core';
import { recordLean } from './lean_saves';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs's Engine this file drives (public in its JavaScript, not in its typings). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T>(name: string, f: () => T): T;
}

export interface Gradients {
  /** f's value (the caller owns it). */
  value: tf.Tensor;
  /** The gradient of the value with respect to each of `xs`, or null where the value does not depend on it. */
  grads: (tf.Tensor | null)[];
}

/**
 * The gradients of `f()` with respect to `xs` (tensors or variables), seeded with `dy` (default: ones), freeing saved
 * tensors and intermediate gradients as soon as the backward pass is done with them. Same results as tfjs's
 * engine.gradients (tf.grads, tf.variableGrads) on the same tape.
 *
 * @example
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const { value, grads } = gradientsFreeing(() => tf.sum(tf.square(w)), [w]);
 * // value 5, grads[0] [2, 4]
 */
export function gradientsFreeing(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor): Gradients {
  if (xs.length === 0) throw new Error('gradientsFreeing: no tensors to differentiate with respect to');
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth > 0) throw new Error('gradientsFreeing: cannot run while another gradient is being recorded');
  // A caller's backward pass (tfjs's own, with its tape still in the engine) may call this from a gradient function
  // (block recompute does): its tape is put back at the end.
  const outerTape = engine.state.activeTape;
  const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => recordLean(xs, () => engine.tidy('forward', f)));
  const tape = engine.state.activeTape ?? [];
  engine.state.activeTape = outerTape;
  try {
    if (!(y instanceof tf.Tensor)) throw new Error('gradientsFreeing: f() must return a tensor');
    if (dy && !tf.util.arraysEqual(dy.shape, y.shape)) throw new Error(`gradientsFreeing: dy is [${dy.shape}], f() gives [${y.shape}]`);
    const path = nodesFromXsToY(tape, xs, y);
    const grads = engine.tidy('backward', () => backward(path, xs, y, dy));
    return { value: y, grads };
  } finally {
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  }
}

/** Walks the path backwards from y, freeing as it goes; returns the gradients of xs. */
function backward(path: TapeNode[], xs: tf.Tensor[], y: tf.Tensor, dy: tf.Tensor | undefined): (tf.Tensor | null)[] {
  const keep = new Set(xs.map((x) => x.id)); // tensors whose gradients are the result
  const grad = new Map<number, tf.Tensor>(); // tensor id -> its gradient so far
  const holders = new Map<number, number>(); // gradient tensor id -> how many entries of `grad` hold it
  const never = new Set<number>(dy ? [dy.id] : []); // gradient tensors this call does not own
  const hold = (id: number, g: tf.Tensor) => {
    grad.set(id, g);
    holders.set(g.id, (holders.get(g.id) ?? 0) + 1);
  };
  const release = (g: tf.Tensor) => {
    const n = (holders.get(g.id) ?? 0) - 1;
    if (n > 0) return void holders.set(g.id, n);
    holders.delete(g.id);
    if (!never.has(g.id)) g.dispose();
  };
  const drop = (id: number) => {
    const g = grad.get(id);
    if (!g || keep.has(id)) return;
    grad.delete(id);
    release(g);
  };
  hold(y.id, dy ?? tf.onesLike(y));

  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    // Outputs that lead nowhere get zeros (as tfjs would make them).
    const zeros: tf.Tensor[] = [];
    const dys = node.outputs.map((o) => {
      const g = grad.get(o.id);
      if (g) return g;
      const z = tf.zerosLike(o);
      zeros.push(z);
      return z;
    });
    const inputGrads = node.gradient(dys);
    const spent: tf.Tensor[] = [...zeros]; // freed after this node unless a gradient entry holds them
    for (const [name, x] of Object.entries(node.inputs)) {
      if (!(name in inputGrads)) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}. Available gradients found: ${Object.keys(inputGrads)}.`);
      const dx = tf.tidy(() => inputGrads[name]());
      if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      if (!tf.util.arraysEqual(dx.shape, x.shape)) throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
      const prev = grad.get(x.id);
      if (!prev) {
        hold(x.id, dx);
        continue;
      }
      grad.delete(x.id);
      const sum = tf.add(prev, dx);
      release(prev);
      spent.push(dx);
      hold(x.id, sum);
    }
    // This node was the only producer of its outputs, and every reader of them came later on the tape: their gradients
    // are spent. Its saved tensors are read by no one else.
    for (const o of node.outputs) drop(o.id);
    for (const t of spent) if (!holders.has(t.id) && !never.has(t.id)) t.dispose();
    for (const t of node.saved ?? []) t.dispose();
  }
  return xs.map((x) => grad.get(x.id) ?? null);
}

/**
 * The nodes of the tape on a path from one of xs to y, in tape order, each with only the inputs that depend on xs
 * (tfjs's getFilteredNodesXToY, tape.ts, which tfjs-core does not export).
 */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const t of Object.values(node.inputs)) toY.add(t.id);
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({ ...node, inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => fromX.has(t.id))) }));
}
