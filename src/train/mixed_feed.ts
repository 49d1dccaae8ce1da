// The co-training data feed: CoVeR batches mixed from several datasets. The MixSampler decides which dataset and sample
// fill each slot of batch s (probability proportional to dataset size, seeded); every slot is decoded with its own
// random stream rng(seed, 'clip', s, slot), several decodes in flight and a few batches read ahead, and the batch is
// handed out grouped by dataset. Batch s is the same whatever the timing, and a run resumed at step s rebuilds the
// sampler by replaying s batch draws, so it continues exactly.
//
// A bad sample (missing, empty, truncated, unreadable) is dropped from its batch, counted and listed; past `maxBad` the
// run stops with a DatasetError naming the first bad files.
//
// Shapes: per group, x is [b, T, S, S, 3] (T = 1 for image datasets), labels [b].

import { DatasetError } from '../errors';
import { loadSample, SampleOptions } from '../data/loader';
import { createRng } from '../data/rng';
import { DatasetIndex } from '../data/types';
import { MixSampler, MixSamplerOptions } from './mix_sampler';

export interface FeedDataset {
  /** Head name (= dataset name). */
  name: string;
  index: DatasetIndex;
  /** Preprocessing and augmentation of this dataset's samples (training: true). */
  sample: SampleOptions;
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
  /** Bad samples tolerated over the run: a count (>= 1) or a fraction of the samples drawn (< 1); default 0.05. */
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
  private readonly badSeen = new Map<string, string>();
  private drawn = 0;
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
      this.ahead.push({ step, promise: this.load(step, this.sampler.next()) });
    }
    const { promise } = this.ahead.shift()!;
    const batch = await promise;
    for (const b of batch.bad) this.badSeen.set(b.path, b.problem);
    this.checkBad();
    return batch;
  }

  /** Bad samples seen so far (path -> problem). */
  badSamples(): Map<string, string> {
    return new Map(this.badSeen);
  }

  close(): void {
    this.closed = true;
  }

  private checkBad(): void {
    const maxBad = this.opts.maxBad ?? 0.05;
    const limit = maxBad >= 1 ? maxBad : Math.max(1, Math.ceil(maxBad * Math.max(this.drawn, 1)));
    if (this.badSeen.size > limit && this.badSeen.size > 0) {
      const first = [...this.badSeen.entries()].slice(0, 3).map(([p, why]) => `${p} (${why})`);
      throw new DatasetError(`${this.badSeen.size} unreadable samples, more than --max-bad allows (${maxBad}): ${first.join('; ')}`, {
        suggestion: 'run `cover data check` on the dataset, fix or remove the files, or raise --max-bad',
      });
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
    this.drawn += draws.length;
    const clips = await Promise.all(
      draws.map((d, slot) =>
        this.slot(async () => {
          const ds = this.byName.get(d.dataset)!;
          const sample = ds.index.samples[d.index];
          if (this.closed) return { ok: false as const, path: sample.path, problem: 'feed closed' };
          try {
            const clip = await loadSample(sample, ds.index, ds.sample, createRng(this.opts.seed, 'clip', step, slot));
            return { ok: true as const, dataset: d.dataset, clip, label: sample.label, path: sample.path };
          } catch (err) {
            if (err instanceof DatasetError || (err as { code?: string }).code === 'DECODE') {
              return { ok: false as const, path: sample.path, problem: (err as Error).message };
            }
            throw err;
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
    for (const c of clips) if (!c.ok) bad.push({ path: c.path, problem: c.problem });
    return { step, groups, bad };
  }
}
