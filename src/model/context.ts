// What a forward pass needs besides its input: whether it is training (dropout and drop-path on) and where its
// randomness comes from. Masks are seeded from the project's one seeded generator (data/rng.ts), so that one seed gives
// one result and a resumed run draws the same masks.

import { createRng } from '../data/rng';

export interface ForwardContext {
  training: boolean;
  /** Returns a fresh integer seed for each random op (dropout masks, drop-path masks). */
  nextSeed: () => number;
  /** Keep only each block's input for the backward pass and run the block again there (recompute.ts). */
  recompute?: boolean;
}

export function evalContext(): ForwardContext {
  return { training: false, nextSeed: () => 0 };
}

export function trainContext(seed: number, opts: { recompute?: boolean } = {}): ForwardContext {
  const rng = createRng(seed, 'forward');
  return { training: true, nextSeed: () => Math.floor(rng.next() * 2 ** 31), recompute: opts.recompute ?? false };
}
