// Options shared by the training commands (pretrain, cotrain, transfer) and their translation into a RunConfig.

import { Command, Option } from 'commander';
import { PRESET_NAMES } from '../config/presets';
import { DEMO_SIZES } from '../data/demo/plan';
import { UsageError } from '../errors';
import { LR_SCHEDULES } from '../train/lr_schedule';
import { RunConfig, RunKind } from '../train/run_config';
import { addEngineOptions, memoryCacheOption, jsonOption, parsePositiveInt } from './options';
import type { AccelMode } from '../engine/accel/accel';

const num = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} takes a number, got '${v}'`);
  return n;
};
const collect = (v: string, prev: string[]) => [...prev, v];

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
}

export const DEFAULT_STEPS = 2400;

/** Adds the shared training options to a command. */
export function addTrainOptions(cmd: Command, defaults: { steps?: number; lr?: number } = {}): Command {
  return addEngineOptions(cmd)
    .option('--data <NAME=[FORMAT:]PATH>', 'where a dataset is (repeatable); without any, the demo suite is used', collect, [])
    .addOption(new Option('--preset <name>', 'model size').choices(PRESET_NAMES).default('small'))
    .option('--init <ckpt-or-weights>', 'start from a cover checkpoint folder or a .safetensors (reference TimeSformer, timm/HF ViT, HF TimeSformer)')
    .option('--out <dir>', 'run folder: checkpoint/, log.jsonl, report.html, result.json')
    .option('--steps <n>', `optimizer steps (default ${defaults.steps ?? DEFAULT_STEPS})`, parsePositiveInt('--steps'))
    .option('--epochs <n>', 'passes over all training samples (instead of --steps)', num('--epochs'))
    .option('--batch-size <n>', 'clips per step, over all datasets', parsePositiveInt('--batch-size'), 8)
    .option('--micro-batch <n>', 'most clips per forward/backward pass (gradients accumulate); default = batch size', parsePositiveInt('--micro-batch'))
    .addOption(new Option('--optimizer <name>', 'adamw, or sgd (Nesterov momentum 0.9, the TimeSformer recipe)').choices(['adamw', 'sgd']).default('adamw'))
    .option('--lr <x>', 'peak learning rate', num('--lr'), defaults.lr ?? 5e-4)
    .option('--weight-decay <x>', 'weight decay (default: 0.05 adamw, 1e-4 sgd; never on embeddings, CLS, norms, biases)', num('--weight-decay'))
    .option('--warmup <n>', 'linear warmup steps', num('--warmup'), 50)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule after warmup').choices([...LR_SCHEDULES]).default('cosine'))
    .option('--label-smoothing <x>', 'label smoothing', num('--label-smoothing'), 0)
    .option('--mixup <alpha>', 'mixup alpha within each dataset (0 = off)', num('--mixup'), 0)
    .option('--drop-path <x>', 'stochastic depth of the last block', num('--drop-path'), 0.1)
    .option('--clip-grad <x>', 'clip the global gradient norm (0 = off)', num('--clip-grad'), 1)
    .option('--seed <n>', 'seed of everything random', num('--seed'), 0)
    .option('--temperature <t>', 'dataset sampling p ∝ size^(1/t); 1 = proportional to size (CoVeR)', num('--temperature'), 1)
    .option('--fixed-counts <k400=4,ssv2=4>', 'fixed clips per dataset in every batch, instead of sampling')
    .option('--eval-every <n>', 'evaluate on up to --eval-samples val clips per head every N steps (0 = only at the end)', num('--eval-every'), 100)
    .option('--eval-samples <n>', 'val clips per head in periodic evaluations', num('--eval-samples'), 32)
    .option('--views <TxS>', 'test views of the final evaluation: temporal clips x spatial crops', '1x3')
    .option('--checkpoint-every <n>', 'save a checkpoint every N steps', parsePositiveInt('--checkpoint-every'), 50)
    .option('--sampling-rate <n>', 'frame stride of dense (Kinetics-style) sampling', parsePositiveInt('--sampling-rate'), 4)
    .option('--max-bad <n>', 'unreadable samples tolerated: a count, or a fraction below 1', num('--max-bad'), 0.05)
    .option('--concurrency <n>', 'decodes in flight', parsePositiveInt('--concurrency'), 2)
    .option('--cache-dir <dir>', 'cache decoded clips on disk here')
    .addOption(memoryCacheOption())
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', "replace the run already in --out (cover's files of it only)")
    .addOption(new Option('--demo <size>', 'demo suite used when no --data is given').choices([...DEMO_SIZES]).default('small'))
    .option('--demo-dir <dir>', "the demo suite's folder (default .cover/demo/<size>)")
    .addOption(jsonOption());
}

export function parseFixedCounts(s: string | undefined): Record<string, number> | undefined {
  if (!s) return undefined;
  const out: Record<string, number> = {};
  for (const part of s.split(',')) {
    const m = /^([\w-]+)=(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--fixed-counts '${part}' is not NAME=N`, { suggestion: 'write e.g. --fixed-counts k400=4,ssv2=4' });
    out[m[1]] = Number(m[2]);
  }
  return out;
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
