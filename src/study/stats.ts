// The statistics of a study: a head's top-1 over seeds as mean ± sample standard deviation (the "±" of the tables: how
// much one run varies with its seed, not an uncertainty of the mean), and the paired difference of two arms, seed by
// seed (arms of one seed share their start and data order, so the pairing removes the spread the seed causes). With one
// seed there is no spread: std is null. Also the binomial standard error of a top-1 over n val clips, what one
// evaluation's val set alone can resolve. The interval of a mean difference is t_interval.ts; the per-clip test,
// mcnemar.ts.

export interface Spread {
  mean: number;
  /** Sample standard deviation (n - 1); null with fewer than 2 values. */
  std: number | null;
  n: number;
  /** The values, in seed order. */
  values: number[];
}

/**
 * @example
 * spread([0.5, 0.6, 0.7]) // { mean: 0.6, std: 0.1, n: 3, values: [0.5, 0.6, 0.7] }
 */
export function spread(values: number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: null, n: 0, values: [] };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? null : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, values: [...values] };
}

/**
 * `b - a` seed by seed, over the seeds both have, and its spread.
 * @example
 * pairedDifference(new Map([[0, 0.5], [1, 0.6]]), new Map([[0, 0.55], [1, 0.62]])) // spread([0.05, 0.02])
 */
export function pairedDifference(a: Map<number, number>, b: Map<number, number>): Spread & { seeds: number[] } {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  return { ...spread(seeds.map((s) => b.get(s)! - a.get(s)!)), seeds };
}

/** The binomial standard error of an accuracy p measured on n samples: sqrt(p (1 - p) / n). */
export function binomialStdErr(p: number, n: number): number {
  return n > 0 ? Math.sqrt((p * (1 - p)) / n) : NaN;
}

/** `52.3 ± 1.2` (points; `± -` with one seed); a difference gets its sign: `+1.4 ± 0.8`. */
export function formatSpread(s: Spread, opts: { signed?: boolean } = {}): string {
  if (s.n === 0) return '-';
  const m = 100 * s.mean;
  const mean = `${opts.signed && m >= 0 ? '+' : ''}${m.toFixed(1)}`;
  return `${mean} ± ${s.std === null ? '-' : (100 * s.std).toFixed(1)}`;
}
