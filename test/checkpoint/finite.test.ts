// Non-finite weights: the scan and its one-line description (finite.ts), and every loader that reads weights for a
// model refusing them unless told to go on: loadCheckpoint (eval, predict, --resume), --init from a checkpoint
// (buildModel) and importWeights (--init from other weights).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { HeadInfo, loadCheckpoint, saveCheckpoint } from '../../src/checkpoint/checkpoint';
import { describeNonFinite, scanNonFinite } from '../../src/checkpoint/finite';
import { importWeights } from '../../src/checkpoint/import';
import { getPreset } from '../../src/config/presets';
import { CheckpointError } from '../../src/errors';
import { TimeSformer } from '../../src/model/timesformer';
import type { RunConfig } from '../../src/run/run_config';
import { buildModel } from '../../src/train/model_source';
import { TINY_PREPROCESSING } from '../helpers/tiny_checkpoint';
import { poisonWeights } from './poison';
import { refusalLine } from '../helpers/one_line';

const heads: HeadInfo[] = [{ name: 'k400', numClasses: 3, labels: ['a', 'b', 'c'] }];
let dir: string;
let ck: string;
let weightsFile: string;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-finite-'));
  ck = path.join(dir, 'ck');
  weightsFile = path.join(ck, 'weights.safetensors');
  const model = new TimeSformer(getPreset('tiny'), heads, 1);
  try {
    await saveCheckpoint(ck, { model: model.config, heads, preprocessing: TINY_PREPROCESSING, weights: model.namedWeights() });
  } finally {
    model.dispose();
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function refusal(p: Promise<unknown>): Promise<string> {
  return refusalLine(p, CheckpointError);
}

const twelveNaN = Array<number>(12).fill(NaN);

describe('scanNonFinite and describeNonFinite', () => {
  it('counts NaN and both infinities per tensor, and is null when all is finite', () => {
    const r = scanNonFinite('w', [
      ['a', Float32Array.of(1, NaN, -Infinity, 2)],
      ['b', Float32Array.of(0, -0, 3.4e38, 1e-45)],
      ['c', Float32Array.of(Infinity)],
    ]);
    expect(r).toEqual({ file: 'w', tensors: [{ name: 'a', nan: 1, inf: 1 }, { name: 'c', nan: 0, inf: 1 }], values: 3 });
    expect(describeNonFinite(r!)).toBe('weights are not finite: a has 1 NaN and 1 Inf, c 1 Inf');
    expect(scanNonFinite('w', [['b', Float32Array.of(0, 3.4e38, -3.4e38)]])).toBeNull();
  });

  it('names the first three tensors and counts the rest', () => {
    const r = scanNonFinite('w', ['t1', 't2', 't3', 't4', 't5'].map((n) => [n, Float32Array.of(NaN, NaN)]));
    expect(describeNonFinite(r!)).toBe('weights are not finite: t1 has 2 NaN, t2 2 NaN, t3 2 NaN, and 2 more tensors (10 values in 5 tensors)');
  });
});

describe('loaders refuse non-finite weights', () => {
  it('loadCheckpoint names the tensors in one line and allocates nothing; allowNonFinite loads them and says which', async () => {
    poisonWeights(ck, { 'blocks.0.attn.qkv.weight': twelveNaN, 'heads.k400.bias': [Infinity] });
    const before = tf.memory().numTensors;
    const line = await refusal(loadCheckpoint(ck));
    expect(line).toBe(
      `${weightsFile}: weights are not finite: blocks.0.attn.qkv.weight has 12 NaN, heads.k400.bias 1 Inf ` +
        '(fix: the run that saved them diverged, or the file is damaged: use an earlier checkpoint, or give cover eval, predict or export --allow-nonfinite to go on anyway)',
    );
    expect(tf.memory().numTensors).toBe(before);

    const loaded = await loadCheckpoint(ck, { trainState: false, allowNonFinite: true });
    expect(loaded.nonFinite?.values).toBe(13);
    expect(Number.isNaN((await loaded.weights.get('blocks.0.attn.qkv.weight')!.data())[0])).toBe(true);
    loaded.weights.forEach((t) => t.dispose());
  });

  it('a finite checkpoint loads with no report', async () => {
    const loaded = await loadCheckpoint(ck, { trainState: false });
    expect(loaded.nonFinite).toBeUndefined();
    loaded.weights.forEach((t) => t.dispose());
  });

  it('--init from such a checkpoint (buildModel) is refused before a model is built', async () => {
    poisonWeights(ck, { pos_embed: [NaN] });
    const cfg = { init: ck, preset: 'tiny', dropPath: 0, seed: 1, kind: 'cotrain' } as unknown as RunConfig;
    const before = tf.memory().numTensors;
    expect(await refusal(buildModel(cfg, heads, () => {}))).toMatch(/weights\.safetensors: weights are not finite: pos_embed has 1 NaN \(fix: /);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('importWeights refuses them in the tensors it would copy', async () => {
    poisonWeights(ck, { 'norm.weight': [Infinity, -Infinity] });
    const line = await refusal(importWeights(ck, { model: getPreset('tiny'), heads }));
    expect(line).toMatch(/weights\.safetensors: weights are not finite: norm\.weight has 2 Inf \(fix: every output of a model built on them would be NaN/);
  });
});
