import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PARITY_FIXTURE } from '../helpers/fixtures';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CONFIG_LIMITS, Checkpoint, HeadInfo, checkpointParamSpecs, loadCheckpoint, readCheckpointConfig, saveCheckpoint } from '../../src/checkpoint/checkpoint';
import { RUN_LIMITS } from '../../src/run/run_config';
import { refusalLine } from '../helpers/one_line';
import { readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors';
import { getPreset } from '../../src/config/presets';
import { Preprocessing } from '../../src/data/types';
import { CheckpointError } from '../../src/errors';
import { internalShape } from '../../src/model/param_spec';

const tiny = getPreset('tiny'); // D 32, depth 2, 4x4 patches of 8 px, T 2
const heads: HeadInfo[] = [
  { name: 'k400', numClasses: 3, labels: ['a', 'b', 'c'] },
  { name: 'imagenet', numClasses: 2, labels: ['cat', 'dog'] },
];
/** config.json as parsed, loose enough to hold the wrong values these tests write into it (a string for a number). */
interface RawConfig {
  version: unknown;
  model: Record<string, unknown>;
  preprocessing: Record<string, unknown>;
  heads?: { name: string; num_classes: unknown; labels: string[] }[];
}
const preprocessing: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 2, samplingRate: 4 };

let dir: string;
beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in test output
  await tf.setBackend('cpu');
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-ck-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every parameter of the tiny model with two heads, random values in the internal layout. */
function randomWeights(seed: number): Map<string, tf.Tensor> {
  return new Map(checkpointParamSpecs(tiny, heads).map((s, i) => [s.name, tf.randomUniform(internalShape(s), -1, 1, 'float32', seed + i)]));
}

function dispose(weights: Map<string, tf.Tensor>): void {
  weights.forEach((t) => t.dispose());
}

async function expectCheckpointError(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<string> {
  const line = await refusalLine(p, CheckpointError);
  for (const part of parts) expect(line).toMatch(part);
  return line;
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips every weight bit for bit, with config, heads, preprocessing and extra', async () => {
    const weights = randomWeights(1);
    const ckDir = path.join(dir, 'ck');
    await saveCheckpoint(ckDir, { model: tiny, heads, preprocessing, weights, extra: { step: 12, mix: [0.5, 0.5] } });
    expect(fs.readdirSync(dir)).toEqual(['ck']); // no temp or old folders left
    expect(fs.readdirSync(ckDir).sort()).toEqual(['config.json', 'weights.safetensors']);

    const back = await loadCheckpoint(ckDir);
    try {
      expect(back.model).toEqual(tiny);
      expect(back.heads).toEqual(heads);
      expect(back.preprocessing).toEqual(preprocessing);
      expect(back.extra).toEqual({ step: 12, mix: [0.5, 0.5] });
      expect(back.coverVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(Number.isNaN(Date.parse(back.created))).toBe(false);
      expect([...back.weights.keys()].sort()).toEqual([...weights.keys()].sort());
      for (const [k, t] of weights) {
        expect(back.weights.get(k)!.shape).toEqual(t.shape);
        expect(back.weights.get(k)!.dataSync()).toEqual(t.dataSync());
      }
    } finally {
      dispose(weights);
      dispose(back.weights);
    }
  });

  it('stores the reference layout under reference names (PyTorch-loadable backbone)', async () => {
    const weights = randomWeights(2);
    try {
      await saveCheckpoint(path.join(dir, 'ck'), { model: tiny, heads, preprocessing, weights });
      const { tensors, metadata } = readSafetensors(path.join(dir, 'ck', 'weights.safetensors'));
      expect(metadata.format).toBe('pt');
      // nn.Linear [out, in]: internal [32, 96] is stored as [96, 32], transposed.
      const qkv = tensors.get('blocks.0.attn.qkv.weight')!;
      expect(qkv.shape).toEqual([96, 32]);
      const internal = weights.get('blocks.0.attn.qkv.weight')!.dataSync();
      expect(qkv.data[5 * 32 + 7]).toBe(internal[7 * 96 + 5]);
      // Conv2d [D, C, p, p]: internal row (i*p + j)*C + c.
      const patch = tensors.get('patch_embed.proj.weight')!;
      expect(patch.shape).toEqual([32, 3, 8, 8]);
      const pInternal = weights.get('patch_embed.proj.weight')!.dataSync();
      const [d, c, i, j] = [9, 2, 3, 5];
      expect(patch.data[((d * 3 + c) * 8 + i) * 8 + j]).toBe(pInternal[((i * 8 + j) * 3 + c) * 32 + d]);
      expect(tensors.get('heads.k400.weight')!.shape).toEqual([3, 32]);
      expect(tensors.get('pos_embed')!.shape).toEqual([1, 17, 32]);
      expect(tensors.has('head.weight')).toBe(false);
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'ck', 'config.json'), 'utf8'));
      expect(config).toMatchObject({ format: 'cover-checkpoint', version: 1, heads: [{ name: 'k400', num_classes: 3, labels: ['a', 'b', 'c'] }, { name: 'imagenet' }] });
      expect(config.model).toMatchObject({ embed_dim: 32, depth: 2, attention_type: 'divided_space_time', img_size: 32 });
    } finally {
      dispose(weights);
    }
  });

  it('replaces an older checkpoint, and refuses to replace a folder that is not one', async () => {
    const ckDir = path.join(dir, 'ck');
    const first = randomWeights(3);
    const second = randomWeights(4);
    try {
      await saveCheckpoint(ckDir, { model: tiny, heads, preprocessing, weights: first });
      await saveCheckpoint(ckDir, { model: tiny, heads, preprocessing, weights: second });
      expect(fs.readdirSync(dir)).toEqual(['ck']);
      const back = await loadCheckpoint(ckDir);
      expect(back.weights.get('cls_token')!.dataSync()).toEqual(second.get('cls_token')!.dataSync());
      dispose(back.weights);

      // A folder whose config.json is someone else's is refused; one holding other files keeps them beside the checkpoint.
      const hf = path.join(dir, 'hf');
      fs.mkdirSync(hf);
      fs.writeFileSync(path.join(hf, 'config.json'), '{"model_type":"timesformer"}');
      await expectCheckpointError(saveCheckpoint(hf, { model: tiny, heads, preprocessing, weights: first }), 'hf: exists and is not a cover checkpoint', /fix: /);
      expect(fs.readdirSync(hf)).toEqual(['config.json']);
      const mine = path.join(dir, 'photos');
      fs.mkdirSync(mine);
      fs.writeFileSync(path.join(mine, 'holiday.jpg'), 'x');
      await saveCheckpoint(mine, { model: tiny, heads, preprocessing, weights: first });
      expect(fs.readdirSync(mine).sort()).toEqual(['config.json', 'holiday.jpg', 'weights.safetensors']);
      // An empty folder is fine.
      const empty = path.join(dir, 'empty');
      fs.mkdirSync(empty);
      await saveCheckpoint(empty, { model: tiny, heads, preprocessing, weights: first });
      expect(fs.readdirSync(empty).sort()).toEqual(['config.json', 'weights.safetensors']);
    } finally {
      dispose(first);
      dispose(second);
    }
  });

  it('checks head names and labels before writing', async () => {
    const weights = randomWeights(5);
    try {
      const bad: Checkpoint = { model: tiny, heads: [{ ...heads[0], labels: ['a'] }, heads[1]], preprocessing, weights };
      await expectCheckpointError(saveCheckpoint(path.join(dir, 'ck'), bad), "head 'k400' has 3 classes but 1 labels");
      expect(fs.existsSync(path.join(dir, 'ck'))).toBe(false);
      // Weights that do not fit the config are a bug in the caller, not a user error.
      weights.get('cls_token')!.dispose();
      weights.delete('cls_token');
      await expect(saveCheckpoint(path.join(dir, 'ck'), { model: tiny, heads, preprocessing, weights })).rejects.toThrow(/1 missing key \(cls_token\)/);
    } finally {
      dispose(weights);
    }
  });

  it('leaks no tensors: save creates none, load creates exactly one per weight', async () => {
    const weights = randomWeights(6);
    const ckDir = path.join(dir, 'ck');
    try {
      await saveCheckpoint(ckDir, { model: tiny, heads, preprocessing, weights }); // burn-in
      let before = tf.memory().numTensors;
      await saveCheckpoint(ckDir, { model: tiny, heads, preprocessing, weights });
      expect(tf.memory().numTensors).toBe(before);

      dispose((await loadCheckpoint(ckDir)).weights); // burn-in
      before = tf.memory().numTensors;
      const back = await loadCheckpoint(ckDir);
      expect(tf.memory().numTensors).toBe(before + weights.size);
      dispose(back.weights);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      dispose(weights);
    }
  });
});

describe('loadCheckpoint is strict', () => {
  let ckDir: string;
  let weightsFile: string;
  beforeEach(async () => {
    ckDir = path.join(dir, 'ck');
    weightsFile = path.join(ckDir, 'weights.safetensors');
    const weights = randomWeights(7);
    await saveCheckpoint(ckDir, { model: tiny, heads, preprocessing, weights });
    dispose(weights);
  });

  it('names every missing, unexpected and mis-shaped key in one line', async () => {
    const { tensors } = readSafetensors(weightsFile);
    tensors.delete('blocks.1.mlp.fc2.bias');
    tensors.delete('heads.imagenet.bias');
    tensors.set('foo', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    tensors.set('pos_embed', { dtype: 'F32', shape: [1, 5, 32], data: new Float32Array(5 * 32) });
    writeSafetensors(weightsFile, tensors);
    const before = tf.memory().numTensors;
    await expectCheckpointError(
      loadCheckpoint(ckDir),
      `${weightsFile}: 2 missing keys (blocks.1.mlp.fc2.bias, heads.imagenet.bias), 1 unexpected key (foo), 1 mis-shaped key (pos_embed: file [1,5,32], model [1,17,32])`,
      /\(fix: the weights do not match config\.json/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('caps long lists at 8 names and says how many more', async () => {
    const { tensors } = readSafetensors(weightsFile);
    for (const k of [...tensors.keys()].filter((k) => k.startsWith('blocks.1.'))) tensors.delete(k);
    writeSafetensors(weightsFile, tensors);
    const line = await expectCheckpointError(loadCheckpoint(ckDir), /20 missing keys \(blocks\.1\.norm1\.weight, .*, and 12 more\)/);
    expect(line.match(/blocks\.1\./g)!.length).toBe(8);
  });

  it('a config.json for another model gives the mismatch, not a crash', async () => {
    const configFile = path.join(ckDir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    config.model.depth = 3;
    config.heads[0].num_classes = 4;
    config.heads[0].labels.push('d');
    fs.writeFileSync(configFile, JSON.stringify(config));
    await expectCheckpointError(loadCheckpoint(ckDir), /20 missing keys \(blocks\.2\./, /2 mis-shaped keys \(heads\.k400\.weight: file \[3,32\], model \[4,32\], heads\.k400\.bias: file \[3\], model \[4\]\)/);
  });

  it('gives one line for a missing folder, config.json or weights file', async () => {
    await expectCheckpointError(loadCheckpoint(path.join(dir, 'nope')), 'nope: no such checkpoint folder');
    await expectCheckpointError(loadCheckpoint(weightsFile), 'weights.safetensors: is a file, not a checkpoint folder');
    fs.rmSync(weightsFile);
    await expectCheckpointError(loadCheckpoint(ckDir), `${weightsFile}: is missing`);
    fs.rmSync(path.join(ckDir, 'config.json'));
    await expectCheckpointError(loadCheckpoint(ckDir), 'config.json: is missing (fix: a checkpoint folder holds config.json and weights.safetensors');
  });

  it('gives one line for bad JSON and for configs that fail validation', async () => {
    const configFile = path.join(ckDir, 'config.json');
    const good = fs.readFileSync(configFile, 'utf8');
    const withConfig = (edit: (c: RawConfig) => void) => {
      const c: RawConfig = JSON.parse(good);
      edit(c);
      fs.writeFileSync(configFile, JSON.stringify(c));
    };
    fs.writeFileSync(configFile, '{"format": "cover-checkpoint", ');
    await expectCheckpointError(loadCheckpoint(ckDir), `${configFile}: is not valid JSON`);
    withConfig((c) => (c.model.num_heads = 5));
    await expectCheckpointError(loadCheckpoint(ckDir), 'config.json: model config field embed_dim=32 is not divisible by num_heads 5 (fix: pick embed_dim');
    withConfig((c) => (c.version = 2));
    await expectCheckpointError(loadCheckpoint(ckDir), 'version 2 is not 1');
    withConfig((c) => (c.preprocessing.std = [0.2, 0, 0.2]));
    await expectCheckpointError(loadCheckpoint(ckDir), 'preprocessing.std has a value <= 0');
    withConfig((c) => delete c.heads);
    await expectCheckpointError(loadCheckpoint(ckDir), 'has no "heads" list');
    withConfig((c) => (c.heads![1].name = 'k400'));
    await expectCheckpointError(loadCheckpoint(ckDir), "head 'k400' appears twice");
  });

  it('bounds every number of config.json: one line naming the key, the value and the limit', async () => {
    const configFile = path.join(ckDir, 'config.json');
    const good = fs.readFileSync(configFile, 'utf8');
    const cases: [(c: RawConfig) => void, string][] = [
      [(c) => (c.model.depth = 1000000), 'model config field depth=1000000 is above the limit 256'],
      [(c) => (c.model.img_size = 800000), 'model config field img_size=800000 is above the limit 2048'],
      [(c) => (c.model.embed_dim = 65536), 'model config field embed_dim=65536 is above the limit 8192'],
      [(c) => (c.model.num_frames = 1e6), 'model config field num_frames=1000000 is above the limit 1024'],
      [(c) => (c.model.mlp_ratio = 1000), 'model config field mlp_ratio=1000 is above the limit 16'],
      [(c) => (c.model.mlp_ratio = '4'), 'model config field mlp_ratio="4" is not a number'],
      [(c) => (c.heads![0].num_classes = 1e8), 'heads[0].num_classes=100000000 is above the limit 100000'],
      [(c) => (c.heads = Array.from({ length: 65 }, (_, i) => ({ ...c.heads![0], name: `h${i}` }))), 'heads has 65 entries, above the limit 64'],
      [(c) => (c.heads![1].labels[0] = 'x'.repeat(1001)), 'heads[1].labels is not a list of strings of at most 1000 characters'],
      [(c) => (c.preprocessing.cropSize = 1e9), 'preprocessing.cropSize=1000000000 is above the limit 2048'],
      [(c) => (c.preprocessing.numFrames = 5000), 'preprocessing.numFrames=5000 is above the limit 1024'],
      [(c) => (c.preprocessing.samplingRate = 1000), 'preprocessing.samplingRate=1000 is above the limit 64'],
      [(c) => (c.preprocessing.targetFps = 1e6), 'preprocessing.targetFps=1000000 is above the limit 1000'],
      [(c) => (c.preprocessing.std = [0.2, 1e-30, 0.2]), 'preprocessing.std=[0.2, 1e-30, 0.2] has a value outside [0.001, 1]'],
      [(c) => (c.preprocessing.mean = [0.4, 114.8, 0.4]), 'preprocessing.mean=[0.4, 114.8, 0.4] has a value outside [0, 1]'],
    ];
    for (const [edit, message] of cases) {
      const c: RawConfig = JSON.parse(good);
      edit(c);
      fs.writeFileSync(configFile, JSON.stringify(c));
      await expectCheckpointError(loadCheckpoint(ckDir), `${configFile}: ${message}`);
    }
  });

  it('refuses a folder that is not a cover checkpoint (the parity fixture)', async () => {
    await expectCheckpointError(
      loadCheckpoint(PARITY_FIXTURE),
      'tiny-a/config.json: format is undefined, not "cover-checkpoint"',
    );
  });

  it('readCheckpointConfig reads labels without touching the weights', () => {
    fs.rmSync(weightsFile);
    const c = readCheckpointConfig(ckDir);
    expect(c.heads.map((h) => h.labels)).toEqual([['a', 'b', 'c'], ['cat', 'dog']]);
    expect(c.model.depth).toBe(2);
  });
});

test("config.json's sampling rate is held to the bound --sampling-rate has", () => {
  expect(CONFIG_LIMITS.samplingRate).toBe(RUN_LIMITS.maxSamplingRate);
});
