// What a forward pass needs besides its input: whether it is training (dropout and drop-path on) and where its
// randomness comes from. Randomness is drawn from a seeded generator so that one seed gives one result.

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; deterministic for a given seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ForwardContext {
  training: boolean;
  /** Returns a fresh integer seed for each random op (dropout masks, drop-path masks). */
  nextSeed: () => number;
}

export function evalContext(): ForwardContext {
  return { training: false, nextSeed: () => 0 };
}

export function trainContext(seed: number): ForwardContext {
  const rand = mulberry32(seed);
  return { training: true, nextSeed: () => Math.floor(rand() * 2 ** 31) };
}
