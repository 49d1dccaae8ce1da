// The configuration of a training run (pretrain, cotrain, fine-tune): one schema, whose defaults live in the library
// (RUN_DEFAULTS here for the mechanics of a run, recipes.ts for the training recipe, presets.ts for what depends on the
// model size). The CLI maps each option onto one field (cli/train_options.ts) and resolves the whole once
// (recipes.ts resolveRunConfig); the result is saved in every checkpoint of the run so that `--resume` continues with
// exactly the same settings.

import type { OptimizerName } from '../config/optimizer_name';
import type { TrainAugment } from '../data/types';
import { ConfigError } from '../errors';
import { LrScheduleName, validateLrSchedule } from './lr_schedule';

export type RunKind = 'pretrain' | 'cotrain' | 'finetune';

/** The named training recipes (train/recipes.ts says what each one sets). */
export type RecipeName = 'demo' | 'timesformer' | 'cover';

export interface RunDataset {
  /** Head name, e.g. `k400`. */
  name: string;
  /** What openDataset takes: a short name, `FORMAT:PATH` or a path. */
  spec: string;
}

/**
 * The settings a user chooses, one CLI option each (the flag is in RUN_FLAGS). Unset ones take the recipe's value, else
 * the preset's, else RUN_DEFAULTS (recipes.ts resolveRunConfig).
 */
export interface RunSettings {
  preset: string;
  /** Checkpoint folder or weights file (timm / HF / reference safetensors) to start from. */
  init?: string;
  steps: number;
  /** Passes over all training samples; when set, `steps` is derived from it once the datasets are open. */
  epochs?: number;
  batchSize: number;
  /**
   * Most clips per forward/backward pass (gradient accumulation above it). Unset: auto, the batch size or the largest
   * micro-batch that fits the backend's memory; the trainer fixes it before the first step and saves the number.
   */
  microBatch?: number;
  /**
   * Activation checkpointing per block (model/recompute.ts): 'off', 'blocks', or unset/'auto', recompute only when the
   * batch would not fit in one pass otherwise. The trainer fixes it before the first step and saves 'off' or 'blocks'.
   */
  recompute?: RecomputeMode;
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  /**
   * Decay every parameter, as the reference's optimizer builder does (TimeSformer models/optimizer.py: only names with
   * "bn" are spared, and ViT has none); false spares the embeddings, CLS token, norms and biases (timm's convention).
   * Absent in checkpoints written before recipes: false.
   */
  decayAll?: boolean;
  warmup: number;
  schedule: LrScheduleName;
  labelSmoothing: number;
  /** Mixup alpha (0 = off); mixes clips of the same dataset within a batch. */
  mixup: number;
  /** Stochastic depth of the last block (overrides the preset). */
  dropPath: number;
  /** Global gradient-norm clip (0 = off). */
  clipGrad: number;
  seed: number;
  /** Dataset sampling: p_k ∝ size_k^(1/temperature). */
  temperature: number;
  fixedCounts?: Record<string, number>;
  /** Evaluate every N steps on up to evalSamples validation samples per head (0 = only at the end). */
  evalEvery: number;
  evalSamples: number;
  /** Views of the final evaluation ('1x3' as CoVeR). */
  views: string;
  checkpointEvery: number;
  /** Stride of dense (Kinetics-style) sampling, in frames at targetFps (the reference's SAMPLING_RATE). */
  samplingRate: number;
  maxBad: number;
  concurrency: number;
  cacheDir?: string;
  /** In-memory whole-video cache (MiB; 0 = off): small datasets are decoded once per video. */
  memoryCache?: number;
}

export interface RunConfig extends RunSettings {
  kind: RunKind;
  datasets: RunDataset[];
  /** `--data NAME=PATH` folders. */
  data: Record<string, string>;
  /** Output folder: checkpoint/, log.jsonl, report.html. */
  out: string;
  /** The recipe the defaults came from (recipes.ts); absent in checkpoints written before recipes (they are 'demo'). */
  recipe?: RecipeName;
  /** The settings given explicitly over the recipe (RunSettings keys), in the order of RUN_FLAGS. */
  overrides?: (keyof RunSettings)[];
  /** Train only the non-temporal parameters (cover pretrain). */
  freezeTemporal: boolean;
  /**
   * The frame rate samplingRate counts in: the reference decodes at TARGET_FPS 30 (config/defaults.py) and samples
   * SAMPLING_RATE frames apart there, i.e. samplingRate × fps / 30 frames of a video at its own fps. Absent in
   * checkpoints written before it: the stride counted frames at each video's own rate.
   */
  targetFps?: number;
  /**
   * Training augmentation of MiT-style clips and images (data/types.ts TrainAugment, cover's choices). Absent in
   * checkpoints written before it: MiT clips took the test frames and images the video crop, as they still do there.
   */
  augment?: TrainAugment;
  mean: [number, number, number];
  std: [number, number, number];
}

/** --recompute: never, every block, or only when the batch would not fit in one pass without it. */
export const RECOMPUTE_MODES = ['off', 'blocks', 'auto'] as const;
export type RecomputeMode = (typeof RECOMPUTE_MODES)[number];

/** The frame rate the reference resamples every video to before sampling (DATA.TARGET_FPS). */
export const TARGET_FPS = 30;

/** The model size a run uses when none is named: trains on two CPU cores in minutes. */
export const DEFAULT_PRESET = 'small';

/** Defaults of the settings no recipe sets: how a run is carried out rather than what it learns. */
export const RUN_DEFAULTS = {
  batchSize: 8,
  seed: 0,
  evalEvery: 100,
  evalSamples: 32,
  checkpointEvery: 50,
  maxBad: 0.05,
  concurrency: 2,
  /** A dataset whose videos fit in a quarter of it is decoded once per video (the demo suite's do). */
  memoryCache: 2048,
} as const satisfies Partial<RunSettings>;

/** The CLI flag of each setting: the CLI maps one option onto one field, and errors name the flag. */
export const RUN_FLAGS: Record<keyof RunSettings, string> = {
  preset: '--preset',
  init: '--init',
  steps: '--steps',
  epochs: '--epochs',
  batchSize: '--batch-size',
  microBatch: '--micro-batch',
  recompute: '--recompute',
  optimizer: '--optimizer',
  lr: '--lr',
  weightDecay: '--weight-decay',
  decayAll: '--decay-all',
  warmup: '--warmup',
  schedule: '--schedule',
  labelSmoothing: '--label-smoothing',
  mixup: '--mixup',
  dropPath: '--drop-path',
  clipGrad: '--clip-grad',
  seed: '--seed',
  temperature: '--temperature',
  fixedCounts: '--fixed-counts',
  evalEvery: '--eval-every',
  evalSamples: '--eval-samples',
  views: '--views',
  checkpointEvery: '--checkpoint-every',
  samplingRate: '--sampling-rate',
  maxBad: '--max-bad',
  concurrency: '--concurrency',
  cacheDir: '--cache-dir',
  memoryCache: '--memory-cache',
};

/**
 * Upper bounds of a run's settings: far above any sensible value, so a value past one is a typo that would otherwise
 * end in a heap overflow, a process storm or a run that never ends. The CLI checks the same bounds when it parses.
 */
export const RUN_LIMITS = {
  maxSteps: 100_000_000,
  maxEpochs: 10_000,
  maxBatchSize: 1024,
  maxLr: 10,
  maxWeightDecay: 1,
  maxMixup: 100,
  maxTemperature: 100,
  maxSeed: 0xffffffff,
  /** Temporal clips of an evaluation's views (TimeSformer uses up to 3, SlowFast 10). */
  maxTemporalViews: 10,
  maxSamplingRate: 64,
  /** Decodes in flight (each an ffmpeg process). */
  maxConcurrency: 64,
  maxMemoryCacheMiB: 1_048_576,
} as const;

export const OPTIMIZERS: readonly OptimizerName[] = ['adamw', 'sgd'];

/**
 * Throws a ConfigError naming the first bad setting (by its CLI flag); returns the config. The trainer calls it on every
 * run, resumed ones included, so library users get the checks the CLI makes when it parses.
 */
export function validateRunConfig(c: RunConfig): RunConfig {
  const bad = (what: string, fix: string): never => {
    throw new ConfigError(what, { suggestion: fix });
  };
  const int = (flag: string, v: number, min: number, max: number, fix: string): void => {
    if (!(Number.isSafeInteger(v) && v >= min && v <= max)) bad(`${flag} ${v} is not a whole number from ${min} to ${max}`, fix);
  };
  /** [min, max], or (min, max] with above. */
  const num = (flag: string, v: number, min: number, max: number, fix: string, above = false): void => {
    if (Number.isFinite(v) && (above ? v > min : v >= min) && v <= max) return;
    const range = max === Infinity ? `of at least ${min}` : `${above ? 'above' : 'from'} ${min} ${above ? 'and at most' : 'to'} ${max}`;
    bad(`${flag} ${v} is not a number ${range}`, fix);
  };
  const L = RUN_LIMITS;
  if (c.datasets.length === 0) bad('no dataset to train on', 'name datasets with --datasets (e.g. k400,ssv2)');
  const names = new Set<string>();
  for (const d of c.datasets) {
    if (names.has(d.name)) bad(`dataset '${d.name}' is listed twice`, 'name each dataset once');
    names.add(d.name);
  }
  int('--steps', c.steps, 1, L.maxSteps, 'give --steps N with N >= 1');
  if (c.epochs !== undefined) num('--epochs', c.epochs, 0, L.maxEpochs, 'give a number of passes such as 1 or 0.5, or --steps instead', true);
  int('--batch-size', c.batchSize, 1, L.maxBatchSize, 'give --batch-size N, e.g. 8');
  if (c.microBatch !== undefined) int('--micro-batch', c.microBatch, 1, L.maxBatchSize, 'give --micro-batch N with N >= 1');
  if (c.recompute !== undefined && !RECOMPUTE_MODES.includes(c.recompute)) bad(`--recompute '${String(c.recompute)}' is not one of ${RECOMPUTE_MODES.join(', ')}`, 'use off, blocks or auto');
  if (!OPTIMIZERS.includes(c.optimizer)) bad(`--optimizer '${c.optimizer}' is not one of ${OPTIMIZERS.join(', ')}`, 'use adamw or sgd');
  num('--lr', c.lr, 0, L.maxLr, 'give a learning rate such as 1e-3', true);
  num('--weight-decay', c.weightDecay, 0, L.maxWeightDecay, 'use e.g. 0.05 (adamw) or 1e-4 (sgd), 0 for none');
  int('--warmup', c.warmup, 0, Number.MAX_SAFE_INTEGER, 'give a number of steps such as 50, or 0');
  if (!(Number.isFinite(c.labelSmoothing) && c.labelSmoothing >= 0 && c.labelSmoothing < 1)) bad(`--label-smoothing ${c.labelSmoothing} is not in [0, 1)`, 'use e.g. 0.1');
  num('--mixup', c.mixup, 0, L.maxMixup, 'use 0 (off) or an alpha such as 0.2');
  if (!(Number.isFinite(c.dropPath) && c.dropPath >= 0 && c.dropPath < 1)) bad(`--drop-path ${c.dropPath} is not in [0, 1)`, 'use e.g. 0.1');
  num('--clip-grad', c.clipGrad, 0, Infinity, 'use 0 (off) or a norm such as 1');
  int('--seed', c.seed, 0, L.maxSeed, 'use e.g. --seed 0');
  num('--temperature', c.temperature, 0, L.maxTemperature, 'use 1 for proportional to size', true);
  if (c.fixedCounts) {
    let sum = 0;
    for (const [name, n] of Object.entries(c.fixedCounts)) {
      if (!names.has(name)) bad(`--fixed-counts names '${name}', which is not a dataset of the run`, `use the dataset names ${[...names].join(', ')}`);
      int(`--fixed-counts ${name}=`, n, 0, L.maxBatchSize, 'give whole clips per batch');
      sum += n;
    }
    if (sum !== c.batchSize) bad(`--fixed-counts add up to ${sum} but --batch-size is ${c.batchSize}`, 'make the counts add up to the batch size');
  }
  int('--eval-every', c.evalEvery, 0, Number.MAX_SAFE_INTEGER, 'give a number of steps, or 0 to evaluate only at the end');
  int('--eval-samples', c.evalSamples, 1, Number.MAX_SAFE_INTEGER, 'give a number of val clips per head, e.g. 32');
  const views = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(c.views ?? '');
  if (!views || !(Number(views[1]) >= 1 && Number(views[1]) <= L.maxTemporalViews) || (views[2] !== '1' && views[2] !== '3')) {
    bad(`--views '${c.views}' is not TxS with T from 1 to ${L.maxTemporalViews} and S 1 or 3`, "use e.g. '1x3' (the CoVeR protocol) or '1x1'");
  }
  int('--checkpoint-every', c.checkpointEvery, 1, Number.MAX_SAFE_INTEGER, 'give a number of steps');
  int('--sampling-rate', c.samplingRate, 1, L.maxSamplingRate, 'use e.g. 32 (frames at 30 fps, the reference for 8x224)');
  if (c.targetFps !== undefined) num('targetFps', c.targetFps, 0, 1000, 'use 30, the reference', true);
  if (c.augment !== undefined && !(['segments', 'fixed'].includes(c.augment?.uniform) && ['inception', 'video'].includes(c.augment?.images))) {
    bad(`augment ${JSON.stringify(c.augment)} is not { uniform: 'segments' | 'fixed', images: 'inception' | 'video' }`, "leave it out for cover's default");
  }
  if (c.decayAll !== undefined && typeof c.decayAll !== 'boolean') bad(`--decay-all ${String(c.decayAll)} is not true or false`, 'give --decay-all or --no-decay-all');
  if (!(Number.isFinite(c.maxBad) && c.maxBad >= 0 && (c.maxBad < 1 || Number.isSafeInteger(c.maxBad)))) {
    bad(`--max-bad ${c.maxBad} is not a fraction in [0, 1) or a whole count`, 'use e.g. 0.05 (5%) or 10');
  }
  int('--concurrency', c.concurrency, 1, L.maxConcurrency, 'use e.g. 2');
  if (c.memoryCache !== undefined) num('--memory-cache', c.memoryCache, 0, L.maxMemoryCacheMiB, 'give MiB such as 2048, or 0 for off');
  // The schedule the trainer builds: warm-up never longer than the run.
  validateLrSchedule({ base: c.lr, warmupSteps: Math.min(c.warmup, c.steps), totalSteps: c.steps, schedule: c.schedule });
  return c;
}

/**
 * Settings whose field had another name than its option before one name per setting (cover 0.1.0 checkpoints written
 * before 2026-12-05): a saved run is read under the new names, so that it still resumes and compares.
 */
const RENAMED_SETTINGS: Record<string, keyof RunSettings> = { warmupSteps: 'warmup', evalViews: 'views', memoryCacheMiB: 'memoryCache' };

/** A checkpoint's saved run config (`extra.run.config`) under today's setting names. */
export function savedRunConfig(saved: RunConfig): RunConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(saved)) out[RENAMED_SETTINGS[k] ?? k] = v;
  if (Array.isArray(out.overrides)) out.overrides = (out.overrides as string[]).map((k) => RENAMED_SETTINGS[k] ?? k);
  return out as unknown as RunConfig;
}
