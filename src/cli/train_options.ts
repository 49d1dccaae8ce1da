// Options shared by the training commands (pretrain, cotrain, transfer) and their translation into a RunConfig.

import { Command, Option } from 'commander';
import { PRESET_NAMES } from '../config/presets';
import { DEMO_SIZES } from '../data/demo/plan';
import { UsageError } from '../errors';
import { LR_SCHEDULES } from '../train/lr_schedule';
import { RUN_LIMITS as L, RunConfig, RunKind } from '../train/run_config';
import { addEngineOptions, memoryCacheOption, jsonOption } from './options';
import { MAX_NPROC } from '../dist/launcher';
import { dataArg, fixedCountsArg, intArg, maxBadArg, numArg, parseFixedCountsOrThrow, viewsArg } from './parse';
import type { AccelMode } from '../engine/accel/accel';


export interface TrainCliOptions {
  data: string[];
  preset: string;
  init?: string;
  out: string;
  steps?: number;
  epochs?: number;
  batchSize: number;
  microBatch?: number;
  optimizer: 'adamw' | 'sgd';
  lr: number;
  weightDecay?: number;
  warmup: number;
  schedule: 'cosine' | 'step' | 'constant';
  labelSmoothing: number;
  mixup: number;
  dropPath: number;
  clipGrad: number;
  seed: number;
  temperature: number;
  fixedCounts?: string;
  evalEvery: number;
  evalSamples: number;
  views: string;
  checkpointEvery: number;
  samplingRate: number;
  maxBad: number;
  concurrency: number;
  cacheDir?: string;
  memoryCache: number;
  resume?: boolean;
  overwrite?: boolean;
  demo: 'tiny' | 'small';
  demoDir?: string;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  threads?: number;
  accel: AccelMode;
  json?: boolean;
  report?: boolean;
  nproc?: number;
}

export const DEFAULT_STEPS = 2400;

/** Adds the shared training options to a command. */
export function addTrainOptions(cmd: Command, defaults: { steps?: number; lr?: number } = {}): Command {
  return addEngineOptions(cmd)
    .option('--data <NAME=[FORMAT:]PATH>', 'where a dataset is (repeatable); without any, the demo suite is used', dataArg('--data'), [])
    .addOption(new Option('--preset <name>', 'model size').choices(PRESET_NAMES).default('small'))
    .option('--init <ckpt-or-weights>', 'start from a cover checkpoint folder or a .safetensors (reference TimeSformer, timm/HF ViT, HF TimeSformer)')
    .option('--out <dir>', 'run folder: checkpoint/, log.jsonl, report.html, result.json')
    .option('--steps <n>', `optimizer steps (default ${defaults.steps ?? DEFAULT_STEPS})`, intArg('--steps', { min: 1, max: L.maxSteps }))
    .addOption(new Option('--epochs <n>', 'passes over all training samples (instead of --steps)').argParser(numArg('--epochs', { min: 0, minExclusive: true, max: L.maxEpochs })).conflicts('steps'))
    .option('--batch-size <n>', 'clips per step, over all datasets', intArg('--batch-size', { min: 1, max: L.maxBatchSize }), 8)
    .option('--micro-batch <n>', 'most clips per forward/backward pass (gradients accumulate); default = batch size', intArg('--micro-batch', { min: 1, max: L.maxBatchSize }))
    .addOption(new Option('--optimizer <name>', 'adamw, or sgd (Nesterov momentum 0.9, the TimeSformer recipe)').choices(['adamw', 'sgd']).default('adamw'))
    .option('--lr <x>', 'peak learning rate', numArg('--lr', { min: 0, minExclusive: true, max: L.maxLr }), defaults.lr ?? 5e-4)
    .option('--weight-decay <x>', 'weight decay (default: 0.05 adamw, 1e-4 sgd; never on embeddings, CLS, norms, biases)', numArg('--weight-decay', { min: 0, max: L.maxWeightDecay, note: '0 = none' }))
    .option('--warmup <n>', 'linear warmup steps', intArg('--warmup', { min: 0 }), 50)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule after warmup').choices([...LR_SCHEDULES]).default('cosine'))
    .option('--label-smoothing <x>', 'label smoothing', numArg('--label-smoothing', { min: 0, max: 1, maxExclusive: true }), 0)
    .option('--mixup <alpha>', 'mixup alpha within each dataset (0 = off)', numArg('--mixup', { min: 0, max: L.maxMixup, note: '0 = off' }), 0)
    .option('--drop-path <x>', 'stochastic depth of the last block', numArg('--drop-path', { min: 0, max: 1, maxExclusive: true }), 0.1)
    .option('--clip-grad <x>', 'clip the global gradient norm (0 = off)', numArg('--clip-grad', { min: 0, note: '0 = off' }), 1)
    .option('--seed <n>', 'seed of everything random', intArg('--seed', { min: 0, max: L.maxSeed }), 0)
    .option('--temperature <t>', 'dataset sampling p ∝ size^(1/t); 1 = proportional to size (CoVeR)', numArg('--temperature', { min: 0, minExclusive: true, max: L.maxTemperature }), 1)
    .option('--fixed-counts <k400=4,ssv2=4>', 'fixed clips per dataset in every batch, instead of sampling', fixedCountsArg('--fixed-counts'))
    .option('--eval-every <n>', 'evaluate on up to --eval-samples val clips per head every N steps (0 = only at the end)', intArg('--eval-every', { min: 0, note: '0 = only at the end' }), 100)
    .option('--eval-samples <n>', 'val clips per head in periodic evaluations', intArg('--eval-samples', { min: 1 }), 32)
    .option('--views <TxS>', 'test views of the final evaluation: temporal clips x spatial crops', viewsArg('--views'), '1x3')
    .option('--checkpoint-every <n>', 'save a checkpoint every N steps', intArg('--checkpoint-every', { min: 1 }), 50)
    .option('--sampling-rate <n>', 'frame stride of dense (Kinetics-style) sampling', intArg('--sampling-rate', { min: 1, max: L.maxSamplingRate }), 4)
    .option('--max-bad <n>', "rows the dataset reader dropped plus unreadable samples tolerated per dataset: a count, or a fraction below 1 of the split's rows", maxBadArg('--max-bad'), 0.05)
    .option('--concurrency <n>', 'decodes in flight', intArg('--concurrency', { min: 1, max: L.maxConcurrency }), 2)
    .option('--cache-dir <dir>', 'cache decoded clips on disk here')
    .addOption(memoryCacheOption())
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', "replace the run already in --out (cover's files of it only)")
    .addOption(new Option('--demo <size>', 'demo suite used when no --data is given').choices([...DEMO_SIZES]).default('small'))
    .option('--demo-dir <dir>', "the demo suite's folder (default .cover/demo/<size>)")
    .hook('preAction', (cmd) => checkTrainOptions(cmd.opts() as TrainCliOptions & { datasets?: string }))
    .addOption(jsonOption());
}

/** `--nproc N` of pretrain and cotrain (their action, train_common.ts, starts the ranks). */
export function nprocOption(): Option {
  return new Option('--nproc <n>', 'data parallel on this machine: start N ranks (torch backend), as torchrun --standalone --nproc_per_node N would').argParser(
    intArg('--nproc', { min: 1, max: MAX_NPROC }),
  );
}

export function parseFixedCounts(s: string | undefined): Record<string, number> | undefined {
  if (!s) return undefined;
  try {
    return parseFixedCountsOrThrow('--fixed-counts', s);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * What no single option's parser can see, checked before the action starts: fixed counts against the batch size and
 * the named datasets. (A resumed run takes its settings from its checkpoint, so there is nothing to check.)
 */
export function checkTrainOptions(o: TrainCliOptions & { datasets?: string }): void {
  if (o.resume || !o.fixedCounts) return;
  const counts = parseFixedCounts(o.fixedCounts)!;
  const sum = Object.values(counts).reduce((a, b) => a + b, 0);
  if (sum !== o.batchSize) {
    throw new UsageError(`--fixed-counts ${o.fixedCounts} add up to ${sum} clips but --batch-size is ${o.batchSize}`, { suggestion: 'make the counts add up to the batch size' });
  }
  const names = o.datasets?.split(',');
  const unknown = names ? Object.keys(counts).filter((n) => !names.includes(n)) : [];
  if (unknown.length > 0) {
    throw new UsageError(`--fixed-counts names '${unknown[0]}', which is not in --datasets ${o.datasets}`, { suggestion: `give counts for ${names!.join(', ')}` });
  }
}

/** The RunConfig of a command's options (datasets resolved by the caller). */
export function runConfigFrom(kind: RunKind, o: TrainCliOptions, datasets: RunConfig['datasets'], data: Record<string, string>, out: string): RunConfig {
  return {
    kind,
    datasets,
    data,
    out,
    preset: o.preset,
    init: o.init,
    steps: o.steps ?? DEFAULT_STEPS,
    epochs: o.epochs,
    batchSize: o.batchSize,
    microBatch: o.microBatch ?? o.batchSize,
    optimizer: o.optimizer,
    lr: o.lr,
    weightDecay: o.weightDecay ?? (o.optimizer === 'sgd' ? 1e-4 : 0.05),
    warmupSteps: o.warmup,
    schedule: o.schedule,
    labelSmoothing: o.labelSmoothing,
    mixup: o.mixup,
    dropPath: o.dropPath,
    clipGrad: o.clipGrad,
    seed: o.seed,
    temperature: o.temperature,
    fixedCounts: parseFixedCounts(o.fixedCounts),
    evalEvery: o.evalEvery,
    evalSamples: o.evalSamples,
    evalViews: o.views,
    checkpointEvery: o.checkpointEvery,
    freezeTemporal: kind === 'pretrain',
    samplingRate: o.samplingRate,
    mean: [0.45, 0.45, 0.45],
    std: [0.225, 0.225, 0.225],
    maxBad: o.maxBad,
    concurrency: o.concurrency,
    cacheDir: o.cacheDir,
    memoryCacheMiB: o.memoryCache,
  };
}
