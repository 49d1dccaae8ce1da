// The one data feed of training and evaluation: a plan says which samples make up each global batch (the co-training
// mix in training, the split's samples in order at evaluation); the feed takes this rank's share of every batch
// (shard.ts, the only place data is split by rank), decodes it a few samples at a time with a bounded read-ahead, and
// hands the batches out in plan order, grouped by dataset. One SampleContext per dataset (its caches and counters)
// lives as long as the feed.
//
// Determinism: every row's random stream is keyed by its global position (the plan's `rngKey`), never by the order the
// decodes finish or by the rank, so batch b is the same whatever the concurrency, the timing or the world size, and the
// union of the ranks' shares is the one-process batch. A resume is the plan's state stored with the batch (`state`),
// not a replay of the draws.
//
// Bad samples follow bad_samples.ts: skipped (the batch is handed out without them), counted by reason when the batch
// is handed out, and past --max-bad the feed stops with one DatasetError. Only the machine running out (memory, the
// backend gone) stops it otherwise. A read-ahead decode never rejects while nobody awaits it, so a failure is reported
// in its batch's turn (or never, after close), not as an unhandled rejection that would end the process.
//
// Shapes: per group, x is [b*V, T, S, S, 3] (V views per sample: 1 in training; T = 1 for images), labels [b].

import { DatasetError } from '../../errors';
import { BadReason, BadSample, BadSamples, badReason, DEFAULT_MAX_BAD } from './bad_samples';
import { isFatalForRun } from '../decode/retry';
import { createRng } from '../rng';
import { decodeSampleRetrying, SampleContext, SampleOptions, sampleProblem, viewCount, ViewSource, writeViews } from '../decode/sample_decode';
import { checkShard, Shard, shareOf, WHOLE } from './shard';
import { DatasetIndex } from '../types';

export interface FeedSource {
  /** Dataset (and head) name. */
  name: string;
  index: DatasetIndex;
  /** Preprocessing, augmentation and caches of this dataset's samples. */
  sample: SampleOptions;
  /** Rows the dataset reader dropped: they count against --max-bad with the unreadable samples. */
  droppedRows?: number;
}

/** One row of a global batch. */
export interface Draw {
  dataset: string;
  /** Index into the dataset's DatasetIndex.samples. */
  sampleIdx: number;
  /** The row's random stream after the seed, keyed by its global position (e.g. ['clip', step, slot]). */
  rngKey: Array<string | number>;
}

export interface PlannedBatch<S> {
  /** The whole global batch, as one process would read it. */
  draws: Draw[];
  /** The plan's position once this batch is drawn: a plan restored from it continues with the next batch. */
  state: S;
}

/** Decides the global batches; pure in (seed, its state), so every rank draws the same ones. */
export interface FeedPlan<S> {
  /** The next global batch, or null when the plan is done. */
  next(): PlannedBatch<S> | null;
}

export interface FeedOptions {
  seed: number;
  /** Decodes in flight (default 2: one per core on the reference machine). */
  concurrency?: number;
  /** Batches decoded ahead, the one being handed out included (default 2). */
  prefetch?: number;
  /** Dropped rows plus unreadable samples tolerated per dataset: a count (>= 1) or a fraction (< 1) of its rows. */
  maxBad?: number;
  /** This process's rank and the world size (default one process). */
  shard?: Shard;
}

/** Decoded samples of one dataset, ready for the model. */
export interface DecodedClips {
  /** [b*V, T, S, S, 3] float32, normalised, sample-major (sample i's views are rows i*V .. i*V+V-1). */
  x: Float32Array;
  shape: [number, number, number, number, 3];
  /** Views per sample (V). */
  views: number;
  /** [b] class ids (-1 for unlabelled splits). */
  labels: Int32Array;
  paths: string[];
  /** Index into DatasetIndex.samples of each sample. */
  sampleIdx: number[];
}

export interface FeedGroup extends DecodedClips {
  dataset: string;
  /** Row of each sample in the global batch. */
  rows: number[];
}

export interface FeedBatch<S> {
  /** The batch's number in the plan, from 0 (a resumed plan goes on counting). */
  number: number;
  /** This rank's samples that decoded, grouped by dataset in the sources' order, each group in row order. */
  groups: FeedGroup[];
  /** This rank's samples of the batch that were skipped. */
  bad: BadSample[];
  /** The rows [start, end) of the global batch this rank read. */
  share: [number, number];
  /** Size of the global batch. */
  globalSize: number;
  /** The plan's state after this batch: store it to resume after this batch. */
  state: S;
}

export interface FeedStats {
  /** Clips decoded by ffmpeg or sharp (cache misses). */
  decoded: number;
  cacheHits: number;
  /** Samples cut from a whole video held in memory (memory_cache.ts). */
  memoryHits: number;
  /** Decodes where the video ended early and the last frame was repeated. */
  padded: number;
  /** Retries of temporary failures (EAGAIN, EMFILE, timeouts), successful or not. */
  retries: number;
  /** Skipped samples not decoded since, in the order they were first counted. */
  bad: BadSample[];
  badByReason: Record<BadReason, number>;
  /** Samples handed out in batches. */
  delivered: number;
  /** Samples handed out per second of wall time since the first batch was asked for. */
  clipsPerSec: number;
}

type Outcome =
  | { ok: true; views: ViewSource[] }
  | { ok: false; problem: string; reason: BadSample['reason'] }
  | { ok: false; fatal: unknown };

interface Item {
  draw: Draw;
  row: number;
  launched: boolean;
  done: Promise<Outcome>;
  settle: (o: Outcome) => void;
}

interface Pending<S> {
  number: number;
  planned: PlannedBatch<S>;
  share: [number, number];
  items: Item[];
}

interface Dataset {
  source: FeedSource;
  ctx: SampleContext;
}

export class Feed<S> {
  private readonly datasets: Map<string, Dataset>;
  private readonly bad: BadSamples;
  private readonly shard: Shard;
  private readonly concurrency: number;
  private readonly prefetch: number;
  private readonly abort = new AbortController();
  private readonly queue: Pending<S>[] = [];
  private planned = 0;
  private planDone = false;
  private inFlight = 0;
  private delivered = 0;
  private startedAt = 0;
  private closed = false;

  constructor(
    sources: FeedSource[],
    private readonly plan: FeedPlan<S>,
    private readonly opts: FeedOptions,
    /** Number of the plan's next batch (a resumed plan's batches already drawn). */
    firstNumber = 0,
  ) {
    this.shard = checkShard(opts.shard ?? WHOLE);
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.prefetch = Math.max(1, opts.prefetch ?? 2);
    this.planned = firstNumber;
    this.datasets = new Map(sources.map((s) => [s.name, { source: s, ctx: new SampleContext(s.index, s.sample, this.abort.signal) }]));
    this.bad = new BadSamples(
      sources.map((s) => ({ dataset: s.name, root: s.index.root, samples: s.index.samples.length, droppedRows: s.droppedRows ?? 0 })),
      opts.maxBad ?? DEFAULT_MAX_BAD,
    );
  }

  /** The next batch in plan order, or null once the plan is done (or the feed closed). */
  async next(): Promise<FeedBatch<S> | null> {
    if (this.closed) return null;
    if (!this.startedAt) this.startedAt = Date.now();
    this.fill();
    const head = this.queue[0];
    if (!head) return null;
    this.pump();
    const outcomes: Outcome[] = [];
    for (const item of head.items) outcomes.push(await item.done);
    this.queue.shift();
    this.fill();
    this.pump();
    if (this.closed) return null;
    const fatal = outcomes.find((o): o is { ok: false; fatal: unknown } => !o.ok && 'fatal' in o);
    if (fatal) throw fatal.fatal;

    const bad: BadSample[] = [];
    head.items.forEach((item, i) => {
      const o = outcomes[i];
      const { dataset, sampleIdx } = item.draw;
      if (o.ok) return this.bad.decoded(dataset, sampleIdx);
      if ('fatal' in o) return;
      const b: BadSample = { dataset, sampleIdx, path: this.sample(item.draw).path, reason: o.reason, problem: o.problem };
      bad.push(b);
      this.bad.count(b); // throws past --max-bad
    });
    const groups = this.assemble(head.items, outcomes);
    this.delivered += groups.reduce((n, g) => n + g.labels.length, 0);
    return { number: head.number, groups, bad, share: head.share, globalSize: head.planned.draws.length, state: head.planned.state };
  }

  stats(): FeedStats {
    const ctxs = [...this.datasets.values()].map((d) => d.ctx);
    const sum = (f: (c: SampleContext) => number): number => ctxs.reduce((n, c) => n + f(c), 0);
    const secs = this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0;
    return {
      decoded: sum((c) => c.decoded),
      cacheHits: sum((c) => c.cacheHits),
      memoryHits: sum((c) => c.memoryHits),
      padded: sum((c) => c.padded),
      retries: sum((c) => c.retries),
      bad: this.bad.list(),
      badByReason: this.bad.byReason(),
      delivered: this.delivered,
      clipsPerSec: secs > 0 ? this.delivered / secs : 0,
    };
  }

  /** Skipped samples per dataset (not decoded since). */
  badCounts(): Record<string, number> {
    return this.bad.counts();
  }

  /** Stops: kills the decodes in flight and waits for them to end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    const items = this.queue.flatMap((p) => p.items);
    for (const i of items) if (!i.launched) i.settle({ ok: false, fatal: new Error('feed closed') }); // a waiting next() returns
    await Promise.allSettled(items.map((i) => i.done));
  }

  private sample(d: Draw) {
    return this.datasets.get(d.dataset)!.source.index.samples[d.sampleIdx];
  }

  /** Draws global batches until `prefetch` are queued, keeping this rank's share of each. */
  private fill(): void {
    while (!this.planDone && this.queue.length < this.prefetch) {
      const planned = this.plan.next();
      if (!planned) {
        this.planDone = true;
        break;
      }
      const share = shareOf(planned.draws.length, this.shard);
      const items = planned.draws.slice(share[0], share[1]).map((draw, i) => {
        let settle!: (o: Outcome) => void;
        const done = new Promise<Outcome>((r) => (settle = r));
        return { draw, row: share[0] + i, launched: false, done, settle };
      });
      this.queue.push({ number: this.planned++, planned, share, items });
    }
  }

  /** Launches decodes in row order over the queued batches, at most `concurrency` at once. */
  private pump(): void {
    for (const p of this.queue) {
      for (const item of p.items) {
        if (this.closed || this.inFlight >= this.concurrency) return;
        if (item.launched) continue;
        item.launched = true;
        this.inFlight++;
        void this.load(item.draw).then((o) => {
          this.inFlight--;
          item.settle(o);
          this.pump();
        });
      }
    }
  }

  /** Decodes one row; never rejects (a failure is an outcome, reported in the batch's turn). */
  private async load(d: Draw): Promise<Outcome> {
    const known = this.bad.knownBad(d.dataset, d.sampleIdx);
    if (known) return { ok: false, ...known };
    const { source, ctx } = this.datasets.get(d.dataset)!;
    const sample = source.index.samples[d.sampleIdx];
    try {
      return { ok: true, views: await decodeSampleRetrying(sample, ctx, createRng(this.opts.seed, ...d.rngKey)) };
    } catch (err) {
      // One sample's failure, whatever it is, skips that sample; the machine running out or the feed closing stops.
      if (this.closed || isFatalForRun(err)) return { ok: false, fatal: err };
      const reason = badReason(err);
      const problem = sampleProblem(sample, err);
      this.bad.failed(d.dataset, d.sampleIdx, reason, problem);
      return { ok: false, problem, reason };
    }
  }

  private assemble(items: Item[], outcomes: Outcome[]): FeedGroup[] {
    const groups: FeedGroup[] = [];
    for (const { source, ctx } of this.datasets.values()) {
      const mine = items
        .map((item, i) => ({ item, o: outcomes[i] }))
        .filter((x): x is { item: Item; o: { ok: true; views: ViewSource[] } } => x.o.ok && x.item.draw.dataset === source.name);
      if (mine.length === 0) continue;
      const V = ctx.viewCount;
      const T = mine[0].o.views[0].frames.frames;
      const S = source.sample.preprocessing.cropSize;
      const per = T * S * S * 3;
      const odd = mine.find((m) => viewCount(m.o.views) !== V || m.o.views.some((v) => v.frames.frames !== T));
      if (odd) {
        const other = odd.o.views[0].frames.frames;
        throw new DatasetError(`dataset '${source.name}' gives clips of different shapes ([${T},${S},${S},3] and [${other},${S},${S},3]): images and videos cannot share a batch`, {
          path: source.index.root,
          suggestion: 'split it into an image dataset and a video dataset',
        });
      }
      const x = new Float32Array(mine.length * V * per); // [b*V, T, S, S, 3]
      mine.forEach((m, b) => writeViews(m.o.views, ctx.lut, x, b * V * per));
      const samples = mine.map((m) => source.index.samples[m.item.draw.sampleIdx]);
      groups.push({
        dataset: source.name,
        x,
        shape: [mine.length * V, T, S, S, 3],
        views: V,
        labels: Int32Array.from(samples.map((s) => s.label)),
        paths: samples.map((s) => s.path),
        sampleIdx: mine.map((m) => m.item.draw.sampleIdx),
        rows: mine.map((m) => m.item.row),
      });
    }
    return groups;
  }
}
