// Evaluation of one dataset head: every sample of a split through the shared backbone and that dataset's head, the
// logits of its test views summed (the reference's TestMeter sums logits over views), then top-1, top-5, mean class
// accuracy, per-class accuracy and the confusion matrix (metrics.ts). The result says how many rows of the split the
// dataset reader dropped (missing files, unknown labels, bad lines) and how many samples could not be read, so a top-1
// over a subset is never shown as if it were over the whole split.

import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { DropReport, dropReport } from '../data/datasets/drops';
import { createLoader } from '../data/feed/loader';
import { BadReason } from '../data/feed/bad_samples';
import { Shard } from '../data/feed/shard';
import { DatasetIndex, Preprocessing, Sample } from '../data/types';
import { shownLabels } from '../data/datasets/label_names';
import { TimeSformer } from '../model/timesformer';
import { EvalMetrics, MetricAccumulator, MetricCounts, metricsFromCounts } from './metrics';

export interface EvalOptions {
  preprocessing: Preprocessing;
  /** Test views 'temporal x spatial' (CoVeR: 1x3). */
  views: string;
  /** Clips per forward pass (views count as clips). */
  batchSize?: number;
  /** Evaluate only the first N samples (periodic evaluation during training); all by default. */
  maxSamples?: number;
  concurrency?: number;
  cacheDir?: string;
  /** In-memory whole-video cache cap in bytes (loader.ts SampleOptions.memoryCacheBytes). */
  memoryCacheBytes?: number;
  /**
   * Rows the reader dropped plus unreadable samples tolerated (--max-bad): a count (>= 1) or a fraction (< 1) of the
   * rows evaluated (samples + dropped rows).
   */
  maxBad?: number;
  /** This rank and the world size: the rank evaluates its share of the samples; the shares together are all of them. */
  shard?: Shard;
  /**
   * With a shard: every rank's part, in rank order (a collective over the job's ranks, src/dist), so that each rank
   * returns the metrics and bad samples of the whole evaluation, as one process would. Without it, a rank's own share.
   */
  gather?: (part: EvalPart) => EvalPart[];
  seed?: number;
  /** Keep each clip's prediction (HeadEval.clips): a study's paired tests compare arms clip by clip. */
  keepClips?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** One evaluated clip: its file relative to the dataset root (with its window, if the index gives one), true and predicted class. */
export interface ClipPrediction {
  clip: string;
  label: number;
  predicted: number;
  correct: boolean;
}

export interface HeadEval extends EvalMetrics {
  head: string;
  dataset: string;
  split: string;
  views: { min: number; max: number };
  /** Samples that could not be read (skipped), by reason. */
  bad: { count: number; paths: string[]; byReason: Record<BadReason, number> };
  /** Rows of the split the dataset reader dropped before evaluation (missing files, unknown labels, bad lines, no label). */
  dropped: DropReport;
  /** With `keepClips`: every evaluated clip's prediction, in the split's order (a sharded evaluation: rank by rank). */
  clips?: ClipPrediction[];
}

/** One rank's share of an evaluation: counts that add up over the ranks, and the samples it could not read. */
export interface EvalPart {
  counts: MetricCounts;
  bad: HeadEval['bad'];
  clips?: ClipPrediction[];
}

/** The parts of every rank as one: the bad samples in rank order, their counts added. */
function mergeBad(parts: EvalPart[]): HeadEval['bad'] {
  const byReason = { ...parts[0].bad.byReason };
  for (const p of parts.slice(1)) for (const [r, k] of Object.entries(p.bad.byReason)) byReason[r as BadReason] = (byReason[r as BadReason] ?? 0) + k;
  return { count: parts.reduce((a, p) => a + p.bad.count, 0), paths: parts.flatMap((p) => p.bad.paths), byReason };
}

export async function evaluateHead(model: TimeSformer, head: string, index: DatasetIndex, opts: EvalOptions): Promise<HeadEval> {
  const info = model.heads.get(head);
  const labelled = index.samples.filter((s) => s.label >= 0);
  // A periodic evaluation takes an evenly spread subset: index files are often sorted by class, so the first N would
  // cover only a few classes.
  const samples =
    opts.maxSamples && opts.maxSamples < labelled.length
      ? Array.from({ length: opts.maxSamples }, (_, i) => labelled[Math.floor((i * labelled.length) / opts.maxSamples!)])
      : labelled;
  const subset: DatasetIndex = { ...index, samples };
  const dropped = dropReport(index, { labelledOnly: true });
  // Per-class rows and the confusion matrix show class names (a checkpoint without names takes the dataset's).
  const acc = new MetricAccumulator(shownLabels({ labels: info.labels, displayNames: info.displayNames ?? index.displayNames }));
  const loader = createLoader(subset, {
    preprocessing: opts.preprocessing,
    training: false,
    views: opts.views,
    batchSize: Math.max(1, opts.batchSize ?? 8),
    seed: opts.seed ?? 0,
    epochOrder: 'sequential',
    epochs: 1,
    concurrency: opts.concurrency,
    cacheDir: opts.cacheDir,
    memoryCacheBytes: opts.memoryCacheBytes,
    maxBad: opts.maxBad,
    droppedRows: dropped.dropped,
    shard: opts.shard,
  });
  let done = 0;
  try {
    for await (const batch of loader) {
      const V = batch.views;
      const logits = tf.tidy(() => {
        const x = tf.tensor(batch.x, batch.shape); // [B*V, T, S, S, 3]
        return model.forwardHead(model.forwardFeatures(x), head); // [B*V, C]
      });
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const C = info.numClasses;
      batch.sampleIdx.forEach((si, b) => {
        for (let v = 0; v < V; v++) acc.accumulate(si, values.subarray((b * V + v) * C, (b * V + v + 1) * C), batch.labels[b]);
      });
      done += batch.sampleIdx.length;
      opts.onProgress?.(done, samples.length);
    }
  } finally {
    await loader.close();
  }
  const stats = loader.stats();
  const mine: EvalPart = { counts: acc.counts(), bad: { count: stats.bad.count, paths: stats.bad.paths, byReason: stats.bad.byReason } };
  if (opts.keepClips) {
    // The accumulator's ids are the loader's sample indices into `samples`.
    mine.clips = acc
      .predictions()
      .sort((a, b) => (a.id as number) - (b.id as number))
      .map((p) => ({ clip: clipName(samples[p.id as number], index.root), label: p.label, predicted: p.predicted, correct: p.correct }));
  }
  const parts = opts.gather ? opts.gather(mine) : [mine];
  const m: EvalMetrics = metricsFromCounts(acc.labels, parts.map((p) => p.counts));
  const clips = opts.keepClips ? { clips: parts.flatMap((p) => p.clips ?? []) } : {};
  return { ...m, head, dataset: index.name, split: index.split, bad: mergeBad(parts), dropped, ...clips };
}

/** `abseil/clip_007.mp4`, or with a manifest's window `clip.mp4@1.5-4`: the same name in every run on the same split. */
function clipName(s: Sample, root: string): string {
  const rel = path.relative(root, s.path).split(path.sep).join('/');
  return s.start !== undefined || s.end !== undefined ? `${rel}@${s.start ?? 0}-${s.end ?? ''}` : rel;
}
