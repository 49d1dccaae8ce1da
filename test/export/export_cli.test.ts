// `cover export` through the built CLI (run `npm run build` first) on tiny-preset checkpoints with random weights:
// the files of each format, their keys and shapes against the lists from Hugging Face's and the reference's modeling
// code (test/fixtures/export/), the .pth read back by PyTorch itself, the round trip (export -> cover's importer ->
// identical logits), and the one-line errors.
//
// How Hugging Face loading is checked without network access: transformers cannot be installed by CI or a plain clone's
// set-up (no network, no Debian package), so no test calls from_pretrained. from_pretrained loads a folder with no
// missing or unexpected keys exactly when the safetensors keys and shapes equal TimesformerForVideoClassification(config)
// .state_dict()'s, which are test/fixtures/export/hf-tiny-keys.txt (written from modeling_timesformer.py at the commit its
// header names); config.json must give every TimesformerConfig argument (hf-config-fields.txt) and the safetensors
// metadata must say format "pt" (transformers 4.x refuses the file otherwise). The values are checked by the round trip,
// whose importer reads HF's names with the same key map cover imports Hugging Face checkpoints with. Once, by hand (not
// repeatable in CI), transformers 5.18.0 under torch 2.14.1, installed from wheels found on the development machine,
// loaded tiny (divided, joint, no-qkv-bias 3-frame) and base 8x224/400-class exports with no missing, unexpected or
// mismatched keys, and its logits matched cover's to 1.2e-7; that run is why drop_path_rate is written as 0 (transformers
// 5 declares it int and refused 0.1). The reference vit.py (a5ef29a) likewise loaded model.pth with strict=True and
// matched cover's logits to 1.5e-7.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../../src/checkpoint/load_model';
import { importWeights } from '../../src/checkpoint/import';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { saveCheckpoint } from '../../src/checkpoint/checkpoint';
import { getPreset } from '../../src/config/presets';
import { TimeSformer } from '../../src/model/timesformer';
import { randomClips, randomizeWeights, useBackend } from '../helpers/tf';
import { TINY_PREPROCESSING, tinyCheckpoint } from '../helpers/tiny_checkpoint';
import { aliasTensors, poisonWeights } from '../checkpoint/poison';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const FIXTURES = path.resolve(__dirname, '../fixtures/export');
const PYTHON = '/usr/bin/python3';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-export-'));
const ck = path.join(tmp, 'ck'); // heads k400 (4 classes, synset ids with display names) and ssv2 (3 classes)
const ckOne = path.join(tmp, 'ck-one'); // one head
const ckSpace = path.join(tmp, 'ck-space'); // space_only, one head

const K400 = { name: 'k400', numClasses: 4, labels: ['n01', 'n02', 'n03', 'n04'], displayNames: ['tench, Tinca tinca', 'goldfish', 'crane', 'crane'] };
const SSV2 = { name: 'ssv2', numClasses: 3, labels: ['pushing', 'pulling', 'holding'] };

/** Debian's PyTorch for /usr/bin/python3; CI (COVER_EXPECT_TORCH=1) installs it, so there the test must run, not skip. */
const torchPython = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const withTorch = torchPython || process.env.COVER_EXPECT_TORCH === '1' ? test : test.skip;

function cover(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user mistake: exit 2 and exactly one line on stderr, no stack trace. */
function expectOneLineError(r: ReturnType<typeof cover>, line: string | RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(r.status).toBe(2);
}

/** `key [shape]` lines of a fixture (comments left out). */
function fixture(name: string): string[] {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
}

function safetensorsLines(file: string): string[] {
  return [...readSafetensors(file).tensors].map(([k, t]) => `${k} [${t.shape.join(',')}]`);
}

/** The checkpoint's tensor that export key `k` comes from (the head's under heads.k400.*). */
function sourceOf(k: string): string {
  return k.replace(/^(head|classifier)\./, 'heads.k400.');
}

/** Logits of head k400 for `x`: the checkpoint loaded by cover, and a model built from imported weights. */
async function logitsOf(model: TimeSformer, x: tf.Tensor): Promise<Float32Array> {
  const out = model.forward(x, ['k400']);
  const data = (await out.get('k400')!.data()) as Float32Array;
  out.forEach((t) => t.dispose());
  return data;
}

beforeAll(async () => {
  await useBackend('cpu');
  await tinyCheckpoint(ck, [K400, SSV2], { seed: 5 });
  await tinyCheckpoint(ckOne, [{ name: 'k400', numClasses: 4, labels: ['a', 'b', 'c', 'd'] }], { seed: 6 });
  const space = new TimeSformer({ ...getPreset('tiny'), attentionType: 'space_only' }, [SSV2], 1);
  try {
    randomizeWeights(space, 2);
    await saveCheckpoint(ckSpace, { model: space.config, heads: [SSV2], preprocessing: TINY_PREPROCESSING, weights: space.namedWeights() });
  } finally {
    space.dispose();
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cover export --format hf', () => {
  const out = path.join(tmp, 'hf');
  let r: ReturnType<typeof cover>;
  beforeAll(() => {
    r = cover('export', ck, '--format', 'hf', '--head', 'k400', '--out', out);
  });

  it('writes config.json, preprocessor_config.json and model.safetensors and says what does not carry over', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `exported head k400 (4 classes) of ${ck} as a Hugging Face TimesformerForVideoClassification folder: ${out}`,
        '  config.json, preprocessor_config.json, model.safetensors, cover_export.json (49 tensors, 43,108 parameters)',
        'note: head ssv2 (3 classes) not exported: a TimesformerForVideoClassification has one classifier (export each with --head into its own --out)',
        "note: HF's TimesformerLayer reshapes by config.json's num_frames and image_size: give it exactly 2 frames of 32x32 (cover and the reference resize their embeddings for other sizes)",
        "note: preprocessor_config.json resizes, crops and normalises one view as cover evaluates it (mean [0.45, 0.45, 0.45], std [0.225, 0.225, 0.225], 32x32); which frames to take is the caller's: cover takes 2 frames 4 apart at 30 fps",
        `load: TimesformerForVideoClassification.from_pretrained("${out}")`,
        '',
      ].join('\n'),
    );
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'cover_export.json', 'model.safetensors', 'preprocessor_config.json']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'preprocessor_config.json'), 'utf8'))).toEqual({
      image_processor_type: 'VideoMAEImageProcessor',
      do_resize: true,
      size: { shortest_edge: 32 },
      resample: 2,
      do_center_crop: true,
      crop_size: { height: 32, width: 32 },
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: [0.45, 0.45, 0.45],
      image_std: [0.225, 0.225, 0.225],
    });
  });

  it("model.safetensors has exactly HF's keys and shapes, format pt, and the checkpoint's values", () => {
    expect(safetensorsLines(path.join(out, 'model.safetensors')).sort()).toEqual(fixture('hf-tiny-keys.txt').sort());
    const { tensors, metadata } = readSafetensors(path.join(out, 'model.safetensors'));
    expect(metadata.format).toBe('pt');
    const src = readSafetensors(path.join(ck, 'weights.safetensors')).tensors;
    expect(tensors.get('timesformer.encoder.layer.1.temporal_dense.weight')!.data).toEqual(src.get('blocks.1.temporal_fc.weight')!.data);
    expect(tensors.get('timesformer.embeddings.patch_embeddings.projection.weight')!.data).toEqual(src.get('patch_embed.proj.weight')!.data);
    expect(tensors.get('classifier.bias')!.data).toEqual(src.get('heads.k400.bias')!.data);
  });

  it('config.json describes the model and labels the classes with their display names', () => {
    const c = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(c).toMatchObject({
      model_type: 'timesformer',
      architectures: ['TimesformerForVideoClassification'],
      image_size: 32,
      patch_size: 8,
      num_frames: 2,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 128,
      attention_type: 'divided_space_time',
      layer_norm_eps: 1e-6,
      id2label: { '0': 'tench', '1': 'goldfish', '2': 'crane (n03)', '3': 'crane (n04)' },
      label2id: { tench: 0, goldfish: 1, 'crane (n03)': 2, 'crane (n04)': 3 },
    });
  });

  it("round trip: cover's importer reads the folder back and the logits are identical to the checkpoint's", async () => {
    const { model: original, checkpoint } = await loadModel(ck);
    const { weights } = await importWeights(out, { model: checkpoint.model, heads: [{ name: 'k400', numClasses: 4 }] });
    const back = new TimeSformer(checkpoint.model, [K400]);
    const x = randomClips(2, 2, 32, 11);
    try {
      back.params.assign(weights);
      const a = await logitsOf(original, x);
      const b = await logitsOf(back, x);
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      weights.forEach((t) => t.dispose());
      x.dispose();
      original.dispose();
      back.dispose();
    }
  });
});

describe('cover export --format timesformer', () => {
  const out = path.join(tmp, 'ref');
  let r: ReturnType<typeof cover>;
  beforeAll(() => {
    r = cover('export', ckOne, '--format', 'timesformer', '--out', out); // the only head is the default
  });

  it('writes model.pth, model.safetensors and config.json, and says how to load them', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `exported head k400 (4 classes) of ${ckOne} as the reference TimeSformer's VisionTransformer state_dict: ${out}`,
        '  config.json, model.safetensors, model.pth, cover_export.json (49 tensors, 43,108 parameters)',
        `load: VisionTransformer(**json.load(open("${out}/config.json"))["kwargs"], norm_layer=partial(nn.LayerNorm, eps=0.000001))` +
          `.load_state_dict(torch.load("${out}/model.pth", map_location="cpu", weights_only=True), strict=True)`,
        '',
      ].join('\n'),
    );
    expect(safetensorsLines(path.join(out, 'model.safetensors')).sort()).toEqual(fixture('timesformer-tiny-keys.txt').sort());
  });

  withTorch('torch.load reads model.pth (weights_only too) with exactly the reference keys, in order, shapes and values', () => {
    const script = [
      'import json, sys, torch',
      'sd = torch.load(sys.argv[1])',
      'safe = torch.load(sys.argv[1], weights_only=True)',
      'assert list(safe) == list(sd) and all(torch.equal(safe[k], sd[k]) for k in sd)',
      'print(json.dumps({"type": type(sd).__name__, "keys": [f"{k} [{\',\'.join(str(s) for s in v.shape)}]" for k, v in sd.items()],',
      '  "dtypes": sorted({str(v.dtype) for v in sd.values()}), "values": {k: v.flatten().tolist() for k, v in sd.items()}}))',
    ].join('\n');
    const py = spawnSync(PYTHON, ['-c', script, path.join(out, 'model.pth')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const got = JSON.parse(py.stdout) as { type: string; keys: string[]; dtypes: string[]; values: Record<string, number[]> };
    expect(got.type).toBe('OrderedDict');
    expect(got.keys).toEqual(fixture('timesformer-tiny-keys.txt'));
    expect(got.dtypes).toEqual(['torch.float32']);
    const src = readSafetensors(path.join(ckOne, 'weights.safetensors')).tensors;
    for (const [k, v] of Object.entries(got.values)) expect(v).toEqual(Array.from(src.get(sourceOf(k))!.data));
  });

  it("round trip: cover's importer reads the folder back and the logits are identical to the checkpoint's", async () => {
    const { model: original, checkpoint } = await loadModel(ckOne);
    const { weights, report } = await importWeights(out, { model: checkpoint.model, heads: [{ name: 'k400', numClasses: 4 }] });
    const back = new TimeSformer(checkpoint.model, checkpoint.heads);
    const x = randomClips(2, 2, 32, 12);
    try {
      expect(report.source).toBe('timesformer');
      expect(report.initialised).toEqual([]);
      back.params.assign(weights);
      expect(Array.from(await logitsOf(back, x))).toEqual(Array.from(await logitsOf(original, x)));
    } finally {
      weights.forEach((t) => t.dispose());
      x.dispose();
      original.dispose();
      back.dispose();
    }
  });
});

describe('cover export: the out folder', () => {
  it('refuses a folder holding an export, replaces it with --overwrite (and only its files), never a foreign file', () => {
    const out = path.join(tmp, 'again');
    expect(cover('export', ckOne, '--format', 'timesformer', '--out', out).status).toBe(0);
    fs.writeFileSync(path.join(out, 'NOTES.md'), 'mine\n');
    expectOneLineError(
      cover('export', ckOne, '--format', 'hf', '--out', out),
      `cover: error: ${out}: already holds a cover export (timesformer of head k400 from ${ckOne}) (fix: replace it with --overwrite, or choose another --out)`,
    );
    const r = cover('export', ckOne, '--format', 'hf', '--out', out, '--overwrite');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['NOTES.md', 'config.json', 'cover_export.json', 'model.safetensors', 'preprocessor_config.json']); // model.pth went with its export

    const mine = path.join(tmp, 'mine');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'config.json'), '{}\n');
    expectOneLineError(cover('export', ckOne, '--format', 'hf', '--out', mine), `cover: error: ${mine}: is not empty (config.json) (fix: choose a new or empty --out)`);
    expectOneLineError(
      cover('export', ckOne, '--format', 'hf', '--out', mine, '--overwrite'),
      `cover: error: ${mine}/config.json: exists and was not written by cover export, so --overwrite will not replace it (fix: choose another --out)`,
    );
    expect(fs.readFileSync(path.join(mine, 'config.json'), 'utf8')).toBe('{}\n');
  });
});

describe('cover export: one-line errors', () => {
  it('asks for --head when the checkpoint has several, and lists the heads when it has none of that name', () => {
    expectOneLineError(cover('export', ck, '--format', 'hf', '--out', path.join(tmp, 'x1')), `cover: error: ${ck}: has 2 heads (k400, ssv2): one becomes the classifier (fix: give --head NAME, one of k400, ssv2)`);
    expectOneLineError(cover('export', ck, '--format', 'hf', '--head', 'mit', '--out', path.join(tmp, 'x2')), `cover: error: ${ck}: has no head named 'mit' (fix: give --head one of k400, ssv2)`);
    expect(fs.existsSync(path.join(tmp, 'x1')) || fs.existsSync(path.join(tmp, 'x2'))).toBe(false);
  });

  it('refuses an hf export of a space_only model, an unknown format and a missing --out', () => {
    expectOneLineError(
      cover('export', ckSpace, '--format', 'hf', '--out', path.join(tmp, 'x3')),
      `cover: error: ${ckSpace}: a space_only model has no Hugging Face export: HF's TimesformerModel does not average its frames, so its logits would be per frame (fix: use --format timesformer)`,
    );
    expectOneLineError(cover('export', ck, '--format', 'onnx', '--out', path.join(tmp, 'x4')), "cover: error: --format takes one of hf, timesformer, got 'onnx'");
    expectOneLineError(cover('export', ck, '--format', 'hf'), /^cover: error: required option '--out <dir>' not specified \(fix: see cover export --help\)$/);
    expectOneLineError(cover('export', path.join(tmp, 'none'), '--format', 'hf', '--out', path.join(tmp, 'x5')), /^cover: error: .*none: no such checkpoint folder/);
  });

  it('refuses weights holding NaN or Inf, naming them; --allow-nonfinite exports them and says so once on stderr', () => {
    const bad = path.join(tmp, 'ck-nan');
    fs.cpSync(ckOne, bad, { recursive: true });
    poisonWeights(bad, { 'blocks.0.attn.qkv.weight': Array<number>(12).fill(NaN), 'heads.k400.bias': [Infinity] });
    const what = `${bad}/weights.safetensors: weights are not finite: blocks.0.attn.qkv.weight has 12 NaN, heads.k400.bias 1 Inf`;
    const out = path.join(tmp, 'x-nan');
    expectOneLineError(cover('export', bad, '--format', 'hf', '--out', out), new RegExp(`^cover: error: ${what} \\(fix: .*--allow-nonfinite to go on anyway\\)$`));
    expect(fs.existsSync(out)).toBe(false);

    const r = cover('export', bad, '--format', 'hf', '--out', out, '--allow-nonfinite', '--json');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`cover: warning: ${what}; going on (--allow-nonfinite)\n`);
    expect(JSON.parse(r.stdout).nonFiniteWeights.values).toBe(13);
    expect(readSafetensors(path.join(out, 'model.safetensors')).tensors.get('classifier.bias')!.data[0]).toBe(Infinity);

    // NaN in a head that is not exported does not reach the exported model.
    const other = path.join(tmp, 'ck-nan-ssv2');
    fs.cpSync(ck, other, { recursive: true });
    poisonWeights(other, { 'heads.ssv2.weight': [NaN] });
    const ok = cover('export', other, '--format', 'hf', '--head', 'k400', '--out', path.join(tmp, 'x-nan-ssv2'));
    expect([ok.status, ok.stderr]).toEqual([0, '']);
  });

  it('refuses a weights file whose tensors share bytes, naming both', () => {
    const bad = path.join(tmp, 'ck-alias');
    fs.cpSync(ckOne, bad, { recursive: true });
    aliasTensors(path.join(bad, 'weights.safetensors'), 'blocks.0.norm1.bias', 'blocks.0.norm1.weight');
    expectOneLineError(
      cover('export', bad, '--format', 'hf', '--out', path.join(tmp, 'x-alias')),
      /^cover: error: .*ck-alias\/weights\.safetensors: tensors blocks\.0\.norm1\.bias and blocks\.0\.norm1\.weight overlap: data_offsets \[(\d+), (\d+)\] and \[\1, \2\] \(fix: /,
    );
  });

  it('a space_only model exports as the reference state_dict', () => {
    const out = path.join(tmp, 'space');
    const r = cover('export', ckSpace, '--format', 'timesformer', '--out', out);
    expect(r.status).toBe(0);
    const keys = [...readSafetensors(path.join(out, 'model.safetensors')).tensors.keys()];
    expect(keys.some((k) => k === 'time_embed' || k.includes('temporal'))).toBe(false);
    expect(keys).toContain('head.weight');
  });
});
