// The paired statistics of a study against numbers computed with SciPy 1.17 (scipy.stats.t.ppf, t.interval and
// binomtest, the exact McNemar test): the t quantile, the 95% t interval of a mean over seeds, and McNemar's exact
// two-sided p-value from the discordant clips of two arms.
import { exactTwoSided, mcnemar } from '../../src/study/mcnemar';
import { betaRegularized, logGamma, studentTCdf, studentTQuantile, tInterval } from '../../src/study/t_interval';

test("Student's t: quantiles and CDF as scipy.stats.t gives them", () => {
  // scipy.stats.t.ppf(0.975, df)
  expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174694, 9);
  expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302652729749462, 9);
  expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977934, 9);
  expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.045229642132703, 9);
  // scipy.stats.t.cdf(-2.5, 3), t.cdf(1, 1)
  expect(studentTCdf(-2.5, 3)).toBeCloseTo(0.04385332350403278, 12);
  expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
  expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
  expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  expect(betaRegularized(0.3, 1, 1)).toBeCloseTo(0.3, 12);
  expect(() => studentTQuantile(0.3, 2)).toThrow(/needs 0.5 <= p < 1/);
});

test('the 95% t interval of a mean over seeds; none with one seed', () => {
  // scipy.stats.t.interval(0.95, 2, loc=mean, scale=sd/sqrt(3)) for [0.05, 0.02, 0.07]
  const i = tInterval([0.05, 0.02, 0.07])!;
  expect(i.low).toBeCloseTo(-0.015849428127091093, 10);
  expect(i.high).toBeCloseTo(0.10918276146042444, 10);
  expect(i.level).toBe(0.95);
  expect(tInterval([0.05])).toBeNull();
  // No spread: the interval is the mean itself.
  const flat = tInterval([0.1, 0.1])!;
  expect([flat.low, flat.high]).toEqual([0.1, 0.1].map((x) => expect.closeTo(x, 12)));
});

test("McNemar's exact test: two-sided binomial p on the discordant clips, as scipy.stats.binomtest", () => {
  // scipy.stats.binomtest(k, n, 0.5).pvalue
  const known: Array<[number, number, number]> = [
    [1, 5, 0.375],
    [2, 10, 0.109375],
    [5, 20, 0.04138946533203125],
    [12, 40, 0.01658900337497471],
    [30, 100, 7.85013964559367e-5],
    [100, 250, 0.0018833009350761602],
    [7, 7, 0.015625],
  ];
  for (const [k, n, p] of known) expect(exactTwoSided(k, n)).toBeCloseTo(p, 14);
  expect(exactTwoSided(0, 0)).toBe(1);
  expect(exactTwoSided(5, 10)).toBe(1); // the middle count: capped at 1

  // Two arms on the same 12 clips: 5 right only in the second, 1 only in the first, 6 agree; a clip of one arm only is left out.
  const first = new Map<string, boolean>();
  const second = new Map<string, boolean>();
  for (let i = 0; i < 12; i++) {
    first.set(`c${i}`, i === 0 || i >= 6);
    second.set(`c${i}`, i >= 1);
  }
  first.set('only-first.mp4', true);
  expect(mcnemar(first, second)).toEqual({ n: 12, onlyFirst: 1, onlySecond: 5, p: expect.closeTo(0.21875, 14) }); // binomtest(1, 6)
  expect(mcnemar(second, first)).toMatchObject({ onlyFirst: 5, onlySecond: 1 });
});
