// Seeded random numbers for the data pipeline. Every random choice (epoch order, clip start, scale jitter, crop, flip)
// draws from an Rng derived from (seed, epoch, sample index), never from a shared stream, so a batch is the same
// whatever order the decodes finish in, however many run at once, and after a resume (`startAt`).
//
// Generator: mulberry32 (32-bit state, period 2^32), seeded through a 32-bit FNV-1a + murmur3 finaliser over the keys.
// Good enough for augmentation choices; not for cryptography.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [lo, hi] (both ends included, like Python's random.randint). */
  randint(lo: number, hi: number): number;
  /** A new, independent generator for a sub-key: `rng.fork('crop')`. Does not advance this one. */
  fork(...keys: Array<string | number>): Rng;
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a list of keys (numbers and strings), order-sensitive. */
export function hashKeys(keys: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const mixByte = (b: number): void => {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const k of keys) {
    const s = typeof k === 'number' ? `n${k}` : `s${k}`;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      mixByte(c);
      mixByte(c >>> 8);
    }
    mixByte(0x1f); // key separator: ['ab'] != ['a', 'b']
  }
  return fmix32(h);
}

class Mulberry32 implements Rng {
  private state: number;

  constructor(private readonly seedHash: number) {
    this.state = seedHash >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  randint(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new Error(`randint(${lo}, ${hi}): need integers with lo <= hi`);
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  fork(...keys: Array<string | number>): Rng {
    return new Mulberry32(hashKeys([this.seedHash, ...keys]));
  }
}

/**
 * A generator for a seed and optional sub-keys.
 * @example
 * createRng(0, 'order', 3).randint(0, 9) // same value on every run and machine
 */
export function createRng(seed: number, ...keys: Array<string | number>): Rng {
  return new Mulberry32(hashKeys([seed, ...keys]));
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.randint(0, i);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
