// Test fixtures for eval and predict: the labels of the shared tiny demo suite's k400 and ssv2, and tiny-preset
// checkpoints with heads that match them (or not), saved through the real saveCheckpoint.
import * as tf from '@tensorflow/tfjs-core';
import { saveCheckpoint } from '../../src/checkpoint/checkpoint';
import { getPreset } from '../../src/config/presets';
import { ModelConfig } from '../../src/config/model_config';
import { openDataset } from '../../src/data/datasets/registry';
import { demoSuitePaths } from '../../src/demo/suite';
import { Preprocessing } from '../../src/data/types';
import { HeadInfo } from '../../src/model/heads';
import { TimeSformer } from '../../src/model/timesformer';
import { randomizeWeights } from './tf';
import { tinySuite } from './tiny_suite';

export const TINY_PREPROCESSING: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 2, samplingRate: 4 };

/** The shared tiny demo suite (test/helpers/tiny_suite.ts) and the labels of its k400 and ssv2. */
export async function tinyDemo(): Promise<{ root: string; k400: string[]; ssv2: string[] }> {
  const root = tinySuite();
  const paths = demoSuitePaths(root);
  const k400 = (await openDataset(`kinetics:${paths.k400.root}`, { split: 'train' })).labels;
  const ssv2 = (await openDataset(`ssv2:${paths.ssv2.root}`, { split: 'train' })).labels;
  return { root, k400, ssv2 };
}

export function head(name: string, labels: string[]): HeadInfo {
  return { name, numClasses: labels.length, labels: [...labels] };
}

/**
 * A tiny-preset checkpoint with random weights (`model` changes its config: another frame count, resolution or depth);
 * `biasTo` sets a head's weight to 0 and its bias to favour one class,
 * so every clip is predicted as that class.
 */
export async function tinyCheckpoint(
  dir: string,
  heads: HeadInfo[],
  opts: { seed?: number; extra?: unknown; biasTo?: { head: string; cls: number }; model?: Partial<ModelConfig> } = {},
): Promise<void> {
  const model = new TimeSformer({ ...getPreset('tiny'), ...opts.model }, heads, opts.seed ?? 3);
  try {
    randomizeWeights(model, opts.seed ?? 3);
    if (opts.biasTo) {
      const { head: h, cls } = opts.biasTo;
      const C = model.heads.get(h).numClasses;
      const w = model.namedWeights().get(`heads.${h}.weight`)!;
      const zero = tf.zeros(w.shape);
      const bias = tf.tensor1d(Array.from({ length: C }, (_, c) => (c === cls ? 9 : 0)));
      model.params.assign(new Map([[`heads.${h}.weight`, zero], [`heads.${h}.bias`, bias]]));
      zero.dispose();
      bias.dispose();
    }
    const preprocessing = { ...TINY_PREPROCESSING, cropSize: model.config.imgSize, numFrames: model.config.numFrames };
    await saveCheckpoint(dir, { model: model.config, heads, preprocessing, weights: model.namedWeights(), extra: opts.extra });
  } finally {
    model.dispose();
  }
}
