// Mixup's Beta(alpha, alpha) sampler: finite for any alpha > 0. With a small alpha both Gamma draws underflow to 0 in
// plain arithmetic and their ratio is 0/0 = NaN (about a quarter of the draws at alpha 0.001); in log space it is not.
import { createRng } from '../../src/data/rng';
import { mixup, sampleBeta } from '../../src/train/mixup';

function draws(alpha: number, n: number): number[] {
  const rng = createRng(11, 'beta', alpha);
  return Array.from({ length: n }, () => sampleBeta(alpha, rng));
}

test.each([0.001, 0.01, 0.2])('alpha %p: 20000 draws, none NaN, all in [0, 1], mean ~0.5 (the Beta is symmetric)', (alpha) => {
  const xs = draws(alpha, 20000);
  expect(xs.filter((x) => !(x >= 0 && x <= 1))).toEqual([]);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
});

test('alpha 0.001 puts almost all mass at 0 or 1; alpha 100 concentrates near 0.5 (the shape is right, not only the mean)', () => {
  const small = draws(0.001, 5000);
  expect(small.filter((x) => x > 0.01 && x < 0.99).length / small.length).toBeLessThan(0.02);
  const large = draws(100, 5000);
  const sd = Math.sqrt(large.reduce((a, x) => a + (x - 0.5) ** 2, 0) / large.length);
  expect(sd).toBeGreaterThan(0.03); // Beta(100, 100): sd = 0.5 / sqrt(201) = 0.035
  expect(sd).toBeLessThan(0.04);
});

test('mixup with alpha 0.001 never writes a NaN into the clips or the targets', () => {
  const B = 4;
  const per = 3;
  for (let step = 0; step < 400; step++) {
    const x = Float32Array.from({ length: B * per }, (_, i) => i / 10);
    const t = mixup(x, per, Int32Array.from([0, 1, 2, 1]), 3, 0.001, createRng(0, 'mixup', step, 'k400'));
    expect([...x, ...t].some((v) => Number.isNaN(v))).toBe(false);
    for (let b = 0; b < B; b++) expect(t[b * 3] + t[b * 3 + 1] + t[b * 3 + 2]).toBeCloseTo(1, 5);
  }
});
