// McNemar's test of two models on the same val clips (McNemar 1947): only the discordant clips count, those the first
// model gets right and the second wrong (b) and the reverse (c); if the two are equally accurate, each discordant clip
// is either kind with probability 1/2. The p-value is the exact one (two-sided binomial on b + c trials, as
// statsmodels' mcnemar(exact=True) and scipy.stats.binomtest(b, b + c)): exact at every count, so there is no
// chi-square approximation to break down on the few discordant clips a small val set has.

export interface McNemar {
  /** Clips both models were evaluated on. */
  n: number;
  /** Right in the first model only. */
  onlyFirst: number;
  /** Right in the second model only. */
  onlySecond: number;
  /** Two-sided exact p-value; 1 when no clip is discordant. */
  p: number;
}

/**
 * P(X ≤ k) + P(X ≥ n − k) for X ~ Binomial(n, 1/2), k ≤ n / 2, at most 1 (the terms are summed in log space).
 * @example exactTwoSided(2, 10) // 0.109375
 */
export function exactTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  let logC = 0; // ln C(n, 0)
  const logs: number[] = [];
  for (let i = 0; i <= m; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    logs.push(logC - n * Math.LN2);
  }
  const top = Math.max(...logs);
  const tail = Math.exp(top) * logs.reduce((a, l) => a + Math.exp(l - top), 0);
  return Math.min(1, 2 * tail);
}

/**
 * McNemar's test of `second` against `first`, each a clip's name → right or wrong, over the clips both hold.
 * @example
 * mcnemar(new Map([['a', true], ['b', false], ['c', false]]), new Map([['a', true], ['b', true], ['c', true]]))
 * // { n: 3, onlyFirst: 0, onlySecond: 2, p: 0.5 }
 */
export function mcnemar(first: Map<string, boolean>, second: Map<string, boolean>): McNemar {
  let n = 0;
  let onlyFirst = 0;
  let onlySecond = 0;
  for (const [clip, a] of first) {
    const b = second.get(clip);
    if (b === undefined) continue;
    n += 1;
    if (a && !b) onlyFirst += 1;
    else if (b && !a) onlySecond += 1;
  }
  return { n, onlyFirst, onlySecond, p: exactTwoSided(Math.min(onlyFirst, onlySecond), onlyFirst + onlySecond) };
}
