// CoVeR's batch composition: every sample of a co-training batch comes from one of several datasets (videos and images),
// drawn with probability proportional to the dataset's size (docs/notes/cover-spec.md §2.4, confirmed by the CoVeR
// announcement; §3.0 "sampling rate proportional to dataset size"). Options: a temperature t (p_k ∝ size_k^(1/t); t = 1
// is CoVeR, t → ∞ tends to uniform) or fixed per-dataset counts per batch. Within a dataset, samples are read in a
// seeded shuffled order that is reshuffled every epoch of that dataset, so every sample is seen once per epoch.
//
// Determinism and resume: nothing is drawn from a running stream. The dataset draws of batch b come from
// createRng(seed, 'mix-draw', b) and the order of epoch e of dataset k from createRng(seed, 'mix-order', k, e), so the
// whole state is (b, per-dataset epoch and position): `state()` is small JSON, and `MixSampler.restore` continues
// exactly as an uninterrupted sampler would.

import { createRng, permutation } from '../rng';
import { CheckpointError, ConfigError, DatasetError } from '../../errors';

export interface MixDataset {
  /** The dataset (and head) name, e.g. `k400`. */
  name: string;
  /** Number of samples in its training split. */
  size: number;
}

export interface MixSamplerOptions {
  /** Samples per batch, over all datasets. */
  batchSize: number;
  seed: number;
  /** p_k ∝ size_k^(1/temperature); default 1 (proportional to size, as CoVeR). */
  temperature?: number;
  /** Fixed samples per batch for each dataset (missing names: 0); must add up to batchSize. */
  fixedCounts?: Record<string, number>;
}

/** One sample of a batch: which dataset, and which sample of it. */
export interface MixDraw {
  dataset: string;
  index: number;
}

/** Everything needed to resume a sampler exactly; plain JSON. */
export interface MixSamplerState {
  version: 1;
  seed: number;
  batchSize: number;
  /** The temperature in use (1 by default); null with fixed counts. */
  temperature: number | null;
  fixedCounts: Record<string, number> | null;
  datasets: MixDataset[];
  /** Batches produced so far. */
  batches: number;
  /** Per dataset: the epoch being read and how many of its samples that epoch has given out. */
  cursors: Record<string, { epoch: number; position: number }>;
}

/** What the run header prints per dataset. */
export interface MixShare {
  name: string;
  size: number;
  /** Probability that a sample comes from this dataset. */
  probability: number;
  /** Expected samples of this dataset per batch. */
  perBatch: number;
  /** Expected batches per epoch of this dataset (null when it is never drawn). */
  stepsPerEpoch: number | null;
}

function validate(datasets: MixDataset[], opts: MixSamplerOptions): void {
  if (datasets.length === 0) throw new ConfigError('the co-training mix has no datasets', { suggestion: 'give at least one dataset' });
  const seen = new Set<string>();
  for (const d of datasets) {
    if (seen.has(d.name)) throw new ConfigError(`dataset '${d.name}' appears twice in the mix`, { suggestion: 'list each dataset once' });
    seen.add(d.name);
    if (!Number.isInteger(d.size) || d.size < 0) throw new Error(`mix sampler: dataset '${d.name}' has size ${d.size}`);
    if (d.size === 0) {
      throw new DatasetError(`dataset '${d.name}' has no training samples`, {
        suggestion: 'check its split and manifest, or leave it out of the mix',
      });
    }
  }
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new ConfigError(`batch size ${opts.batchSize} is not a positive integer`, { suggestion: 'use e.g. --batch-size 8' });
  }
  if (!Number.isInteger(opts.seed)) throw new ConfigError(`seed ${opts.seed} is not an integer`, { suggestion: 'use e.g. --seed 0' });
  if (opts.temperature !== undefined && opts.fixedCounts !== undefined) {
    throw new ConfigError('both a sampling temperature and fixed per-dataset counts were given', {
      suggestion: 'give one of them: a temperature reweights the draws, fixed counts replace them',
    });
  }
  if (opts.temperature !== undefined && !(Number.isFinite(opts.temperature) && opts.temperature > 0)) {
    throw new ConfigError(`sampling temperature ${opts.temperature} is not a positive number`, {
      suggestion: 'use 1 for size-proportional sampling (CoVeR), larger values to flatten it',
    });
  }
  if (opts.fixedCounts !== undefined) {
    let sum = 0;
    for (const [name, n] of Object.entries(opts.fixedCounts)) {
      if (!seen.has(name)) {
        throw new ConfigError(`fixed count given for '${name}', which is not in the mix`, {
          suggestion: `use the dataset names ${[...seen].join(', ')}`,
        });
      }
      if (!Number.isInteger(n) || n < 0) {
        throw new ConfigError(`fixed count ${n} for '${name}' is not a non-negative integer`, { suggestion: 'give whole samples per batch' });
      }
      sum += n;
    }
    if (sum !== opts.batchSize) {
      throw new ConfigError(`fixed per-dataset counts add up to ${sum} but the batch size is ${opts.batchSize}`, {
        suggestion: 'make the counts add up to the batch size',
      });
    }
  }
}

function effectiveTemperature(opts: MixSamplerOptions): number | null {
  return opts.fixedCounts ? null : (opts.temperature ?? 1);
}

function isCursor(c: { epoch: number; position: number }, size: number): boolean {
  return Number.isInteger(c.epoch) && c.epoch >= 0 && Number.isInteger(c.position) && c.position >= 0 && c.position < size;
}

/**
 * p_k ∝ size_k^(1/t). Weights are taken relative to the largest dataset so a small temperature cannot overflow;
 * t = 1 uses the sizes themselves, so the shares are exact ratios.
 * @example
 * mixProbabilities([{ name: 'a', size: 300 }, { name: 'b', size: 100 }], 1) // [0.75, 0.25]
 */
export function mixProbabilities(datasets: MixDataset[], temperature = 1): number[] {
  const max = Math.max(...datasets.map((d) => d.size));
  const w = datasets.map((d) => (temperature === 1 ? d.size : (d.size / max) ** (1 / temperature)));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Per-dataset probabilities and expected samples per batch, for the run header. */
export function expectedShares(datasets: MixDataset[], opts: MixSamplerOptions): MixShare[] {
  validate(datasets, opts);
  const perBatch = opts.fixedCounts
    ? datasets.map((d) => opts.fixedCounts?.[d.name] ?? 0)
    : mixProbabilities(datasets, opts.temperature ?? 1).map((p) => p * opts.batchSize);
  return datasets.map((d, k) => ({
    name: d.name,
    size: d.size,
    probability: perBatch[k] / opts.batchSize,
    perBatch: perBatch[k],
    stepsPerEpoch: perBatch[k] > 0 ? d.size / perBatch[k] : null,
  }));
}

export class MixSampler {
  private readonly datasets: MixDataset[];
  private readonly opts: MixSamplerOptions;
  /** Cumulative draw probabilities (proportional mode). */
  private readonly cumulative: number[];
  private batches = 0;
  private readonly cursors = new Map<string, { epoch: number; position: number }>();
  /** The shuffled order of each dataset's current epoch; rebuilt from (seed, name, epoch), never saved. */
  private readonly orders = new Map<string, { epoch: number; order: number[] }>();

  constructor(datasets: MixDataset[], opts: MixSamplerOptions) {
    validate(datasets, opts);
    this.datasets = datasets.map((d) => ({ name: d.name, size: d.size }));
    this.opts = { ...opts, fixedCounts: opts.fixedCounts ? { ...opts.fixedCounts } : undefined };
    let acc = 0;
    this.cumulative = mixProbabilities(this.datasets, opts.temperature ?? 1).map((p) => (acc += p));
    for (const d of this.datasets) this.cursors.set(d.name, { epoch: 0, position: 0 });
  }

  /** Batches produced so far. */
  get batchesDone(): number {
    return this.batches;
  }

  /** Epochs read so far per dataset, fractional (e.g. `{k400: 2.25}`), for the training log. */
  epochs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.datasets) {
      const c = this.cursors.get(d.name)!;
      out[d.name] = c.epoch + c.position / d.size;
    }
    return out;
  }

  /** The next batch: batchSize draws, grouped by dataset in the constructor's order, each group in draw order. */
  next(): MixDraw[] {
    const counts = this.countsFor(this.batches);
    this.batches += 1;
    const out: MixDraw[] = [];
    this.datasets.forEach((d, k) => {
      for (let i = 0; i < counts[k]; i++) out.push({ dataset: d.name, index: this.take(d) });
    });
    return out;
  }

  state(): MixSamplerState {
    const cursors: MixSamplerState['cursors'] = {};
    for (const [name, c] of this.cursors) cursors[name] = { ...c };
    return {
      version: 1,
      seed: this.opts.seed,
      batchSize: this.opts.batchSize,
      temperature: effectiveTemperature(this.opts),
      fixedCounts: this.opts.fixedCounts ? { ...this.opts.fixedCounts } : null,
      datasets: this.datasets.map((d) => ({ ...d })),
      batches: this.batches,
      cursors,
    };
  }

  /**
   * A sampler that continues exactly where `state` left off. The datasets and options must be the ones the state was
   * made with (otherwise the continuation would not be the same run); `source` names the checkpoint in errors.
   */
  static restore(state: MixSamplerState, datasets: MixDataset[], opts: MixSamplerOptions, source?: string): MixSampler {
    const s = new MixSampler(datasets, opts);
    const fail = (what: string): never => {
      throw new CheckpointError(`the saved batch sampler ${what}`, {
        path: source,
        suggestion: 'resume with the same datasets, batch size, seed and sampling options, or start a new run',
      });
    };
    if (!state || typeof state !== 'object' || state.version !== 1) fail('has an unknown format');
    if (state.seed !== opts.seed) fail(`used seed ${state.seed}, not ${opts.seed}`);
    if (state.batchSize !== opts.batchSize) fail(`used batch size ${state.batchSize}, not ${opts.batchSize}`);
    if (state.temperature !== effectiveTemperature(opts)) fail(`used temperature ${state.temperature}, not ${effectiveTemperature(opts)}`);
    if (JSON.stringify(state.fixedCounts) !== JSON.stringify(opts.fixedCounts ?? null)) fail('used other fixed per-dataset counts');
    const was = (state.datasets ?? []).map((d) => `${d.name}:${d.size}`).join(', ');
    const now = datasets.map((d) => `${d.name}:${d.size}`).join(', ');
    if (was !== now) fail(`was made for datasets [${was}], not [${now}]`);
    if (!Number.isInteger(state.batches) || state.batches < 0) fail(`has a bad batch count ${state.batches}`);
    s.batches = state.batches;
    for (const d of s.datasets) {
      const c = state.cursors?.[d.name];
      if (!c || !isCursor(c, d.size)) return fail(`has a bad position for '${d.name}'`);
      s.cursors.set(d.name, { epoch: c.epoch, position: c.position });
    }
    return s;
  }

  /** How many samples of each dataset batch `b` takes. */
  private countsFor(b: number): number[] {
    const fixed = this.opts.fixedCounts;
    if (fixed) return this.datasets.map((d) => fixed[d.name] ?? 0);
    const counts = new Array<number>(this.datasets.length).fill(0);
    const rng = createRng(this.opts.seed, 'mix-draw', b);
    const last = this.cumulative.length - 1;
    for (let i = 0; i < this.opts.batchSize; i++) {
      const u = rng.next();
      let k = 0;
      while (k < last && u >= this.cumulative[k]) k++; // the last bucket also takes u beyond a rounded-down total
      counts[k] += 1;
    }
    return counts;
  }

  /** The next sample of dataset `d` in its current epoch's order, moving to a reshuffled next epoch at the end. */
  private take(d: MixDataset): number {
    const c = this.cursors.get(d.name)!;
    let o = this.orders.get(d.name);
    if (!o || o.epoch !== c.epoch) {
      o = { epoch: c.epoch, order: permutation(d.size, createRng(this.opts.seed, 'mix-order', d.name, c.epoch)) };
      this.orders.set(d.name, o);
    }
    const index = o.order[c.position];
    c.position += 1;
    if (c.position === d.size) {
      c.epoch += 1;
      c.position = 0;
    }
    return index;
  }
}
