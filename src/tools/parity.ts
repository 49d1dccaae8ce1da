// Numeric parity against the reference: loads a fixture folder (config.json, weights.safetensors holding a reference
// TimeSformer state_dict, io.safetensors holding `input_T<n>` [B, C, T, H, W] clips with the reference's `features_T<n>`
// [B, D] and `logits_T<n>` [B, C]), runs every input through cover's model and reports the largest absolute errors.
// The fixture format is test/fixtures/timesformer-parity/README.md; any size, depth, patch size, attention type and
// frame count in that format is accepted.

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { modelConfigFromJson } from '../config/model_config';
import { importWeights } from '../checkpoint/import';
import { readSafetensors } from '../checkpoint/safetensors';
import { CheckpointError } from '../errors';
import { TimeSformer } from '../model/timesformer';

export interface ParityCase {
  /** The io.safetensors suffix, e.g. `T4`. */
  name: string;
  inputShape: number[];
  featuresMaxAbsErr: number;
  logitsMaxAbsErr: number;
  pass: boolean;
}

export interface ParityResult {
  fixture: string;
  backend: string;
  tolerance: number;
  cases: ParityCase[];
  pass: boolean;
}

export const PARITY_TOLERANCE = 1e-4;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export async function runParity(dir: string, tolerance = PARITY_TOLERANCE): Promise<ParityResult> {
  const file = (name: string) => {
    const p = path.join(dir, name);
    if (!fs.existsSync(p)) {
      throw new CheckpointError(`parity fixture has no ${name}`, { path: dir, suggestion: 'give a folder with config.json, weights.safetensors and io.safetensors' });
    }
    return p;
  };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file('config.json'), 'utf8'));
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`config.json is not valid JSON: ${(err as Error).message}`, { path: path.join(dir, 'config.json') });
  }
  const cfg = modelConfigFromJson(json, path.join(dir, 'config.json'));
  const numClasses = Number(json.num_classes);
  const heads = [{ name: 'default', numClasses, labels: Array.from({ length: numClasses }, (_, i) => `class_${i}`) }];
  const io = readSafetensors(file('io.safetensors')).tensors;
  const { weights } = await importWeights(file('weights.safetensors'), { model: cfg, heads }, { source: 'timesformer', headName: 'default' });
  // Dropout and drop-path are training-only; the reference fixture ran in eval mode.
  const model = new TimeSformer(cfg, heads);
  const cases: ParityCase[] = [];
  try {
    model.params.assign(weights);
    const names = [...io.keys()].filter((k) => k.startsWith('input_')).map((k) => k.slice('input_'.length)).sort();
    if (names.length === 0) throw new CheckpointError('io.safetensors holds no input_* tensor', { path: path.join(dir, 'io.safetensors') });
    for (const name of names) {
      const input = io.get(`input_${name}`)!;
      const wantF = io.get(`features_${name}`);
      const wantL = io.get(`logits_${name}`);
      if (!wantF || !wantL) {
        throw new CheckpointError(`io.safetensors has input_${name} but not features_${name} and logits_${name}`, { path: path.join(dir, 'io.safetensors') });
      }
      const [errF, errL] = tf.tidy(() => {
        const x = tf.transpose(tf.tensor(input.data, input.shape), [0, 2, 3, 4, 1]); // [B, C, T, H, W] -> [B, T, H, W, C]
        const feats = model.forwardFeatures(x);
        const logits = model.forwardHead(feats, 'default');
        return [maxAbsDiff(feats, tf.tensor(wantF.data, wantF.shape)), maxAbsDiff(logits, tf.tensor(wantL.data, wantL.shape))];
      });
      cases.push({ name, inputShape: input.shape, featuresMaxAbsErr: errF, logitsMaxAbsErr: errL, pass: errF <= tolerance && errL <= tolerance });
    }
  } finally {
    model.dispose();
    weights.forEach((t) => t.dispose());
  }
  return { fixture: dir, backend: tf.getBackend(), tolerance, cases, pass: cases.every((c) => c.pass) };
}
