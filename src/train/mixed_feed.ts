// The co-training data feed: CoVeR batches mixed from several datasets. The MixSampler decides which dataset and sample
// fill each slot of batch s (probability proportional to dataset size, seeded); every slot is decoded with its own
// random stream rng(seed, 'clip', s, slot), several decodes in flight and a few batches read ahead, and the batch is
// handed out grouped by dataset. Batch s is the same whatever the timing, and a run resumed at step s rebuilds the
// sampler by replaying s batch draws, so it continues exactly.
//
// A bad sample (missing, empty, truncated, unreadable, or any other error of that one sample) is dropped from its batch,
// counted and listed; temporary failures (EAGAIN, EMFILE, timeouts) are retried first by the loader (retry.ts), and a
// sample skipped for one of them is decoded again when next drawn. Bad samples and the rows the dataset reader dropped
// share one limit per dataset, `maxBad` (a count, or a fraction below 1 of the dataset's rows); past it the run stops
// with a DatasetError naming the dataset and the first bad files. Every read-ahead batch has a rejection handler, so a
// batch that fails while nobody awaits it is reported when its turn comes (or never, after close), not as an
// unhandled rejection that kills the process.
//
// Shapes: per group, x is [b, T, S, S, 3] (T = 1 for image datasets), labels [b].

import { DatasetError } from '../errors';
import { badLimit, describeLimit } from '../data/datasets/drops';
import { loadSample, sampleProblem, SampleOptions } from '../data/loader';
import { isFatalForRun, isTransient } from '../data/retry';
import { createRng } from '../data/rng';
import { DatasetIndex } from '../data/types';
import { MixSampler, MixSamplerOptions } from './mix_sampler';

export interface FeedDataset {
  /** Head name (= dataset name). */
  name: string;
  index: DatasetIndex;
  /** Preprocessing and augmentation of this dataset's samples (training: true). */
  sample: SampleOptions;
  /** Rows the dataset reader dropped (missing files, unknown labels, bad lines): they count against maxBad. */
  droppedRows?: number;
}

export interface FeedGroup {
  dataset: string;
  x: Float32Array;
  shape: [number, number, number, number, 3];
  labels: Int32Array;
  paths: string[];
}

export interface FeedBatch {
  step: number;
  groups: FeedGroup[];
  /** Samples of this batch that could not be read. */
  bad: { path: string; problem: string }[];
}

export interface FeedOptions extends MixSamplerOptions {
  /** Step of the first batch (resume); the sampler is replayed up to it. */
  startStep?: number;
  /** Decodes in flight (default 2). */
  concurrency?: number;
  /** Batches read ahead (default 2). */
  prefetch?: number;
  /**
   * Bad samples tolerated per dataset, together with the rows its reader dropped: a count (>= 1) or a fraction (< 1)
   * of the dataset's rows (samples + dropped rows); default 0.05.
   */
  maxBad?: number;
}

interface Pending {
  step: number;
  promise: Promise<FeedBatch>;
}

export class MixedFeed {
  private readonly sampler: MixSampler;
  private readonly byName: Map<string, FeedDataset>;
  private step: number;
  private readonly ahead: Pending[] = [];
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  /** path -> why it was skipped, its dataset, and whether the failure was temporary (forgotten once it decodes). */
  private readonly badSeen = new Map<string, { problem: string; dataset: string; transient: boolean }>();
  private closed = false;

  constructor(private readonly datasets: FeedDataset[], private readonly opts: FeedOptions) {
    this.byName = new Map(datasets.map((d) => [d.name, d]));
    this.sampler = new MixSampler(
      datasets.map((d) => ({ name: d.name, size: d.index.samples.length })),
      opts,
    );
    this.step = opts.startStep ?? 0;
    for (let s = 0; s < this.step; s++) this.sampler.next(); // replay: the sampler is a pure function of (seed, batches drawn)
  }

  /** The next batch (in step order). */
  async next(): Promise<FeedBatch> {
    const prefetch = Math.max(1, this.opts.prefetch ?? 2);
    while (this.ahead.length < prefetch) {
      const step = this.step++;
      const promise = this.load(step, this.sampler.next());
      // Awaited below when its turn comes; until then (or forever, once the feed is closed) a failure must not be an
      // unhandled rejection, which would end the process without a checkpoint.
      promise.catch(() => undefined);
      this.ahead.push({ step, promise });
    }
    const { promise } = this.ahead.shift()!;
    const batch = await promise;
    this.checkBad();
    return batch;
  }

  /** Samples skipped so far and not decoded since (path -> problem). */
  badSamples(): Map<string, string> {
    return new Map([...this.badSeen].map(([p, b]) => [p, b.problem]));
  }

  /** Skipped samples per dataset (not decoded since). */
  badCounts(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(this.datasets.map((d) => [d.name, 0]));
    for (const b of this.badSeen.values()) out[b.dataset]++;
    return out;
  }

  close(): void {
    this.closed = true;
  }

  private checkBad(): void {
    const maxBad = this.opts.maxBad ?? 0.05;
    const counts = this.badCounts();
    for (const ds of this.datasets) {
      const dropped = ds.droppedRows ?? 0;
      const rows = ds.index.samples.length + dropped;
      if (counts[ds.name] === 0 || counts[ds.name] + dropped <= badLimit(maxBad, rows)) continue;
      const first = [...this.badSeen].filter(([, b]) => b.dataset === ds.name).slice(0, 3).map(([, b]) => b.problem);
      const rowsPart = dropped > 0 ? ` and ${dropped} rows dropped when its index was read` : '';
      throw new DatasetError(
        `dataset '${ds.name}': ${counts[ds.name]} unreadable samples${rowsPart}, more than ${describeLimit(maxBad, rows)} allows; first: ${first.join('; ')}`,
        { path: ds.index.root, suggestion: 'run `cover data check` on the dataset, fix or remove the files, or raise --max-bad' },
      );
    }
  }

  private async slot<T>(f: () => Promise<T>): Promise<T> {
    const limit = Math.max(1, this.opts.concurrency ?? 2);
    while (this.active >= limit) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }

  private async load(step: number, draws: { dataset: string; index: number }[]): Promise<FeedBatch> {
    const clips = await Promise.all(
      draws.map((d, slot) =>
        this.slot(async () => {
          const ds = this.byName.get(d.dataset)!;
          const sample = ds.index.samples[d.index];
          if (this.closed) return { ok: false as const, path: sample.path, problem: 'feed closed', closed: true };
          try {
            const clip = await loadSample(sample, ds.index, ds.sample, createRng(this.opts.seed, 'clip', step, slot));
            if (this.badSeen.get(sample.path)?.transient) this.badSeen.delete(sample.path); // it was only the machine
            return { ok: true as const, dataset: d.dataset, clip, label: sample.label, path: sample.path };
          } catch (err) {
            // One sample's failure, whatever it is, skips that sample; only the machine running out stops the run.
            if (isFatalForRun(err)) throw err;
            const bad = { problem: sampleProblem(sample, err), dataset: d.dataset, transient: isTransient(err) };
            if (!this.closed) this.badSeen.set(sample.path, bad);
            return { ok: false as const, path: sample.path, problem: bad.problem, closed: this.closed };
          }
        }),
      ),
    );
    const groups: FeedGroup[] = [];
    const bad: FeedBatch['bad'] = [];
    for (const ds of this.datasets) {
      const mine = clips.filter((c): c is Extract<typeof c, { ok: true }> => c.ok && c.dataset === ds.name);
      if (mine.length === 0) continue;
      const [T, H, W] = mine[0].clip.shape;
      const per = T * H * W * 3;
      const odd = mine.find((c) => c.clip.data.length !== per);
      if (odd) {
        throw new DatasetError(`dataset '${ds.name}' gives clips of different shapes ([${mine[0].clip.shape}] and [${odd.clip.shape}]): images and videos cannot share a batch`, {
          path: ds.index.root,
          suggestion: 'split it into an image dataset and a video dataset',
        });
      }
      const x = new Float32Array(mine.length * per);
      mine.forEach((c, i) => x.set(c.clip.data, i * per));
      groups.push({
        dataset: ds.name,
        x,
        shape: [mine.length, T, H, W, 3],
        labels: Int32Array.from(mine.map((c) => c.label)),
        paths: mine.map((c) => c.path),
      });
    }
    for (const c of clips) if (!c.ok && !c.closed) bad.push({ path: c.path, problem: c.problem });
    return { step, groups, bad };
  }
}
