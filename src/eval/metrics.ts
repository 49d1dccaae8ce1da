// Video-level classification metrics, as the TimeSformer reference computes them (PySlowFast TestMeter): every view
// (temporal clip × spatial crop) of a video gives a row of logits, the logits of one video are SUMMED over its views
// (`ENSEMBLE_METHOD "sum"`; the paper says "averaged", which ranks the same), and top-1 / top-5 are taken on the sums
// (docs/notes/cover-spec.md §1.10, §2.5). Also the mean class accuracy (mean over the classes present of per-class
// recall, as reported for imbalanced sets), per-class accuracy, and the confusion matrix (rows true class, columns
// predicted).
//
// Plain TypeScript over Float32Array rows: the caller reads the logits out of tfjs (`await logits.data()`) and disposes
// the tensor, so nothing here holds GPU/wasm memory.
//
// Ties: a class ranks above the true class when its score is larger, or equal with a smaller class id (the order
// `argmax` picks). NaN scores rank below everything and are counted in `nonFinite`, so a diverged model scores 0, not
// a random top-k.

import { DatasetError } from '../errors';

export interface PerClassAccuracy {
  label: string;
  /** Samples whose true class is this one. */
  support: number;
  /** Of those, the ones predicted as this class (top-1). */
  correct: number;
  /** correct / support; null when the class has no samples. */
  accuracy: number | null;
}

export interface EvalMetrics {
  /** Samples (videos) evaluated. */
  n: number;
  /** Fractions in [0, 1]. */
  top1: number;
  /** Top-k with k = min(5, numClasses). */
  top5: number;
  k: number;
  /** Mean over the classes present of per-class top-1 recall. */
  meanClassAccuracy: number;
  perClass: PerClassAccuracy[];
  /** [C, C] counts: confusion[true][predicted]. */
  confusion: number[][];
  /** Fewest and most views summed for a sample (e.g. 3 and 3 for 1 clip × 3 crops). */
  views: { min: number; max: number };
  /** Samples whose summed logits had a NaN or ±Infinity. */
  nonFinite: number;
}

/** Index of the largest score; the first one on ties; NaN never wins. */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < scores.length; c++) {
    const s = scores[c];
    if (s > bestScore) {
      best = c;
      bestScore = s;
    }
  }
  return best;
}

/** Whether `label` is among the top `k` scores (ties broken towards the smaller class id, NaN last). */
export function inTopK(scores: ArrayLike<number>, label: number, k: number): boolean {
  const mine = scores[label];
  if (Number.isNaN(mine)) return false;
  let above = 0;
  for (let c = 0; c < scores.length && above < k; c++) {
    const s = scores[c];
    if (s > mine || (s === mine && c < label)) above += 1;
  }
  return above < k;
}

/**
 * Sums logits over the views of each sample, then scores them.
 * @example
 * const m = new MetricAccumulator(['cat', 'dog']);
 * m.accumulate('v1', Float32Array.of(2, 1), 0); // crop 1
 * m.accumulate('v1', Float32Array.of(0, 4), 0); // crop 2: the sum [2, 5] predicts dog
 * m.compute().top1 // 0
 */
export class MetricAccumulator {
  readonly numClasses: number;
  private readonly sums = new Map<string | number, { logits: Float64Array; label: number; views: number }>();

  constructor(readonly labels: string[]) {
    if (labels.length < 1) throw new Error('MetricAccumulator: need at least one class');
    this.numClasses = labels.length;
  }

  /** Samples seen so far. */
  get size(): number {
    return this.sums.size;
  }

  /** Adds one view's logits [C] of sample `sampleId` whose true class is `label`. */
  accumulate(sampleId: string | number, logits: ArrayLike<number>, label: number): void {
    const C = this.numClasses;
    if (logits.length !== C) throw new Error(`accumulate(${sampleId}): ${logits.length} logits for ${C} classes`);
    if (!Number.isInteger(label) || label < 0 || label >= C) throw new Error(`accumulate(${sampleId}): label ${label} not in [0, ${C})`);
    let s = this.sums.get(sampleId);
    if (!s) {
      s = { logits: new Float64Array(C), label, views: 0 };
      this.sums.set(sampleId, s);
    } else if (s.label !== label) {
      throw new Error(`accumulate(${sampleId}): label ${label} differs from an earlier view's ${s.label}`);
    }
    for (let c = 0; c < C; c++) s.logits[c] += logits[c];
    s.views += 1;
  }

  /** Adds a batch of views: `logits` is [n, C] row-major (as `await t.data()` returns it). */
  accumulateBatch(sampleIds: ReadonlyArray<string | number>, logits: ArrayLike<number>, labels: ArrayLike<number>): void {
    const n = sampleIds.length;
    const C = this.numClasses;
    if (logits.length !== n * C) throw new Error(`accumulateBatch: ${logits.length} logits for ${n} samples × ${C} classes`);
    if (labels.length !== n) throw new Error(`accumulateBatch: ${labels.length} labels for ${n} samples`);
    const rows = logits instanceof Float32Array || logits instanceof Float64Array;
    for (let i = 0; i < n; i++) {
      const row = rows ? (logits as Float32Array).subarray(i * C, (i + 1) * C) : Array.from({ length: C }, (_, c) => logits[i * C + c]);
      this.accumulate(sampleIds[i], row, labels[i]);
    }
  }

  compute(): EvalMetrics {
    return metricsFromCounts(this.labels, [this.counts()]);
  }

  /** Each sample's predicted class (argmax of its summed logits) and whether it is right, as counts() scores it. */
  predictions(): Array<{ id: string | number; label: number; predicted: number; correct: boolean }> {
    return [...this.sums.entries()].map(([id, s]) => {
      const predicted = argmax(s.logits);
      return { id, label: s.label, predicted, correct: predicted === s.label && !Number.isNaN(s.logits[s.label]) };
    });
  }

  /** What these samples add to an evaluation: counts that add up over the ranks of a sharded evaluation. */
  counts(): MetricCounts {
    const C = this.numClasses;
    const k = Math.min(5, C);
    const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
    const c = { n: this.sums.size, top1: 0, topk: 0, nonFinite: 0, minViews: Infinity, maxViews: 0, confusion };
    for (const s of this.sums.values()) {
      if (s.logits.some((v) => !Number.isFinite(v))) c.nonFinite += 1;
      // A NaN true-class score never counts; otherwise argmax and inTopK agree on ties.
      const pred = argmax(s.logits);
      confusion[s.label][pred] += 1;
      if (pred === s.label && !Number.isNaN(s.logits[s.label])) c.top1 += 1;
      if (inTopK(s.logits, s.label, k)) c.topk += 1;
      c.minViews = Math.min(c.minViews, s.views);
      c.maxViews = Math.max(c.maxViews, s.views);
    }
    return { ...c, minViews: c.n > 0 ? c.minViews : null };
  }
}

/** Counts of scored samples (MetricAccumulator.counts); minViews is null when n is 0. */
export interface MetricCounts {
  n: number;
  top1: number;
  topk: number;
  nonFinite: number;
  minViews: number | null;
  maxViews: number;
  /** [C, C]: confusion[true][predicted]. */
  confusion: number[][];
}

/**
 * The metrics of the samples of every part together (one part per rank of a sharded evaluation; one for a single
 * process): the same numbers one accumulator over all of them computes.
 */
export function metricsFromCounts(labels: string[], parts: MetricCounts[]): EvalMetrics {
  const C = labels.length;
  const n = parts.reduce((a, p) => a + p.n, 0);
  if (n === 0) {
    throw new DatasetError('no samples were evaluated', { suggestion: 'check that the evaluation split lists at least one readable video' });
  }
  const sum = (f: (p: MetricCounts) => number) => parts.reduce((a, p) => a + f(p), 0);
  const confusion = Array.from({ length: C }, (_, t) => Array.from({ length: C }, (_, q) => sum((p) => p.confusion[t][q])));
  const seen = parts.filter((p) => p.n > 0);
  const perClass = labels.map((label, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const correct = confusion[c][c];
    return { label, support, correct, accuracy: support > 0 ? correct / support : null };
  });
  const present = perClass.filter((p) => p.accuracy !== null);
  const meanClassAccuracy = present.reduce((a, p) => a + (p.accuracy as number), 0) / present.length;
  return {
    n,
    top1: sum((p) => p.top1) / n,
    top5: sum((p) => p.topk) / n,
    k: Math.min(5, C),
    meanClassAccuracy,
    perClass,
    confusion,
    views: { min: Math.min(...seen.map((p) => p.minViews as number)), max: Math.max(...seen.map((p) => p.maxViews)) },
    nonFinite: sum((p) => p.nonFinite),
  };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge space; quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The confusion matrix as CSV: a header of predicted labels, then one row per true label.
 * @example
 * confusionCsv([[3, 1], [0, 2]], ['cat', 'dog, big'])
 * // 'true\\predicted,cat,"dog, big"\ncat,3,1\n"dog, big",0,2\n'
 */
export function confusionCsv(matrix: number[][], labels: string[]): string {
  const C = labels.length;
  if (matrix.length !== C || matrix.some((r) => r.length !== C)) {
    throw new Error(`confusionCsv: matrix is not ${C}×${C} for ${C} labels`);
  }
  const lines = [['true\\predicted', ...labels].map(csvField).join(',')];
  matrix.forEach((row, i) => lines.push([csvField(labels[i]), ...row.map(String)].join(',')));
  return `${lines.join('\n')}\n`;
}
