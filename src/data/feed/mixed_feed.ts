// The co-training feed: CoVeR batches mixed from several datasets, read through the one data feed (feed.ts). The
// MixSampler decides which dataset and sample fill each slot of global batch s (probability proportional to dataset
// size, seeded); slot i is decoded with its own random stream rng(seed, 'clip', s, i), keyed by its place in the global
// batch, so a rank that reads slots [r*B/N, (r+1)*B/N) decodes exactly what one process reading all B would.
//
// Resume: every batch carries the sampler's state after it (`sampler`, small JSON); the trainer stores it in the
// checkpoint and a resumed feed restores the sampler from it (MixSampler.restore) instead of replaying every draw.
//
// Bad samples follow the feed's one policy (bad_samples.ts): a sample that cannot be read is left out of its
// batch, counted by reason, and past --max-bad (with the rows its reader dropped) the run stops with one DatasetError.
//
// Shapes: per group, x is [b, T, S, S, 3] (T = 1 for image datasets), labels [b].

import { BadSample } from './bad_samples';
import { Feed, FeedGroup, FeedPlan, FeedSource, FeedStats, PlannedBatch } from './feed';
import { checkEvenShares, Shard, WHOLE } from './shard';
import { MixSampler, MixSamplerOptions, MixSamplerState } from './mix_sampler';

export interface TrainBatch {
  step: number;
  /** This rank's samples that decoded, grouped by dataset. */
  groups: FeedGroup[];
  /** This rank's samples of the batch that could not be read (skipped, counted). */
  bad: BadSample[];
  /** The sampler after this batch: what a checkpoint written after this step stores. */
  sampler: MixSamplerState;
}

export interface MixedFeedOptions extends MixSamplerOptions {
  /**
   * Where to continue: the sampler state a checkpoint stored, or, for a checkpoint written before cover stored it, the
   * number of batches to replay.
   */
  resume?: MixSamplerState | { batches: number };
  /** The checkpoint the resume state comes from (named in errors). */
  resumeSource?: string;
  /** Decodes in flight (default 2). */
  concurrency?: number;
  /** Batches read ahead, the one being handed out included (default 2). */
  prefetch?: number;
  /** Dropped rows plus unreadable samples tolerated per dataset: a count (>= 1) or a fraction (< 1) of its rows. */
  maxBad?: number;
  /** This rank and the world size: the batch size must divide by the world size. */
  shard?: Shard;
}

/** The sampler's batches as feed draws. */
class MixPlan implements FeedPlan<MixSamplerState> {
  constructor(private readonly sampler: MixSampler) {}

  next(): PlannedBatch<MixSamplerState> {
    const step = this.sampler.batchesDone;
    const draws = this.sampler.next().map((d, slot) => ({ dataset: d.dataset, sampleIdx: d.index, rngKey: ['clip', step, slot] }));
    return { draws, state: this.sampler.state() };
  }
}

function openSampler(datasets: FeedSource[], opts: MixedFeedOptions): MixSampler {
  const mix = datasets.map((d) => ({ name: d.name, size: d.index.samples.length }));
  const r = opts.resume;
  if (r && 'version' in r) return MixSampler.restore(r, mix, opts, opts.resumeSource);
  const sampler = new MixSampler(mix, opts);
  for (let b = 0; b < (r?.batches ?? 0); b++) sampler.next();
  return sampler;
}

export class MixedFeed {
  private readonly feed: Feed<MixSamplerState>;

  constructor(datasets: FeedSource[], opts: MixedFeedOptions) {
    checkEvenShares(opts.batchSize, opts.shard ?? WHOLE);
    const sampler = openSampler(datasets, opts);
    this.feed = new Feed(datasets, new MixPlan(sampler), opts, sampler.batchesDone);
  }

  /** The next batch (in step order). */
  async next(): Promise<TrainBatch> {
    const b = await this.feed.next();
    if (!b) throw new Error('the co-training feed was closed');
    return { step: b.number, groups: b.groups, bad: b.bad, sampler: b.state };
  }

  /** Samples skipped so far and not decoded since. */
  badSamples(): BadSample[] {
    return this.feed.stats().bad;
  }

  /** Skipped samples per dataset (not decoded since). */
  badCounts(): Record<string, number> {
    return this.feed.badCounts();
  }

  stats(): FeedStats {
    return this.feed.stats();
  }

  close(): Promise<void> {
    return this.feed.close();
  }
}
