// Named training recipes (`--recipe demo|timesformer|cover`) and the one place a run's configuration is resolved:
// recipe, then the preset's defaults (presets.ts), then RUN_DEFAULTS (run_config.ts), then each setting given
// explicitly, which always wins. The resolved recipe is described in a few lines at the start of every run and saved with
// the run config in every checkpoint (`recipe`, `overrides`).
//
//   demo         cover's defaults for CPU runs on the demo suite (AdamW, cosine, warm-up, clipping). The default.
//   timesformer  the reference recipe of facebookresearch/TimeSformer (configs/Kinetics/TimeSformer_divST_8x32_224.yaml,
//                configs/SSv2/TimeSformer_divST_8_224.yaml and the 16x448 HR configs, which all share it): SGD with
//                Nesterov momentum 0.9, base LR 0.005 for a global batch of 64 (TRAIN.BATCH_SIZE 8 accumulated to
//                GLOBAL_BATCH_SIZE 64, tools/train_net.py): a run steps on 64 clips unless --batch-size says otherwise
//                (micro-batches accumulate to it), and another batch B scales the LR to 0.005 x B/64 (the run's header
//                says so), weight decay 1e-4 on every parameter (models/optimizer.py),
//                no warm-up (SOLVER.WARMUP_EPOCHS 0), no gradient clipping, ×0.1 at epochs 11 and 14 of 15, 1 clip × 3
//                crops at test. The configs' MODEL.DROPOUT_RATE 0.5 is never applied by vit.py (self.dropout is unused
//                in forward), so no head dropout.
//   cover        CoVeR (Zhang et al., arXiv 2112.07175) as far as it is published: abstract and announcement: one
//                TimeSformer co-trained on several video datasets and images (as single-frame videos), one head per
//                dataset, each batch drawn across datasets in proportion to their size; 1 temporal clip × 3 crops at test
//                (as X-CLIP Tab. 1 and UniFormerV2 Tab. 7-11 list CoVeR). Its optimizer, learning rate, schedule, batch,
//                epochs and augmentation are not in the parts of the paper that could be read (docs/notes/cover-spec.md §2.4), so
//                cover uses the TimeSformer reference's, the recipe of the architecture CoVeR builds on. Not for
//                `pretrain` from random weights (refused: CoVeR starts from image-pretrained weights; give --init).
//
// Every recipe samples MiT-style clips with temporal jitter and crops images Inception-style in training (cover's
// choices, data/decode/sample_decode.ts: neither reference publishes them; RunConfig.augment).

import { PRESET_SAMPLING_RATE, PresetName, getPreset } from '../config/presets';
import { ConfigError, UsageError } from '../errors';
import { DEFAULT_OPTIMIZER } from './optimizer';
import { DEFAULT_PRESET, RUN_DEFAULTS, RUN_FLAGS, RunConfig, RunDataset, RunKind, RunSettings, TARGET_FPS, RecipeName } from '../run/run_config';
import type { SamplingScheme, TrainAugment } from '../data/types';

export type { RecipeName };
export const RECIPE_NAMES: readonly RecipeName[] = ['demo', 'timesformer', 'cover'];
export const DEFAULT_RECIPE: RecipeName = 'demo';

/** The reference's base LR and the global batch it is for (tools/train_net.py accumulates 8 clips to 64). */
export const REFERENCE_LR = { lr: 0.005, globalBatch: 64 } as const;

/**
 * The batch a recipe steps on when --batch-size is not given: the reference's global batch of 64 for timesformer and
 * cover (micro-batches accumulate to it, memory_preflight.ts), RUN_DEFAULTS' 8 for demo.
 */
export function recipeBatchSize(name: RecipeName | undefined): number {
  return name === 'timesformer' || name === 'cover' ? REFERENCE_LR.globalBatch : RUN_DEFAULTS.batchSize;
}

/**
 * The training augmentation every new run takes (data/types.ts TrainAugment): cover's choices for the data the
 * TimeSformer reference has none for, MiT clips jittered by TSN segments and images cropped Inception-style.
 */
export const TRAIN_AUGMENT: TrainAugment = { uniform: 'segments', images: 'inception' };

/** The settings a recipe decides. */
export type RecipeSettings = Pick<
  RunSettings,
  'steps' | 'epochs' | 'optimizer' | 'lr' | 'weightDecay' | 'decayAll' | 'warmup' | 'schedule' | 'labelSmoothing' | 'mixup' | 'dropPath' | 'clipGrad' | 'temperature' | 'views'
>;

/** What a recipe (or, for the stride, the preset) decides: an explicit one is listed as given over it. */
const RECIPE_KEYS: readonly (keyof RunSettings)[] = [
  'steps', 'epochs', 'batchSize', 'optimizer', 'lr', 'weightDecay', 'decayAll', 'warmup', 'schedule', 'labelSmoothing', 'mixup', 'dropPath', 'clipGrad', 'temperature', 'views', 'samplingRate',
];

/** The reference recipe at a global batch: its LR scaled linearly from 0.005 at 64 (Goyal et al.'s rule, as PySlowFast). */
function referenceSettings(batchSize: number): RecipeSettings {
  return {
    steps: 2400, // unused: 15 epochs decide the length
    epochs: 15,
    optimizer: 'sgd',
    lr: (REFERENCE_LR.lr * batchSize) / REFERENCE_LR.globalBatch,
    weightDecay: 1e-4,
    decayAll: true,
    warmup: 0,
    schedule: 'step',
    labelSmoothing: 0,
    mixup: 0,
    dropPath: 0.1,
    clipGrad: 0,
    temperature: 1,
    views: '1x3',
  };
}

/** cover's demo defaults; `optimizer` picks the weight decay when only --optimizer is given (0.05 AdamW, 1e-4 SGD). */
function demoSettings(kind: RunKind, optimizer: RunSettings['optimizer']): RecipeSettings {
  return {
    steps: kind === 'pretrain' ? 300 : 2400,
    optimizer: 'adamw',
    lr: kind === 'pretrain' ? 1e-3 : 5e-4,
    weightDecay: DEFAULT_OPTIMIZER[optimizer].weightDecay,
    decayAll: false,
    warmup: 50,
    schedule: 'cosine',
    labelSmoothing: 0,
    mixup: 0,
    dropPath: 0.1,
    clipGrad: 1,
    temperature: 1,
    views: '1x3',
  };
}

/** A recipe's settings for a run of `kind` at a global batch, given the optimizer the run will use. */
export function recipeSettings(name: RecipeName, kind: RunKind, batchSize: number, optimizer?: RunSettings['optimizer']): RecipeSettings {
  switch (name) {
    case 'demo':
      return demoSettings(kind, optimizer ?? 'adamw');
    case 'timesformer':
    case 'cover':
      return referenceSettings(batchSize);
    default: {
      const never: never = name;
      throw new ConfigError(`unknown recipe '${String(never)}'`, { suggestion: `use one of ${RECIPE_NAMES.join(', ')}` });
    }
  }
}

export interface RunInput {
  kind: RunKind;
  datasets: RunDataset[];
  data: Record<string, string>;
  out: string;
  recipe?: RecipeName;
  /** Settings given explicitly (undefined = unset); each wins over the recipe. */
  settings: Partial<RunSettings>;
  /**
   * What the command decides when the user does not (between the recipe and `settings`): `cover transfer` sizes its
   * stages in steps.
   */
  commandDefaults?: Partial<RunSettings>;
}

/**
 * The run configuration: explicit settings over command defaults over the recipe over the preset and RUN_DEFAULTS.
 * An explicit --steps drops the recipe's epochs, an explicit --epochs its steps.
 * @example
 * const c = resolveRunConfig({ kind: 'cotrain', datasets, data: {}, out: 'runs/x', recipe: 'timesformer', settings: { preset: 'base' } });
 * [c.optimizer, c.batchSize, c.lr, c.epochs, c.samplingRate, c.decayAll] // ['sgd', 64, 0.005, 15, 32, true]
 */
export function resolveRunConfig(input: RunInput): RunConfig {
  const recipe = input.recipe ?? DEFAULT_RECIPE;
  if (!RECIPE_NAMES.includes(recipe)) throw new ConfigError(`unknown recipe '${recipe}'`, { suggestion: `use one of ${RECIPE_NAMES.join(', ')}` });
  const given = Object.fromEntries(Object.entries(input.settings).filter(([, v]) => v !== undefined)) as Partial<RunSettings>;
  const over = { ...input.commandDefaults, ...given };
  checkRecipeKind(recipe, input.kind, over.init);
  const preset = over.preset ?? DEFAULT_PRESET;
  getPreset(preset); // an unknown preset fails here, with the names to use
  const batchSize = over.batchSize ?? recipeBatchSize(recipe);
  const base = recipeSettings(recipe, input.kind, batchSize, over.optimizer);
  const sized = over.steps !== undefined && over.epochs === undefined ? { ...base, epochs: undefined } : base;
  const settings: RunSettings = {
    ...RUN_DEFAULTS,
    ...sized,
    batchSize,
    preset,
    microBatch: over.microBatch, // unset: auto, fixed by the trainer (memory_preflight.ts fitTraining)
    samplingRate: PRESET_SAMPLING_RATE[preset as PresetName],
    ...over,
  };
  const overrides = (Object.keys(RUN_FLAGS) as (keyof RunSettings)[]).filter((k) => k in given && RECIPE_KEYS.includes(k));
  return {
    ...settings,
    kind: input.kind,
    datasets: input.datasets,
    data: input.data,
    out: input.out,
    recipe,
    overrides,
    freezeTemporal: input.kind === 'pretrain',
    targetFps: TARGET_FPS,
    augment: { ...TRAIN_AUGMENT },
    mean: [0.45, 0.45, 0.45],
    std: [0.225, 0.225, 0.225],
  };
}

/**
 * `pretrain --recipe cover` from random weights is refused: the recipe is TimeSformer's 15-epoch fine-tuning of
 * image-pretrained weights, and CoVeR starts from weights pretrained on images (JFT); training a ViT from scratch on
 * images with it is a recipe nobody published. With --init (ViT weights to continue from) it is the stage CoVeR has.
 */
function checkRecipeKind(recipe: RecipeName, kind: RunKind, init: string | undefined): void {
  if (recipe !== 'cover' || kind !== 'pretrain' || init !== undefined) return;
  throw new UsageError(
    "pretrain --recipe cover from random weights: CoVeR starts from image-pretrained weights, and its recipe (the reference's 15-epoch fine-tuning) was never published for training a ViT from scratch",
    { suggestion: 'give --init ViT weights (a timm or HF ViT .safetensors, or a cover checkpoint), or use --recipe demo' },
  );
}

const SOURCES: Record<RecipeName, string> = {
  demo: "cover's defaults for short CPU runs",
  timesformer: 'facebookresearch/TimeSformer configs/Kinetics/TimeSformer_divST_8x32_224.yaml, configs/SSv2/TimeSformer_divST_8_224.yaml',
  cover:
    'CoVeR, arXiv 2112.07175 (abstract, announcement): proportional dataset sampling, 1x3 test views; optimizer, LR, schedule and batch are not published, the TimeSformer reference\'s are used',
};

const num = (x: number): string => String(Number(x.toPrecision(6)));

/**
 * The resolved recipe in a few lines, for the start of a run and for `cover eval`.
 * @example
 * describeRecipe(resolveRunConfig({ ..., recipe: 'timesformer', settings: { preset: 'tiny', steps: 2, batchSize: 8 } }))
 * // recipe timesformer (facebookresearch/TimeSformer configs/Kinetics/...)
 * //   sgd nesterov momentum 0.9, lr 0.000625, weight decay 0.0001 on every parameter
 * //   step schedule ×0.1 at 11/15 and 14/15 of 2 steps, no warm-up, no gradient clipping, label smoothing 0, mixup 0, drop path 0.1
 * //   dense sampling: 2 frames, 10 apart at 30 fps, a clip spans 0.67 s; test views 1x3
 * //   batch 8, not the reference's 64: lr scaled linearly to 0.000625 = 0.005 x 8/64 (Goyal et al.'s rule, as PySlowFast)
 * //   given explicitly: --steps, --batch-size
 */
export function describeRecipe(c: RunConfig, datasets?: Array<{ name: string; sampling: SamplingScheme; images: boolean }>): string[] {
  const recipe = c.recipe ?? DEFAULT_RECIPE;
  const o = DEFAULT_OPTIMIZER[c.optimizer];
  const opt = c.optimizer === 'sgd' ? `sgd${o.nesterov ? ' nesterov' : ''} momentum ${o.momentum}` : `adamw betas ${o.beta1}/${o.beta2}`;
  const reference = recipe !== 'demo' && !c.overrides?.includes('lr');
  const scaled = reference && c.batchSize !== REFERENCE_LR.globalBatch;
  const lr = reference && !scaled ? `lr ${num(c.lr)} (the reference's, for its global batch of ${REFERENCE_LR.globalBatch})` : `lr ${num(c.lr)}`;
  const decay = `weight decay ${num(c.weightDecay)} ${c.decayAll ? 'on every parameter' : 'except on embeddings, CLS, norms and biases'}`;
  const length = c.epochs !== undefined ? `${num(c.epochs)} epochs (${c.steps} steps)` : `${c.steps} steps`;
  const schedule =
    c.schedule === 'step'
      ? `step schedule ×0.1 at ${c.epochs === 15 ? `epochs 11 and 14 of ${length}` : `11/15 and 14/15 of ${length}`}`
      : `${c.schedule} schedule over ${length}`;
  const model = getPreset(c.preset);
  const span = c.targetFps ? `, a clip spans ${((model.numFrames * c.samplingRate) / c.targetFps).toFixed(2)} s` : '';
  const rate = c.targetFps ? `${c.samplingRate} apart at ${c.targetFps} fps${span}` : `${c.samplingRate} apart at each video's own rate`;
  const lines = [
    `recipe ${recipe} (${SOURCES[recipe]})`,
    `  ${opt}, ${lr}, ${decay}`,
    `  ${schedule}, ${c.warmup > 0 ? `warm-up ${c.warmup} steps (at most a fifth of the run)` : 'no warm-up'}, ${c.clipGrad > 0 ? `gradient norm clipped at ${num(c.clipGrad)}` : 'no gradient clipping'}, label smoothing ${num(c.labelSmoothing)}, mixup ${num(c.mixup)}, drop path ${num(c.dropPath)}, no head dropout`,
    datasets
      ? `  sampling: ${datasets.map((d) => `${d.name} ${describeSampling(d, model.numFrames, rate, c.augment)}`).join('; ')}; test views ${c.views}`
      : `  dense sampling: ${model.numFrames} frames, ${rate}; test views ${c.views}`,
  ];
  if (scaled) {
    lines.push(`  batch ${c.batchSize}, not the reference's ${REFERENCE_LR.globalBatch}: lr scaled linearly to ${num(c.lr)} = ${REFERENCE_LR.lr} x ${c.batchSize}/${REFERENCE_LR.globalBatch} (Goyal et al.'s rule, as PySlowFast)`);
  }
  if (c.overrides && c.overrides.length > 0) lines.push(`  given explicitly: ${c.overrides.map((k) => RUN_FLAGS[k]).join(', ')}`);
  return lines;
}

/**
 * How one dataset's clips are sampled and cropped in training (data/decode/sampling.ts, sample_decode.ts), as the run's
 * header says it; cover's own choices say so.
 */
function describeSampling(d: { sampling: SamplingScheme; images: boolean }, frames: number, rate: string, augment?: TrainAugment): string {
  if (d.images) {
    return augment?.images === 'inception'
      ? "images (one frame; Inception-style random-resized crop, 8-100% of the area at aspect 3/4-4/3, and flip: cover's choice)"
      : 'images (one frame, cropped as videos)';
  }
  switch (d.sampling) {
    case 'dense':
      return `dense (${frames} frames, ${rate})`;
    case 'segments':
      return `segments (${frames} frames, one from each of ${frames} equal parts, TSN)`;
    case 'uniform':
      return augment?.uniform === 'segments'
        ? `uniform (${frames} frames over the whole clip: in training a random one from each of ${frames} equal parts, TSN, cover's choice; at test evenly spread)`
        : `uniform (${frames} frames spread over the whole clip)`;
    default: {
      const never: never = d.sampling;
      return String(never);
    }
  }
}
