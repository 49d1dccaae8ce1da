// Batches over one dataset split, in order: what `cover eval` and the periodic evaluations read, as an async iterator
// over the one data feed (feed.ts), whose plan here is the split's positions 0, 1, 2, ... over the epochs (position p is
// epoch floor(p/N), sample order_epoch[p mod N]; 'sequential' keeps the index order, 'shuffle' draws a seeded order per
// epoch). Every random choice for a sample comes from rng(seed, 'sample', epoch, sample index), so concurrency 1 or 8,
// a slow disk, or a resume with `startAt` (the `position` of the last batch consumed) all give the same batches.
//
// With a shard (rank r of `world`), each global batch holds batchSize x world positions and the rank reads its
// contiguous share of them (shard.ts): the ranks' batches together are every sample of the split, once.
//
// Bad samples follow the feed's one policy (bad_samples.ts): skipped, counted by reason, and past `maxBad` (with the
// rows the reader dropped) one DatasetError. A batch whose samples were all skipped is not handed out.
//
// Shapes: B samples per batch, V views per sample (1 in training, temporal x spatial at test), T frames (1 for images),
// S crop size; x is [B*V, T, S, S, 3], sample-major (the V views of sample b are rows b*V .. b*V+V-1).

import { DatasetError, UsageError } from '../../errors';
import { BadReason } from './bad_samples';
import { DecodedClips, Feed, FeedPlan, PlannedBatch } from './feed';
import { createRng, permutation } from '../rng';
import { SampleOptions } from '../decode/sample_decode';
import { parseViews } from '../decode/sampling';
import { Shard, WHOLE } from './shard';
import { DatasetIndex } from '../types';

export interface LoaderOptions extends SampleOptions {
  batchSize: number;
  seed: number;
  /** Decodes in flight (default 2: one per core on the reference machine). */
  concurrency?: number;
  /** Batches decoded ahead, the one being handed out included (default 2). */
  prefetch?: number;
  /**
   * Dropped rows (`droppedRows`) plus unreadable samples tolerated: a count (>= 1) or a fraction (< 1) of the split's
   * rows (samples + dropped rows); default 0.05, as --max-bad.
   */
  maxBad?: number;
  /** 'shuffle' (default in training) draws a new seeded order each epoch; 'sequential' (default otherwise) keeps the index order. */
  epochOrder?: 'shuffle' | 'sequential';
  /** Samples already consumed (a batch's `position`), to resume exactly where a run stopped. */
  startAt?: number;
  /** Passes over the index (default 1; Infinity for an endless training stream). Batches may span two epochs. */
  epochs?: number;
  /** Rows the dataset reader dropped (missing files, unknown labels, bad lines): they count against maxBad. */
  droppedRows?: number;
  /** This process's rank and the world size (default one process): the rank reads its share of every batch. */
  shard?: Shard;
}

export interface Batch extends DecodedClips {
  /** Epoch of the batch's first sample. */
  epoch: number;
  /** Positions consumed once this batch is (every rank's, bad ones included): pass it as `startAt` to resume after it. */
  position: number;
}

export interface LoaderStats {
  /** Clips decoded by ffmpeg or sharp (cache misses). */
  decoded: number;
  cacheHits: number;
  /** Samples whose clips were cut from a whole video held in memory (memory_cache.ts). */
  memoryHits: number;
  /** Decodes where the video ended early and the last frame was repeated. */
  padded: number;
  bad: { count: number; paths: string[]; problems: string[]; byReason: Record<BadReason, number> };
  /** Retries of temporary failures (EAGAIN, EMFILE, timeouts), successful or not. */
  retries: number;
  /** Of the bad samples, those whose last failure was temporary (skipped this time, decoded again when next drawn). */
  transient: number;
  /** Samples delivered in batches. */
  delivered: number;
  /** Samples delivered per second of wall time since the first batch was asked for. */
  clipsPerSec: number;
  position: number;
}

export interface Loader extends AsyncIterableIterator<Batch> {
  stats(): LoaderStats;
  /** Stop: kills the decodes in flight. Called by `for await` on break. */
  close(): Promise<void>;
}

/** The plan's position: positions consumed and the epoch of the last batch's first sample. */
interface SequenceState {
  position: number;
  epoch: number;
}

/** The split's positions in order, `batchSize x world` per global batch. */
class SequencePlan implements FeedPlan<SequenceState> {
  private readonly n: number;
  private readonly end: number;
  private readonly orders = new Map<number, number[]>();

  constructor(
    private readonly opts: LoaderOptions,
    private readonly dataset: string,
    n: number,
    private position: number,
    private readonly globalBatch: number,
  ) {
    this.n = n;
    const epochs = opts.epochs ?? 1;
    this.end = epochs === Infinity ? Infinity : n * epochs;
  }

  next(): PlannedBatch<SequenceState> | null {
    if (this.position >= this.end) return null;
    const first = this.position;
    const last = Math.min(this.end, first + this.globalBatch);
    const draws = [];
    for (let p = first; p < last; p++) {
      const epoch = Math.floor(p / this.n);
      const sampleIdx = this.orderOf(epoch)[p % this.n];
      draws.push({ dataset: this.dataset, sampleIdx, rngKey: ['sample', epoch, sampleIdx] });
    }
    this.position = last;
    return { draws, state: { position: last, epoch: Math.floor(first / this.n) } };
  }

  private orderOf(epoch: number): number[] {
    let order = this.orders.get(epoch);
    if (!order) {
      const shuffle = (this.opts.epochOrder ?? (this.opts.training ? 'shuffle' : 'sequential')) === 'shuffle';
      order = shuffle ? permutation(this.n, createRng(this.opts.seed, 'order', epoch)) : [...Array(this.n).keys()];
      this.orders.set(epoch, order);
      for (const e of this.orders.keys()) if (e < epoch - 1) this.orders.delete(e);
    }
    return order;
  }
}

class DataLoader implements Loader {
  private readonly feed: Feed<SequenceState>;
  private position: number;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(index: DatasetIndex, opts: LoaderOptions) {
    const shard = opts.shard ?? WHOLE;
    this.position = opts.startAt ?? 0;
    const plan = new SequencePlan(opts, index.name, index.samples.length, this.position, opts.batchSize * shard.world);
    this.feed = new Feed([{ name: index.name, index, sample: opts, droppedRows: opts.droppedRows }], plan, opts);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  stats(): LoaderStats {
    const s = this.feed.stats();
    return {
      decoded: s.decoded,
      cacheHits: s.cacheHits,
      memoryHits: s.memoryHits,
      padded: s.padded,
      bad: {
        count: s.bad.length,
        paths: s.bad.map((b) => b.path),
        problems: s.bad.map((b) => b.problem),
        byReason: s.badByReason,
      },
      retries: s.retries,
      transient: s.bad.filter((b) => b.reason === 'temporary').length,
      delivered: s.delivered,
      clipsPerSec: s.clipsPerSec,
      position: this.position,
    };
  }

  /** Calls are served one after the other, so a consumer may ask for the next batch before the last one arrived. */
  next(): Promise<IteratorResult<Batch>> {
    const r = this.queue.then(() => this.nextInOrder());
    this.queue = r.catch(() => undefined);
    return r;
  }

  async return(): Promise<IteratorResult<Batch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.feed.close();
  }

  private async nextInOrder(): Promise<IteratorResult<Batch>> {
    try {
      for (;;) {
        if (this.closed) return { done: true, value: undefined };
        const b = await this.feed.next();
        if (!b) {
          await this.close();
          return { done: true, value: undefined };
        }
        this.position = b.state.position;
        const g = b.groups[0];
        if (!g) continue; // every sample of this rank's share was skipped (and counted)
        return {
          done: false,
          value: { x: g.x, shape: g.shape, views: g.views, labels: g.labels, paths: g.paths, sampleIdx: g.sampleIdx, epoch: b.state.epoch, position: b.state.position },
        };
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }
}

function checkOptions(index: DatasetIndex, opts: LoaderOptions): void {
  const where = { path: index.root };
  if (index.samples.length === 0) {
    throw new DatasetError(`dataset '${index.name}' (${index.split}) has no samples`, {
      ...where,
      suggestion: 'check the dataset root and split',
    });
  }
  const kinds = new Set(index.samples.map((s) => s.kind));
  if (kinds.size > 1) {
    throw new DatasetError(`dataset '${index.name}' mixes images and videos, which cannot share a batch`, {
      ...where,
      suggestion: 'split it into an image dataset and a video dataset',
    });
  }
  const positive = (name: string, v: number | undefined, allowInf = false): void => {
    if (v !== undefined && !(v > 0 && (Number.isInteger(v) || (allowInf && v === Infinity)))) {
      throw new UsageError(`${name} must be a whole number >= 1, got ${v}`, { suggestion: `pass a positive ${name}` });
    }
  };
  positive('batchSize', opts.batchSize);
  positive('concurrency', opts.concurrency);
  positive('prefetch', opts.prefetch);
  positive('epochs', opts.epochs, true);
  if (opts.startAt !== undefined && !(Number.isInteger(opts.startAt) && opts.startAt >= 0)) {
    throw new UsageError(`startAt must be a whole number >= 0, got ${opts.startAt}`, { suggestion: 'pass the position of a batch' });
  }
  if (opts.maxBad !== undefined && !(opts.maxBad >= 0)) {
    throw new UsageError(`maxBad must be >= 0, got ${opts.maxBad}`, { suggestion: 'pass a count (>= 1) or a fraction (< 1)' });
  }
}

/**
 * Batches over a dataset index, decoded `concurrency` at a time and read ahead by `prefetch` batches.
 * @example
 * const loader = createLoader(index, {preprocessing, training: true, batchSize: 8, seed: 0, epochs: Infinity});
 * for await (const batch of loader) { batch.shape; // [8, 8, 224, 224, 3]
 *   ...; if (done) break; }
 * loader.stats() // { decoded: 64, cacheHits: 0, padded: 0, bad: { count: 0, paths: [] }, clipsPerSec: 19.8, ... }
 */
export function createLoader(index: DatasetIndex, opts: LoaderOptions): Loader {
  checkOptions(index, opts);
  if (!opts.training) parseViews(opts.views ?? '1x1'); // fail on a bad spec now, not at the first batch
  return new DataLoader(index, opts);
}
