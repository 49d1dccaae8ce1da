// The data of a training run: the train split of every dataset (labelled samples only) and its val split where there is
// one, what their readers dropped (counted by reason, checked against --max-bad before the first step), the heads and
// preprocessing they imply, and the co-training feed over the train splits (data/feed/mixed_feed.ts over data/feed/feed.ts).

import { checkDrops, describeDrops, describeLimit, DropReport, dropReport, emptyClasses } from '../data/datasets/drops';
import { openDataset } from '../data/datasets/registry';
import { Shard } from '../data/feed/shard';
import { DatasetIndex, Preprocessing } from '../data/types';
import { ModelConfig } from '../config/model_config';
import { DatasetError } from '../errors';
import { HeadInfo } from '../model/heads';
import { RunConfig } from '../run/run_config';
import { MixedFeed, MixedFeedOptions } from '../data/feed/mixed_feed';

export interface RunData {
  train: Map<string, DatasetIndex>;
  val: Map<string, DatasetIndex | null>;
  /** What the readers dropped: train and val split of each dataset (unlabelled rows included). */
  dropped: Map<string, { train: DropReport; val: DropReport | null }>;
  /** Why a dataset has no val split (the reader's one line), for the datasets that have none. */
  noVal: Map<string, string>;
}

/** Opens the train (and, where there is one, val) split of every dataset of a run. */
export async function openRunData(cfg: RunConfig): Promise<RunData> {
  const train = new Map<string, DatasetIndex>();
  const val = new Map<string, DatasetIndex | null>();
  const dropped = new Map<string, { train: DropReport; val: DropReport | null }>();
  const noVal = new Map<string, string>();
  for (const d of cfg.datasets) {
    const index = await openDataset(d.spec, { split: 'train', data: cfg.data, name: d.name });
    const labelled = index.samples.filter((s) => s.label >= 0);
    if (labelled.length === 0) {
      throw new DatasetError(`dataset '${d.name}' has no labelled training sample`, {
        path: index.root,
        suggestion: 'check the annotation files (run `cover data check`)',
      });
    }
    if (new Set(labelled.map((s) => s.kind)).size > 1) {
      throw new DatasetError(`dataset '${d.name}' mixes images and videos, which cannot share a batch`, {
        path: index.root,
        suggestion: 'split it into an image dataset and a video dataset',
      });
    }
    train.set(d.name, { ...index, samples: labelled });
    let v: DatasetIndex | null = null;
    try {
      v = await openDataset(d.spec, { split: 'val', data: cfg.data, name: d.name });
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      noVal.set(d.name, err.oneLine());
    }
    val.set(d.name, v);
    dropped.set(d.name, { train: dropReport(index, { labelledOnly: true }), val: v && dropReport(v, { labelledOnly: true }) });
  }
  return { train, val, dropped, noVal };
}

/**
 * Says what the readers dropped, and stops before the first step when a split lost more rows than --max-bad allows
 * (the same limit then covers the samples that turn out unreadable during training).
 */
export function checkRunData(data: RunData, cfg: Pick<RunConfig, 'datasets' | 'maxBad'>, log: (s: string) => void): void {
  for (const d of cfg.datasets) {
    const why = data.noVal.get(d.name);
    if (why) log(`  ${d.name}: no val split, so it is not evaluated (${why})`);
    const train = data.train.get(d.name);
    const empty = train ? emptyClasses(train) : [];
    if (train && empty.length > 0) {
      const names = empty.slice(0, 5).map((c) => train.labels[c]).join(', ');
      log(`  ${d.name}: ${empty.length} of ${train.labels.length} classes have no training sample (${names}${empty.length > 5 ? ', ...' : ''}); their head outputs are never trained`);
    }
    const drops = data.dropped.get(d.name);
    if (!drops) continue;
    for (const [report, index] of [[drops.train, data.train.get(d.name)], [drops.val, data.val.get(d.name)]] as const) {
      if (!report || !index || report.dropped === 0) continue;
      checkDrops(report, cfg.maxBad, index);
      log(`  ${d.name}: ${describeDrops(report)}, within ${describeLimit(cfg.maxBad, report.rows)}; first: ${report.examples[0]}`);
    }
  }
}

/** Every drop report of a run, train then val per dataset. */
export function dropList(data: RunData): DropReport[] {
  return [...data.dropped.values()].flatMap((d) => (d.val ? [d.train, d.val] : [d.train]));
}

export function headsFor(train: Map<string, DatasetIndex>): HeadInfo[] {
  return [...train.entries()].map(([name, index]) => ({ name, numClasses: index.labels.length, labels: [...index.labels], ...(index.displayNames ? { displayNames: [...index.displayNames] } : {}) }));
}

export function preprocessingFor(model: ModelConfig, cfg: Pick<RunConfig, 'mean' | 'std' | 'samplingRate' | 'targetFps'>): Preprocessing {
  return { mean: cfg.mean, std: cfg.std, cropSize: model.imgSize, numFrames: model.numFrames, samplingRate: cfg.samplingRate, ...(cfg.targetFps ? { targetFps: cfg.targetFps } : {}) };
}


/**
 * The co-training feed over a run's train splits: this rank's share of every batch, continuing after `resume` (the
 * sampler state a checkpoint stored) when given.
 */
export function openTrainFeed(
  data: RunData,
  cfg: RunConfig,
  preprocessing: Preprocessing,
  opts: { resume?: MixedFeedOptions['resume']; resumeSource?: string; shard?: Shard } = {},
): MixedFeed {
  return new MixedFeed(
    [...data.train.entries()].map(([name, index]) => ({
      name,
      index,
      sample: { preprocessing, training: true, augment: cfg.augment, cacheDir: cfg.cacheDir, memoryCacheBytes: (cfg.memoryCache ?? 0) * 2 ** 20 },
      droppedRows: data.dropped.get(name)?.train.dropped ?? 0,
    })),
    {
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      temperature: cfg.fixedCounts ? undefined : cfg.temperature,
      fixedCounts: cfg.fixedCounts,
      concurrency: cfg.concurrency,
      maxBad: cfg.maxBad,
      ...opts,
    },
  );
}
