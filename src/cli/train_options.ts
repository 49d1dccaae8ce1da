// Options shared by the training commands (pretrain, cotrain, transfer), each mapped onto one field of the run
// configuration (train/run_config.ts RUN_FLAGS). No option has a default of its own: an unset one takes the recipe's
// value (train/recipes.ts), so an option given explicitly is known, and wins over the recipe.

import { Command, Option } from 'commander';
import { PRESET_NAMES } from '../config/presets';
import { DEMO_SIZES } from '../demo/plan';
import { UsageError } from '../errors';
import { LR_SCHEDULES } from '../run/lr_schedule';
import { DEFAULT_RECIPE, RECIPE_NAMES, RecipeName, recipeBatchSize } from '../train/recipes';
import { DEFAULT_PRESET, RECOMPUTE_MODES, RUN_DEFAULTS, RUN_FLAGS, RUN_LIMITS as L, RunSettings } from '../run/run_config';
import { addEngineOptions, memoryCacheOption, jsonOption, quietOption, verboseOption } from './options';
import { addRunFileOptions } from './run_file_option';
import { MAX_NPROC } from '../dist/launcher';
import { dataArg, fixedCountsArg, intArg, maxBadArg, numArg, parseFixedCountsOrThrow, viewsArg } from './parse';
import type { AccelMode } from '../engine/accel/accel';

/**
 * What commander gives: each run setting under its own name (the option `--batch-size` is the setting `batchSize`,
 * undefined when not given; `--fixed-counts` still as typed), plus the options of the command itself.
 */
export type TrainCliOptions = { [K in keyof RunSettings]?: K extends 'fixedCounts' ? string : RunSettings[K] } & {
  // The command's own.
  recipe?: RecipeName;
  data: string[];
  out: string;
  resume?: boolean;
  overwrite?: boolean;
  demo: 'tiny' | 'small';
  demoDir?: string;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  threads?: number;
  accel: AccelMode;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  report?: boolean;
  nproc?: number;
};

/** Adds the shared training options to a command. */
export function addTrainOptions(cmd: Command): Command {
  return addEngineOptions(addRunFileOptions(cmd)) // the run file's hook first: its options are checked like the others
    .addOption(new Option('--recipe <name>', `defaults of the training settings: demo (cover's own CPU defaults), timesformer (the reference K400/SSv2 recipe: 64 clips a step at lr 0.005), cover (CoVeR as published, else the reference's; pretrain needs --init); each option below still wins (default ${DEFAULT_RECIPE}). In every recipe MiT clips take a random frame of each of T equal parts in training and images an Inception-style random-resized crop: cover's choices, neither paper gives one`).choices([...RECIPE_NAMES]))
    .option('--data <NAME=[FORMAT:]PATH>', 'where a dataset is (repeatable); without any, the demo suite is used', dataArg('--data'), [])
    .addOption(new Option('--preset <name>', `model size (default ${DEFAULT_PRESET}; hr is base at 16 frames of 448); with --init of a cover checkpoint, one of its width and depth at another frame count or resolution resizes its time and position embeddings`).choices(PRESET_NAMES))
    .option('--init <ckpt-or-weights>', 'start from a cover checkpoint folder or a .safetensors (reference TimeSformer, timm/HF ViT, HF TimeSformer)')
    .option('--out <dir>', 'run folder: checkpoint/, log.jsonl, report.html, result.json')
    .option('--steps <n>', "optimizer steps (default: the recipe's)", intArg('--steps', { min: 1, max: L.maxSteps }))
    .addOption(new Option('--epochs <n>', "passes over all training samples, instead of --steps (timesformer and cover recipes: 15)").argParser(numArg('--epochs', { min: 0, minExclusive: true, max: L.maxEpochs })).conflicts('steps'))
    .option('--batch-size <n>', `clips per step, over all datasets (demo ${RUN_DEFAULTS.batchSize}; timesformer and cover 64, the reference's global batch, reached by accumulating micro-batches; another batch scales their lr linearly)`, intArg('--batch-size', { min: 1, max: L.maxBatchSize }))
    .option('--micro-batch <n>', 'most clips per forward/backward pass (gradients accumulate); default: the batch size, or the largest that fits in memory', intArg('--micro-batch', { min: 1, max: L.maxBatchSize }))
    .addOption(new Option('--recompute <mode>', "activation checkpointing: blocks keeps only each block's input and runs the block again in the backward pass (same gradients, far less memory, about 1/3 more compute); auto (the default) recomputes only when the batch would not fit in one pass otherwise").choices([...RECOMPUTE_MODES]))
    .addOption(new Option('--optimizer <name>', 'adamw (demo), or sgd with Nesterov momentum 0.9 (timesformer, cover)').choices(['adamw', 'sgd']))
    .option('--lr <x>', 'peak learning rate (demo 5e-4, 1e-3 for pretrain; timesformer and cover 0.005 x batch/64)', numArg('--lr', { min: 0, minExclusive: true, max: L.maxLr }))
    .option('--weight-decay <x>', 'weight decay (demo: 0.05 adamw, 1e-4 sgd; timesformer and cover 1e-4)', numArg('--weight-decay', { min: 0, max: L.maxWeightDecay, note: '0 = none' }))
    .option('--decay-all', 'decay every parameter, as the reference (timesformer, cover)')
    .option('--no-decay-all', 'spare embeddings, CLS, norms and biases from weight decay (demo)')
    .option('--warmup <n>', 'linear warmup steps (demo 50; timesformer and cover 0)', intArg('--warmup', { min: 0 }))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule after warmup (demo cosine; timesformer and cover step: x0.1 at 11/15 and 14/15)').choices([...LR_SCHEDULES]))
    .option('--label-smoothing <x>', 'label smoothing (default 0)', numArg('--label-smoothing', { min: 0, max: 1, maxExclusive: true }))
    .option('--mixup <alpha>', 'mixup alpha within each dataset (0 = off, the default)', numArg('--mixup', { min: 0, max: L.maxMixup, note: '0 = off' }))
    .option('--drop-path <x>', 'stochastic depth of the last block (default 0.1)', numArg('--drop-path', { min: 0, max: 1, maxExclusive: true }))
    .option('--clip-grad <x>', 'clip the global gradient norm (0 = off; demo 1, timesformer and cover 0)', numArg('--clip-grad', { min: 0, note: '0 = off' }))
    .option('--seed <n>', `seed of everything random (default ${RUN_DEFAULTS.seed})`, intArg('--seed', { min: 0, max: L.maxSeed }))
    .option('--temperature <t>', 'dataset sampling p ∝ size^(1/t); 1 = proportional to size (CoVeR; the default)', numArg('--temperature', { min: 0, minExclusive: true, max: L.maxTemperature }))
    .option('--fixed-counts <k400=4,ssv2=4>', 'fixed clips per dataset in every batch, instead of sampling', fixedCountsArg('--fixed-counts'))
    .option('--eval-every <n>', `evaluate on up to --eval-samples val clips per head every N steps (0 = only at the end; default ${RUN_DEFAULTS.evalEvery})`, intArg('--eval-every', { min: 0, note: '0 = only at the end' }))
    .option('--eval-samples <n>', `val clips per head in periodic evaluations (default ${RUN_DEFAULTS.evalSamples})`, intArg('--eval-samples', { min: 1 }))
    .option('--views <TxS>', 'test views of the final evaluation: temporal clips x spatial crops (default 1x3)', viewsArg('--views'))
    .option('--checkpoint-every <n>', `save a checkpoint every N steps (default ${RUN_DEFAULTS.checkpointEvery})`, intArg('--checkpoint-every', { min: 1 }))
    .option('--sampling-rate <n>', 'frame stride of dense (Kinetics-style) sampling, in frames at 30 fps as the reference (default per preset: base 32, hr and large 16, small and tiny 10)', intArg('--sampling-rate', { min: 1, max: L.maxSamplingRate }))
    .option('--max-bad <n>', `rows the dataset reader dropped plus unreadable samples tolerated per dataset: a count, or a fraction below 1 of the split's rows (default ${RUN_DEFAULTS.maxBad})`, maxBadArg('--max-bad'))
    .option('--concurrency <n>', `decodes in flight (default ${RUN_DEFAULTS.concurrency})`, intArg('--concurrency', { min: 1, max: L.maxConcurrency }))
    .option('--cache-dir <dir>', 'cache decoded clips on disk here')
    .addOption(memoryCacheOption())
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', "replace the run already in --out (cover's files of it only)")
    .addOption(new Option('--demo <size>', 'demo suite used when no --data is given').choices([...DEMO_SIZES]).default('small'))
    .option('--demo-dir <dir>', "the demo suite's folder (default .cover/demo/<size>)")
    .hook('preAction', (cmd) => checkTrainOptions(cmd.opts() as TrainCliOptions & { datasets?: string }))
    .addOption(jsonOption())
    .addOption(quietOption())
    .addOption(verboseOption());
}

/** `--nproc N` of pretrain and cotrain (their action, train_common.ts, starts the ranks). */
export function nprocOption(): Option {
  return new Option('--nproc <n>', 'data parallel on this machine: start N ranks (torch backend), as torchrun --standalone --nproc_per_node N would').argParser(
    intArg('--nproc', { min: 1, max: MAX_NPROC }),
  );
}

/** The settings given on the command line: each option is its setting (unset ones stay undefined: the recipe decides). */
export function settingsFrom(o: TrainCliOptions): Partial<RunSettings> {
  const given: Record<string, unknown> = {};
  for (const k of Object.keys(RUN_FLAGS) as (keyof RunSettings)[]) given[k] = o[k];
  return { ...given, fixedCounts: parseFixedCounts(o.fixedCounts) } as Partial<RunSettings>;
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
  const batchSize = o.batchSize ?? recipeBatchSize(o.recipe);
  if (sum !== batchSize) {
    throw new UsageError(`--fixed-counts ${o.fixedCounts} add up to ${sum} clips but --batch-size is ${batchSize}`, { suggestion: 'make the counts add up to the batch size' });
  }
  const names = o.datasets?.split(',');
  const unknown = names ? Object.keys(counts).filter((n) => !names.includes(n)) : [];
  if (unknown.length > 0) {
    throw new UsageError(`--fixed-counts names '${unknown[0]}', which is not in --datasets ${o.datasets}`, { suggestion: `give counts for ${names!.join(', ')}` });
  }
}
