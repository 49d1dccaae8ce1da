// The configuration of a training run (pretrain, cotrain, fine-tune), resolved once by the CLI and saved in every
// checkpoint of the run so that `--resume` continues with exactly the same settings.

import { ConfigError } from '../errors';
import { OptimizerName } from './optimizer';
import { LrScheduleName } from './lr_schedule';

export type RunKind = 'pretrain' | 'cotrain' | 'finetune';

export interface RunDataset {
  /** Head name, e.g. `k400`. */
  name: string;
  /** What openDataset takes: a short name, `FORMAT:PATH` or a path. */
  spec: string;
}

export interface RunConfig {
  kind: RunKind;
  datasets: RunDataset[];
  /** `--data NAME=PATH` folders. */
  data: Record<string, string>;
  /** Output folder: checkpoint/, log.jsonl, report.html. */
  out: string;
  preset: string;
  /** Checkpoint folder or weights file (timm / HF / reference safetensors) to start from. */
  init?: string;
  steps: number;
  /** Passes over all training samples; when set, `steps` is derived from it once the datasets are open. */
  epochs?: number;
  batchSize: number;
  /** Most clips per forward/backward pass (gradient accumulation above it). */
  microBatch: number;
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
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
  evalViews: string;
  checkpointEvery: number;
  /** Train only the non-temporal parameters (cover pretrain). */
  freezeTemporal: boolean;
  samplingRate: number;
  mean: [number, number, number];
  std: [number, number, number];
  maxBad: number;
  concurrency: number;
  cacheDir?: string;
  /** In-memory whole-video cache (MiB; 0 = off): small datasets are decoded once per video. */
  memoryCacheMiB?: number;
}

export function validateRunConfig(c: RunConfig): RunConfig {
  const bad = (what: string, fix: string): never => {
    throw new ConfigError(what, { suggestion: fix });
  };
  if (c.datasets.length === 0) bad('no dataset to train on', 'name datasets with --datasets (e.g. k400,ssv2)');
  const names = new Set<string>();
  for (const d of c.datasets) {
    if (names.has(d.name)) bad(`dataset '${d.name}' is listed twice`, 'name each dataset once');
    names.add(d.name);
  }
  if (!(c.steps >= 1)) bad(`--steps ${c.steps} is not a positive number`, 'give --steps N with N >= 1');
  if (!(c.batchSize >= 1)) bad(`--batch-size ${c.batchSize} is not positive`, 'give --batch-size N with N >= 1');
  if (!(c.microBatch >= 1)) bad(`--micro-batch ${c.microBatch} is not positive`, 'give --micro-batch N with N >= 1');
  if (!(c.lr > 0)) bad(`--lr ${c.lr} is not positive`, 'give a learning rate such as 1e-3');
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) bad(`--label-smoothing ${c.labelSmoothing} is not in [0, 1)`, 'use e.g. 0.1');
  if (!(c.mixup >= 0)) bad(`--mixup ${c.mixup} is negative`, 'use 0 (off) or an alpha such as 0.2');
  if (!(c.dropPath >= 0 && c.dropPath < 1)) bad(`--drop-path ${c.dropPath} is not in [0, 1)`, 'use e.g. 0.1');
  if (!(c.temperature > 0)) bad(`--temperature ${c.temperature} is not positive`, 'use 1 for proportional to size');
  if (!(c.checkpointEvery >= 1)) bad(`--checkpoint-every ${c.checkpointEvery} is not positive`, 'give a number of steps');
  return c;
}
