// Mixup (Zhang et al. 2018) within one dataset's group of a batch: x' = lam x + (1 - lam) x[perm], and the same mix of
// one-hot targets, lam ~ Beta(alpha, alpha). Groups are mixed separately because each dataset has its own label space.

import { Rng } from '../data/rng';

/** Standard normal by Box-Muller. */
function normal(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * log of a Gamma(shape, 1) draw, by Marsaglia and Tsang, with the shape < 1 boost done in log space: for a small shape
 * the draw itself (e.g. Gamma(0.001) ~ U^1000) underflows to 0, its log does not.
 */
function logGamma(shape: number, rng: Rng): number {
  if (shape < 1) return logGamma(shape + 1, rng) + Math.log(Math.max(rng.next(), 1e-300)) / shape;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(rng);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (Math.log(Math.max(u, 1e-12)) < 0.5 * z * z + d - d * v + d * Math.log(v)) return Math.log(d) + Math.log(v);
  }
}

/**
 * Beta(alpha, alpha) as Ga / (Ga + Gb) = 1 / (1 + exp(log Gb - log Ga)): finite in [0, 1] for any alpha > 0, where the
 * plain ratio is 0/0 once both draws underflow (a quarter of the draws at alpha 0.001).
 */
export function sampleBeta(alpha: number, rng: Rng): number {
  if (!(alpha > 0 && Number.isFinite(alpha))) throw new RangeError(`sampleBeta: alpha ${alpha} is not a positive number`);
  const la = logGamma(alpha, rng);
  const lb = logGamma(alpha, rng);
  return 1 / (1 + Math.exp(lb - la));
}

/** Mixes `x` ([B, ...] flattened, `per` values a sample) in place and returns the soft targets [B, C]. */
export function mixup(x: Float32Array, per: number, labels: Int32Array, numClasses: number, alpha: number, rng: Rng): Float32Array {
  const B = labels.length;
  const lam = sampleBeta(alpha, rng);
  const perm = Array.from({ length: B }, (_, i) => i);
  for (let i = B - 1; i > 0; i--) {
    const j = rng.randint(0, i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const src = x.slice();
  for (let b = 0; b < B; b++) {
    const o = b * per;
    const p = perm[b] * per;
    for (let i = 0; i < per; i++) x[o + i] = lam * src[o + i] + (1 - lam) * src[p + i];
  }
  const targets = new Float32Array(B * numClasses);
  for (let b = 0; b < B; b++) {
    targets[b * numClasses + labels[b]] += lam;
    targets[b * numClasses + labels[perm[b]]] += 1 - lam;
  }
  return targets;
}
