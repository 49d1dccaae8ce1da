// Settings the user gave that a checkpoint already fixes. A resumed run is the same run: its saved settings win, so an
// option that would change them is refused rather than ignored (only a longer --steps, and how data is fetched, may
// differ, and those given are used). A run that starts from a cover checkpoint (--init) trains that checkpoint's
// architecture: its preset is the checkpoint's, or a --preset of the same width, depth and patches at another frame
// count or resolution (the checkpoint's time and position embeddings are resized to it, model_source.ts); a --preset of
// another width or depth is refused rather than silently replaced.

import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_FILE, readCheckpointConfig } from '../checkpoint/checkpoint';
import { ModelConfig } from '../config/model_config';
import { getPreset, PRESET_NAMES } from '../config/presets';
import { UsageError } from '../errors';
import { RUN_FLAGS, RunConfig, RunSettings } from '../run/run_config';

/**
 * Settings that change how a run reads its data, not what it computes: a resumed run takes the new values. They include
 * --memory-cache: a video held whole in memory is decoded and scaled as a per-request decode is (resize.ts), to the same
 * pixels (test/data/memory_cache.test.ts).
 */
const DATA_LOADING = ['concurrency', 'cacheDir', 'memoryCache'] as const satisfies readonly (keyof RunSettings)[];
const FREE_ON_RESUME: ReadonlySet<keyof RunSettings> = new Set(['steps', ...DATA_LOADING]);

/** The fields that make two models the same architecture (the rest are regularisation and init). */
const ARCHITECTURE: readonly (keyof ModelConfig)[] = ['imgSize', 'patchSize', 'inChans', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'qkvBias', 'numFrames', 'attentionType'];

/** What a run from a checkpoint may change: its time and position embeddings are resized to them. */
const RESIZABLE: readonly (keyof ModelConfig)[] = ['imgSize', 'numFrames'];

/** Whether weights of `a` fit `b` once the time and position embeddings are resized. */
function sameWeights(a: ModelConfig, b: ModelConfig): boolean {
  return ARCHITECTURE.every((k) => RESIZABLE.includes(k) || a[k] === b[k]);
}

/**
 * The model a run from a cover checkpoint of `ckModel` builds: the checkpoint's, at the frame count and resolution of
 * `preset` when the preset has the checkpoint's weights (presetForInit refused any other given --preset).
 * @example
 * initModel(getPreset('base'), 'hr') // base at 16 frames of 448x448
 */
export function initModel(ckModel: ModelConfig, preset: string): ModelConfig {
  const p = getPreset(preset);
  return sameWeights(ckModel, p) ? { ...ckModel, imgSize: p.imgSize, numFrames: p.numFrames } : ckModel;
}

/**
 * Refuses a setting given to `--resume` that differs from the run's saved one.
 *
 * @example
 * checkResumeSettings({ preset: 'small' }, savedTinyRun, 'runs/a/checkpoint');
 * // UsageError: runs/a/checkpoint: --resume continues the run with its saved settings: --preset small differs from its tiny
 */
export function checkResumeSettings(given: Partial<RunSettings>, saved: RunConfig, ckDir: string): void {
  for (const [key, value] of Object.entries(given) as [keyof RunSettings, unknown][]) {
    if (value === undefined || FREE_ON_RESUME.has(key)) continue;
    if (key === 'recompute' && value === 'auto') continue; // what auto chose is the saved value
    const was = saved[key];
    if (JSON.stringify(value) === JSON.stringify(was)) continue;
    throw new UsageError(`--resume continues the run with its saved settings: ${RUN_FLAGS[key]} ${show(value)} differs from its ${show(was)}`, {
      path: ckDir,
      suggestion: `drop ${RUN_FLAGS[key]} to continue the run as it was, or start a new run in another --out with --init ${ckDir}`,
    });
  }
}

/**
 * The data-loading settings given to `--resume`, which replace the saved ones.
 * @example
 * dataLoadingGiven({ memoryCache: 0, steps: 20 }) // { memoryCache: 0 }
 */
export function dataLoadingGiven(given: Partial<RunSettings>): Partial<RunSettings> {
  return Object.fromEntries(DATA_LOADING.filter((k) => given[k] !== undefined).map((k) => [k, given[k]]));
}

/**
 * The preset of a run that starts from `init`: for a cover checkpoint, the given one when it has the checkpoint's
 * weights (width, depth, heads, patches; another frame count or resolution is resized to), else the preset of exactly
 * its architecture; another width or depth is refused. For other weights, `given` as it is.
 */
export function presetForInit(init: string | undefined, given: string | undefined): string | undefined {
  // A missing --init is named first, before any check that depends on what it holds (the memory a preset needs).
  if (init && !fs.existsSync(init)) throw new UsageError(`--init ${init}: no such file or folder`, { suggestion: 'give a cover checkpoint folder or a weights file to import (.safetensors, .pth, .pyth)' });
  if (!init || !fs.existsSync(path.join(init, CONFIG_FILE))) return given;
  const model = readCheckpointConfig(init).model;
  if (given !== undefined) {
    if (!sameWeights(getPreset(given), model)) {
      const fits = PRESET_NAMES.filter((name) => sameWeights(getPreset(name), model));
      throw new UsageError(`--init ${init} is ${describe(model)}, but --preset ${given} is ${describe(getPreset(given))}: only the frame count and resolution can change`, {
        suggestion: `drop --preset to train the checkpoint's own architecture${fits.length > 0 ? `, give a preset of its width and depth (${fits.join(', ')})` : ''}, or --init another checkpoint`,
      });
    }
    return given;
  }
  return PRESET_NAMES.find((name) => ARCHITECTURE.every((k) => getPreset(name)[k] === model[k]));
}

function describe(m: ModelConfig): string {
  const shape = `${m.numHeads} heads, ${m.patchSize}x${m.patchSize} patches${m.attentionType === 'divided_space_time' ? '' : `, ${m.attentionType}`}`;
  return `a ${m.depth}-block, ${m.embedDim}-wide model (${shape}) for ${m.numFrames} frames of ${m.imgSize}x${m.imgSize}`;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
