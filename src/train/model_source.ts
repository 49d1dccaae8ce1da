// The model a run starts from: a fresh preset, a cover checkpoint given to --init (its backbone, its embeddings resized
// to the frame count and resolution of a --preset of its width and depth, and the heads whose name and labels match),
// imported weights (reference TimeSformer, HF, timm ViT), or, with --resume, the run's own checkpoint with every head as
// it was saved.

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { importWeights, isImagePretrained, seedTemporalFromSpatial } from '../checkpoint/import';
import { CONFIG_FILE, LoadedCheckpoint, loadCheckpoint } from '../checkpoint/checkpoint';
import { getPreset } from '../config/presets';
import { gridSize, ModelConfig } from '../config/model_config';
import { resamplePosEmbed, resampleTimeEmbed } from '../checkpoint/layout';
import { CheckpointError } from '../errors';
import { HeadInfo } from '../model/heads';
import { TimeSformer } from '../model/timesformer';
import { RunConfig } from '../run/run_config';
import { initModel } from './given_settings';

function sameLabels(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The model a run starts from: a fresh preset, a cover checkpoint (its backbone, and the heads whose name and labels
 * match), or imported weights (reference TimeSformer, HF, timm ViT). Heads of the run that the source lacks start fresh.
 */
export async function buildModel(cfg: RunConfig, heads: HeadInfo[], log: (s: string) => void): Promise<TimeSformer> {
  const withDropPath = (m: ModelConfig): ModelConfig => ({ ...m, dropPathRate: cfg.dropPath });
  if (!cfg.init) return new TimeSformer(withDropPath(getPreset(cfg.preset)), heads, cfg.seed);
  const isCheckpoint = fs.existsSync(path.join(cfg.init, CONFIG_FILE));
  if (isCheckpoint) {
    // Weights holding NaN or Inf are refused here (loadCheckpoint), as importWeights refuses them below: every step from
    // them would be NaN.
    const ck = await loadCheckpoint(cfg.init, { trainState: false });
    const resized: tf.Tensor[] = [];
    try {
      const target = initModel(ck.model, cfg.preset);
      const model = new TimeSformer(withDropPath(target), heads, cfg.seed);
      const keep = new Map<string, tf.Tensor>();
      for (const [name, t] of ck.weights) {
        if (!name.startsWith('heads.')) keep.set(name, t);
      }
      const said = resizeEmbeddings(keep, ck.model, target, resized);
      if (said) log(`  init: resized ${said} (nearest, as import and the reference's forward do)`);
      for (const h of ck.heads) {
        const mine = heads.find((x) => x.name === h.name);
        if (mine && sameLabels(mine.labels, h.labels)) {
          keep.set(`heads.${h.name}.weight`, ck.weights.get(`heads.${h.name}.weight`)!);
          keep.set(`heads.${h.name}.bias`, ck.weights.get(`heads.${h.name}.bias`)!);
          log(`  head ${h.name}: from ${cfg.init}`);
        } else if (mine) {
          log(`  head ${h.name}: new (the checkpoint's head has other labels)`);
        }
      }
      const seeded = cfg.kind !== 'pretrain' && isImagePretrained(ck.extra) ? seedTemporalFromSpatial(keep) : [];
      model.params.assign(keep);
      seeded.forEach((t) => t.dispose());
      log(`  backbone: from checkpoint ${cfg.init}`);
      if (seeded.length > 0) log(`  temporal attention: seeded from each block's spatial attention, as the reference does after image pretraining (${cfg.init} is a pretrain checkpoint: its temporal weights were never trained)`);
      return model;
    } finally {
      ck.weights.forEach((t) => t.dispose());
      ck.state?.forEach((t) => t.dispose());
      resized.forEach((t) => t.dispose());
    }
  }
  const modelCfg = withDropPath(getPreset(cfg.preset));
  const { weights, report } = await importWeights(cfg.init, { model: modelCfg, heads }, { seed: cfg.seed, log });
  const model = new TimeSformer(modelCfg, heads, cfg.seed);
  model.params.assign(weights);
  weights.forEach((t) => t.dispose());
  log(`  backbone: imported ${report.source} weights from ${cfg.init} (${report.copied.length} copied, ${report.seeded.length} seeded, ${report.initialised.length} initialised)`);
  return model;
}

/**
 * Replaces pos_embed [1, 1+N, D] and time_embed [1, T, D] in `weights` by their resizes from `from`'s patch grid and
 * frame count to `to`'s (2-D and 1-D nearest, checkpoint/layout.ts, the rule import and the reference's forward use);
 * the new tensors go to `made`. Returns what was resized, for one line, or '' when nothing was.
 * @example
 * resizeEmbeddings(w, getPreset('base'), getPreset('hr'), made) // 'pos_embed 197→785 tokens (224→448 px) and time_embed 8→16 frames'
 */
export function resizeEmbeddings(weights: Map<string, tf.Tensor>, from: ModelConfig, to: ModelConfig, made: tf.Tensor[]): string {
  const D = from.embedDim;
  const said: string[] = [];
  const [g0, g1] = [gridSize(from), gridSize(to)];
  const pos = weights.get('pos_embed');
  if (pos && g0 !== g1) {
    const t = tf.tensor3d(resamplePosEmbed(pos.dataSync() as Float32Array, D, g0, g1), [1, 1 + g1 * g1, D]);
    made.push(t);
    weights.set('pos_embed', t);
    said.push(`pos_embed ${1 + g0 * g0}→${1 + g1 * g1} tokens (${from.imgSize}→${to.imgSize} px)`);
  }
  const time = weights.get('time_embed');
  if (time && from.numFrames !== to.numFrames) {
    const t = tf.tensor3d(resampleTimeEmbed(time.dataSync() as Float32Array, D, from.numFrames, to.numFrames), [1, to.numFrames, D]);
    made.push(t);
    weights.set('time_embed', t);
    said.push(`time_embed ${from.numFrames}→${to.numFrames} frames`);
  }
  return said.join(' and ');
}

/**
 * The model of a resumed run: the checkpoint's config and weights, with every head of the run found in it under the same
 * labels (the weights are disposed here).
 */
export function resumeModel(saved: LoadedCheckpoint, heads: HeadInfo[], cfg: RunConfig, ckDir: string): TimeSformer {
  try {
    for (const h of heads) {
      const s = saved.heads.find((x) => x.name === h.name);
      if (!s || !sameLabels(s.labels, h.labels)) {
        throw new CheckpointError(`the checkpoint's head '${h.name}' does not match the dataset's labels`, {
          path: ckDir,
          suggestion: 'resume with the same datasets, or start a new run',
        });
      }
    }
    const model = new TimeSformer(saved.model, heads, cfg.seed);
    model.params.assign(saved.weights);
    return model;
  } finally {
    saved.weights.forEach((t) => t.dispose());
  }
}
