import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PARITY_FIXTURE } from '../helpers/fixtures';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { saveCheckpoint } from '../../src/checkpoint/checkpoint';
import { ImportResult, importWeights } from '../../src/checkpoint/import';
import { initTensor, paramSeed } from '../../src/model/init';
import { detectSource } from '../../src/checkpoint/key_maps';
import { SafetensorsTensor, readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors';
import { ModelConfig, modelConfigFromJson } from '../../src/config/model_config';
import { CheckpointError, UsageError } from '../../src/errors';
import { backboneParamSpecs } from '../../src/model/param_spec';
import { refusalLine } from '../helpers/one_line';

const FIXTURE_DIR = PARITY_FIXTURE;
const FIXTURE = path.join(FIXTURE_DIR, 'weights.safetensors');
// D 48, depth 2, 3 heads, 8 px patches of 32 px frames (4x4 grid), T 4, 5 classes.
const cfg = modelConfigFromJson(JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8')));
const D = 48;
const target = { model: cfg, heads: [{ name: 'default', numClasses: 5 }] };
const ref = readSafetensors(FIXTURE).tensors;

let dir: string;
beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in test output
  await tf.setBackend('cpu');
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-import-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function dispose(r: ImportResult): void {
  r.weights.forEach((t) => t.dispose());
}

function save(name: string, tensors: Map<string, SafetensorsTensor>): string {
  const file = path.join(dir, name);
  writeSafetensors(file, tensors);
  return file;
}

/** A new tensor map with keys renamed (null = leave out). */
function renamed(rename: (k: string) => string | null, from = ref): Map<string, SafetensorsTensor> {
  const out = new Map<string, SafetensorsTensor>();
  for (const [k, t] of from) {
    const n = rename(k);
    if (n !== null) out.set(n, t);
  }
  return out;
}

/** Row r of a reference [rows, cols] matrix. */
function refAt(name: string, r: number, c: number): number {
  const t = ref.get(name)!;
  return t.data[r * t.shape[1] + c];
}

async function expectError(p: Promise<unknown>, type: typeof CheckpointError | typeof UsageError, ...parts: (string | RegExp)[]): Promise<string> {
  const before = tf.memory().numTensors;
  const line = await refusalLine(p, type);
  for (const part of parts) expect(line).toMatch(part);
  expect(tf.memory().numTensors).toBe(before); // nothing allocated when the import fails
  return line;
}

// Hugging Face's names, spelled out as transformers' convert_timesformer_to_pytorch.py rename_key produces them.
function hfTimesformerName(k: string): string {
  const top: Record<string, string> = {
    cls_token: 'timesformer.embeddings.cls_token',
    pos_embed: 'timesformer.embeddings.position_embeddings',
    time_embed: 'timesformer.embeddings.time_embeddings',
    'patch_embed.proj.weight': 'timesformer.embeddings.patch_embeddings.projection.weight',
    'patch_embed.proj.bias': 'timesformer.embeddings.patch_embeddings.projection.bias',
    'norm.weight': 'timesformer.layernorm.weight',
    'norm.bias': 'timesformer.layernorm.bias',
    'head.weight': 'classifier.weight',
    'head.bias': 'classifier.bias',
  };
  if (top[k]) return top[k];
  return k
    .replace(/^blocks\./, 'timesformer.encoder.layer.')
    .replace('.temporal_attn.qkv.', '.temporal_attention.attention.qkv.')
    .replace('.temporal_attn.proj.', '.temporal_attention.output.dense.')
    .replace('.temporal_norm1.', '.temporal_layernorm.')
    .replace('.temporal_fc.', '.temporal_dense.')
    .replace('.attn.qkv.', '.attention.attention.qkv.')
    .replace('.attn.proj.', '.attention.output.dense.')
    .replace('.norm1.', '.layernorm_before.')
    .replace('.norm2.', '.layernorm_after.')
    .replace('.mlp.fc1.', '.intermediate.dense.')
    .replace('.mlp.fc2.', '.output.dense.');
}

const isTemporal = (k: string) => k === 'time_embed' || /\.temporal_/.test(k);

describe('importWeights: reference TimeSformer (the parity fixture)', () => {
  it('copies every parameter into the internal layout', async () => {
    const r = await importWeights(FIXTURE, target);
    try {
      expect(r.report.source).toBe('timesformer');
      expect(r.report.copied.length).toBe(ref.size);
      expect(r.report.seeded).toEqual([]);
      expect(r.report.initialised).toEqual([]);
      expect(r.report.dropped).toEqual([]);
      expect(r.report.resized).toEqual([]);
      expect(r.weights.size).toBe(ref.size);
      // A linear weight: file [144, 48] [out, in] -> [48, 144] [in, out].
      const qkv = r.weights.get('blocks.1.temporal_attn.qkv.weight')!;
      expect(qkv.shape).toEqual([48, 144]);
      const q = qkv.dataSync();
      for (const [o, i] of [[0, 0], [143, 47], [17, 30], [100, 2]]) expect(q[i * 144 + o]).toBe(refAt('blocks.1.temporal_attn.qkv.weight', o, i));
      // The patch projection: [48, 3, 8, 8] -> [8*8*3, 48], row (i*8 + j)*3 + c.
      const patch = r.weights.get('patch_embed.proj.weight')!;
      expect(patch.shape).toEqual([192, 48]);
      expect(patch.dataSync()[((3 * 8 + 7) * 3 + 2) * 48 + 5]).toBe(ref.get('patch_embed.proj.weight')!.data[((5 * 3 + 2) * 8 + 3) * 8 + 7]);
      // The head becomes the only target head, transposed.
      expect(r.weights.get('heads.default.weight')!.shape).toEqual([48, 5]);
      expect(r.weights.get('heads.default.weight')!.dataSync()[7 * 5 + 3]).toBe(refAt('head.weight', 3, 7));
      expect(r.weights.get('heads.default.bias')!.dataSync()).toEqual(ref.get('head.bias')!.data);
      expect(r.weights.get('time_embed')!.dataSync()).toEqual(ref.get('time_embed')!.data);
    } finally {
      dispose(r);
    }
  });

  it('accepts the reference repo prefix `model.` and a folder holding weights.safetensors', async () => {
    const file = save('prefixed.safetensors', renamed((k) => `model.${k}`));
    expect(detectSource([...readSafetensors(file).tensors.keys()])).toBe('timesformer');
    const a = await importWeights(file, target);
    const b = await importWeights(FIXTURE_DIR, target, { source: 'timesformer' });
    try {
      expect(b.report.file).toBe(FIXTURE);
      for (const [k, t] of a.weights) expect(t.dataSync()).toEqual(b.weights.get(k)!.dataSync());
    } finally {
      dispose(a);
      dispose(b);
    }
  });

  it('leaks nothing: one tensor per target parameter, all freed by the caller', async () => {
    dispose(await importWeights(FIXTURE, target)); // burn-in
    const before = tf.memory().numTensors;
    const r = await importWeights(FIXTURE, target);
    expect(tf.memory().numTensors).toBe(before + r.weights.size);
    dispose(r);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('drops a head of another class count and initialises the target head', async () => {
    const r = await importWeights(FIXTURE, { model: cfg, heads: [{ name: 'k400', numClasses: 7 }] }, { seed: 3 });
    try {
      expect(r.report.dropped).toEqual(['head.weight', 'head.bias']);
      expect(r.report.notes.join('\n')).toMatch("head.weight, head.bias: 5 classes, head 'k400' has 7");
      expect(r.report.initialised).toEqual(['heads.k400.weight', 'heads.k400.bias']);
      expect(r.weights.get('heads.k400.weight')!.shape).toEqual([48, 7]);
      expect(Array.from(r.weights.get('heads.k400.bias')!.dataSync())).toEqual(new Array(7).fill(0));
    } finally {
      dispose(r);
    }
  });

  it('gives the classifier to the named head among several', async () => {
    const heads = [
      { name: 'ssv2', numClasses: 5 },
      { name: 'k400', numClasses: 5 },
    ];
    const r = await importWeights(FIXTURE, { model: cfg, heads }, { headName: 'k400' });
    try {
      expect(r.report.copied).toContain('heads.k400.weight');
      expect(r.report.initialised).toEqual(['heads.ssv2.weight', 'heads.ssv2.bias']);
    } finally {
      dispose(r);
    }
    const unnamed = await importWeights(FIXTURE, { model: cfg, heads });
    try {
      expect(unnamed.report.dropped).toEqual(['head.weight', 'head.bias']);
      expect(unnamed.report.notes.join('\n')).toMatch('no head was named to receive it (heads: ssv2, k400)');
    } finally {
      dispose(unnamed);
    }
    await expectError(importWeights(FIXTURE, { model: cfg, heads }, { headName: 'mit' }), UsageError, "no head named 'mit' in the target model (fix: use one of ssv2, k400)");
  });

  it('resizes pos_embed to another patch grid (2-D nearest) and time_embed to another frame count', async () => {
    const big: ModelConfig = { ...cfg, imgSize: 64, numFrames: 8 }; // 8x8 grid, 8 frames
    const r = await importWeights(FIXTURE, { model: big, heads: target.heads });
    try {
      expect(r.report.resized.sort()).toEqual(['pos_embed', 'time_embed']);
      const pos = r.weights.get('pos_embed')!;
      expect(pos.shape).toEqual([1, 65, 48]);
      const p = pos.dataSync();
      const src = ref.get('pos_embed')!.data;
      expect(Array.from(p.subarray(0, D))).toEqual(Array.from(src.subarray(0, D))); // CLS kept
      for (const [y, x] of [[0, 0], [7, 7], [3, 6], [5, 1]]) {
        const from = 1 + (y >> 1) * 4 + (x >> 1);
        expect(Array.from(p.subarray((1 + y * 8 + x) * D, (2 + y * 8 + x) * D))).toEqual(Array.from(src.subarray(from * D, (from + 1) * D)));
      }
      const te = r.weights.get('time_embed')!.dataSync();
      for (let t = 0; t < 8; t++) expect(te[t * D + 11]).toBe(ref.get('time_embed')!.data[(t >> 1) * D + 11]);
    } finally {
      dispose(r);
    }
  });

  it('names every missing, unexpected and mis-shaped key in one line', async () => {
    const broken = renamed((k) => (k === 'blocks.0.norm2.bias' || k === 'norm.weight' ? null : k));
    broken.set('blocks.0.extra.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
    broken.set('blocks.1.mlp.fc1.weight', { dtype: 'F32', shape: [96, 48], data: new Float32Array(96 * 48) });
    const file = save('broken.safetensors', broken);
    await expectError(
      importWeights(file, target),
      CheckpointError,
      `${file}: as timesformer weights: 2 missing keys (blocks.0.norm2.bias, norm.weight), 1 unexpected key (blocks.0.extra.weight), 1 mis-shaped key (blocks.1.mlp.fc1.weight: file [96,48], model [192,48])`,
      /fix: the file looks like depth 2, embed_dim 48; the target is depth 2, embed_dim 48/,
    );
  });

  it('refuses a model of another depth or attention type, naming the keys', async () => {
    await expectError(importWeights(FIXTURE, { model: { ...cfg, depth: 3 }, heads: target.heads }), CheckpointError, /20 missing keys \(blocks\.2\.norm1\.weight, .*and 12 more\)/);
    await expectError(
      importWeights(FIXTURE, { model: { ...cfg, attentionType: 'space_only' }, heads: target.heads }),
      CheckpointError,
      /17 unexpected keys \(time_embed, blocks\.0\.temporal_norm1\.weight/,
      /space_only/,
    );
  });
});

describe('importWeights: Hugging Face TimesformerForVideoClassification', () => {
  it('maps every HF name onto the reference parameter', async () => {
    const file = save('model.safetensors', renamed(hfTimesformerName));
    const hf = await importWeights(dir, target); // a folder holding model.safetensors, source auto-detected
    const direct = await importWeights(FIXTURE, target);
    try {
      expect(hf.report.source).toBe('hf-timesformer');
      expect(hf.report.file).toBe(file);
      expect(hf.report.copied.length).toBe(ref.size);
      for (const [k, t] of direct.weights) expect(hf.weights.get(k)!.dataSync()).toEqual(t.dataSync());
    } finally {
      dispose(hf);
      dispose(direct);
    }
  });

  it('names missing HF keys by their HF names', async () => {
    const file = save('hf.safetensors', renamed((k) => (k === 'blocks.1.temporal_fc.bias' ? null : hfTimesformerName(k))));
    await expectError(importWeights(file, target), CheckpointError, '1 missing key (timesformer.encoder.layer.1.temporal_dense.bias)');
  });
});

describe('importWeights: image ViT weights into the video model', () => {
  // A timm ViT with the fixture's non-temporal weights, plus timm's in21k pre-logits layer.
  function timmVit(): Map<string, SafetensorsTensor> {
    const m = renamed((k) => (isTemporal(k) ? null : k));
    m.set('pre_logits.fc.weight', { dtype: 'F32', shape: [48, 48], data: new Float32Array(48 * 48) });
    m.set('pre_logits.fc.bias', { dtype: 'F32', shape: [48], data: new Float32Array(48) });
    return m;
  }

  it('timm: copies the spatial parameters, seeds temporal_attn/temporal_norm1 from attn/norm1, zeroes temporal_fc and time_embed', async () => {
    const file = save('vit.safetensors', timmVit());
    const r = await importWeights(file, target);
    try {
      expect(r.report.source).toBe('timm-vit');
      expect(r.report.seeded.sort()).toEqual(
        [0, 1].flatMap((b) => ['attn.proj.bias', 'attn.proj.weight', 'attn.qkv.bias', 'attn.qkv.weight', 'norm1.bias', 'norm1.weight'].map((s) => `blocks.${b}.temporal_${s}`)).sort(),
      );
      expect(r.report.initialised.sort()).toEqual(['blocks.0.temporal_fc.bias', 'blocks.0.temporal_fc.weight', 'blocks.1.temporal_fc.bias', 'blocks.1.temporal_fc.weight', 'time_embed']);
      expect(r.report.dropped).toEqual(['pre_logits.fc.bias', 'pre_logits.fc.weight']); // file order (sorted)
      expect(r.report.copied).toContain('heads.default.weight');
      const all = [...r.report.copied, ...r.report.seeded, ...r.report.initialised].sort();
      expect(all).toEqual([...r.weights.keys()].sort());
      for (const b of [0, 1]) {
        expect(r.weights.get(`blocks.${b}.temporal_attn.qkv.weight`)!.dataSync()).toEqual(r.weights.get(`blocks.${b}.attn.qkv.weight`)!.dataSync());
        expect(r.weights.get(`blocks.${b}.temporal_attn.proj.bias`)!.dataSync()).toEqual(ref.get(`blocks.${b}.attn.proj.bias`)!.data);
        expect(r.weights.get(`blocks.${b}.temporal_norm1.weight`)!.dataSync()).toEqual(ref.get(`blocks.${b}.norm1.weight`)!.data);
        expect(Math.max(...Array.from(r.weights.get(`blocks.${b}.temporal_fc.weight`)!.dataSync()).map(Math.abs))).toBe(0);
      }
      expect(r.weights.get('time_embed')!.shape).toEqual([1, 4, 48]);
      expect(Math.max(...Array.from(r.weights.get('time_embed')!.dataSync()).map(Math.abs))).toBe(0);
      expect(r.weights.get('blocks.1.mlp.fc2.weight')!.dataSync()[100 * 48 + 9]).toBe(refAt('blocks.1.mlp.fc2.weight', 9, 100));
    } finally {
      dispose(r);
    }
  });

  it('timm: an unknown key is an error, not silently ignored', async () => {
    const m = timmVit();
    m.set('fc_norm.weight', { dtype: 'F32', shape: [48], data: new Float32Array(48) });
    await expectError(importWeights(save('v.safetensors', m), target), CheckpointError, 'as timm-vit weights: 1 unexpected key (fc_norm.weight)');
  });

  it('Hugging Face ViT: concatenates query|key|value into qkv and drops the pooler', async () => {
    const m = new Map<string, SafetensorsTensor>();
    for (const [k, t] of ref) {
      if (isTemporal(k)) continue;
      const qkv = /^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$/.exec(k);
      if (qkv) {
        // Split as transformers' convert_vit_timm_to_pytorch.py read_in_q_k_v does: rows [0, D) q, [D, 2D) k, [2D, 3D) v.
        const per = t.data.length / 3;
        ['query', 'key', 'value'].forEach((name, i) =>
          m.set(`vit.encoder.layer.${qkv[1]}.attention.attention.${name}.${qkv[2]}`, {
            dtype: 'F32',
            shape: [D, ...t.shape.slice(1)],
            data: t.data.slice(i * per, (i + 1) * per),
          }),
        );
        continue;
      }
      const name = k
        .replace('cls_token', 'vit.embeddings.cls_token')
        .replace('pos_embed', 'vit.embeddings.position_embeddings')
        .replace('patch_embed.proj.', 'vit.embeddings.patch_embeddings.projection.')
        .replace(/^norm\./, 'vit.layernorm.')
        .replace(/^head\./, 'classifier.')
        .replace(/^blocks\.(\d+)\.norm1\./, 'vit.encoder.layer.$1.layernorm_before.')
        .replace(/^blocks\.(\d+)\.norm2\./, 'vit.encoder.layer.$1.layernorm_after.')
        .replace(/^blocks\.(\d+)\.attn\.proj\./, 'vit.encoder.layer.$1.attention.output.dense.')
        .replace(/^blocks\.(\d+)\.mlp\.fc1\./, 'vit.encoder.layer.$1.intermediate.dense.')
        .replace(/^blocks\.(\d+)\.mlp\.fc2\./, 'vit.encoder.layer.$1.output.dense.');
      m.set(name, t);
    }
    m.set('vit.pooler.dense.weight', { dtype: 'F32', shape: [48, 48], data: new Float32Array(48 * 48) });
    m.set('vit.pooler.dense.bias', { dtype: 'F32', shape: [48], data: new Float32Array(48) });
    const r = await importWeights(save('hfvit.safetensors', m), target);
    try {
      expect(r.report.source).toBe('hf-vit');
      expect(r.report.dropped).toEqual(['vit.pooler.dense.bias', 'vit.pooler.dense.weight']);
      // Recombined qkv equals the fixture's fused qkv exactly (so the order is q|k|v).
      for (const b of [0, 1]) {
        const qkv = r.weights.get(`blocks.${b}.attn.qkv.weight`)!.dataSync();
        for (const [o, i] of [[0, 0], [47, 1], [48, 5], [95, 40], [96, 3], [143, 47]]) expect(qkv[i * 144 + o]).toBe(refAt(`blocks.${b}.attn.qkv.weight`, o, i));
        expect(r.weights.get(`blocks.${b}.attn.qkv.bias`)!.dataSync()).toEqual(ref.get(`blocks.${b}.attn.qkv.bias`)!.data);
        expect(r.weights.get(`blocks.${b}.temporal_attn.qkv.bias`)!.dataSync()).toEqual(ref.get(`blocks.${b}.attn.qkv.bias`)!.data);
      }
      expect(r.weights.get('heads.default.bias')!.dataSync()).toEqual(ref.get('head.bias')!.data);
    } finally {
      dispose(r);
    }

    // A bare ViTModel (no `vit.` prefix, no classifier): the head is initialised; a missing value projection is named.
    const bare = renamed((k) => (k.startsWith('classifier.') ? null : k.replace(/^vit\./, '')), m);
    const r2 = await importWeights(save('vitmodel.safetensors', bare), target);
    try {
      expect(r2.report.source).toBe('hf-vit');
      expect(r2.report.initialised.sort()).toEqual(
        ['blocks.0.temporal_fc.bias', 'blocks.0.temporal_fc.weight', 'blocks.1.temporal_fc.bias', 'blocks.1.temporal_fc.weight', 'heads.default.bias', 'heads.default.weight', 'time_embed'],
      );
      expect(r2.weights.get('blocks.1.attn.qkv.weight')!.dataSync()[5 * 144 + 120]).toBe(refAt('blocks.1.attn.qkv.weight', 120, 5));
    } finally {
      dispose(r2);
    }
    bare.delete('encoder.layer.1.attention.attention.value.weight');
    await expectError(importWeights(save('novalue.safetensors', bare), target), CheckpointError, '1 missing key (encoder.layer.1.attention.attention.value.weight)');
  });
});

describe('importWeights: files it cannot use', () => {
  it('a PyTorch pickle gets a conversion command', async () => {
    const pth = path.join(dir, 'vit_base.pth');
    fs.writeFileSync(pth, 'not really a pickle');
    await expectError(importWeights(pth, target), CheckpointError, 'vit_base.pth: is a PyTorch pickle; cover reads only safetensors', /fix: convert it once: python -c ".*save_file/);
    await expectError(importWeights(dir, target), CheckpointError, /holds no model\.safetensors or weights\.safetensors \(fix: convert vit_base\.pth to safetensors first/);
  });

  it("the conversion never runs the pickle's code (weights_only=True), and no file name becomes code", async () => {
    const pth = path.join(dir, `it's $(touch pwned).pth`);
    fs.writeFileSync(pth, 'not really a pickle');
    const line = await expectError(importWeights(pth, target), CheckpointError, /torch\.load\(sys\.argv\[1\], map_location='cpu', weights_only=True\)/);
    expect(line).not.toMatch(/torch\.load\((?!sys\.argv\[1\], map_location='cpu', weights_only=True\))/);
    // The paths are the shell words after the Python source: the shell gives them back verbatim.
    const args = line.slice(line.lastIndexOf('" ') + 2, line.length - 1); // up to the closing ')' of '(fix: ...)'
    const words = execFileSync('bash', ['-c', `printf '%s\\n' ${args}`], { cwd: dir, encoding: 'utf8' });
    expect(words.split('\n').slice(0, 2)).toEqual([pth, pth.replace(/\.pth$/, '.safetensors')]);
    expect(fs.existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  it('a missing path, and weights of no known kind', async () => {
    await expectError(importWeights(path.join(dir, 'nope.safetensors'), target), CheckpointError, 'nope.safetensors: no such file or folder');
    const file = save('bert.safetensors', new Map([['bert.embeddings.word_embeddings.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) }]]));
    await expectError(importWeights(file, target), CheckpointError, 'cannot tell which model these weights are for (keys: bert.embeddings.word_embeddings.weight)');
    await expectError(importWeights(file, target, { source: 'timm-vit' }), CheckpointError, /as timm-vit weights: 30 missing keys \(cls_token, pos_embed, .*, 1 unexpected key \(bert\.embeddings\.word_embeddings\.weight\)/);
  });
});

describe('importWeights: a cover checkpoint as the source', () => {
  it('keeps heads of the same name and class count, drops the others', async () => {
    const src = await importWeights(FIXTURE, { model: cfg, heads: [{ name: 'k400', numClasses: 5 }, { name: 'ssv2', numClasses: 3 }] }, { headName: 'k400' });
    const labels = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
    await saveCheckpoint(path.join(dir, 'ck'), {
      model: cfg,
      heads: [{ name: 'k400', numClasses: 5, labels: labels(5) }, { name: 'ssv2', numClasses: 3, labels: labels(3) }],
      preprocessing: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropSize: 32, numFrames: 4, samplingRate: 8 },
      weights: src.weights,
    });
    const r = await importWeights(path.join(dir, 'ck'), { model: cfg, heads: [{ name: 'k400', numClasses: 5 }, { name: 'mit', numClasses: 4 }] });
    try {
      expect(r.report.source).toBe('timesformer');
      expect(r.weights.get('heads.k400.weight')!.dataSync()).toEqual(src.weights.get('heads.k400.weight')!.dataSync());
      expect(r.report.dropped).toEqual(['heads.ssv2.weight', 'heads.ssv2.bias']);
      expect(r.report.notes.join('\n')).toMatch("the target has no head 'ssv2'");
      expect(r.report.initialised).toEqual(['heads.mit.weight', 'heads.mit.bias']);
    } finally {
      dispose(src);
      dispose(r);
    }
  });
});

describe('importWeights: a space_only cover checkpoint', () => {
  it('is read as an image ViT with cover heads', async () => {
    const spaceOnly: ModelConfig = { ...cfg, attentionType: 'space_only' };
    const src = await importWeights(save('vit.safetensors', renamed((k) => (isTemporal(k) ? null : k))), { model: spaceOnly, heads: [{ name: 'in1k', numClasses: 5 }] });
    await saveCheckpoint(path.join(dir, 'ck'), {
      model: spaceOnly,
      heads: [{ name: 'in1k', numClasses: 5, labels: ['a', 'b', 'c', 'd', 'e'] }],
      preprocessing: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropSize: 32, numFrames: 1, samplingRate: 1 },
      weights: src.weights,
    });
    const r = await importWeights(path.join(dir, 'ck'), { model: cfg, heads: [{ name: 'in1k', numClasses: 5 }] });
    try {
      expect(r.report.source).toBe('timm-vit');
      expect(r.report.copied).toContain('heads.in1k.weight');
      expect(r.report.seeded).toContain('blocks.0.temporal_attn.qkv.weight');
      expect(r.weights.get('heads.in1k.bias')!.dataSync()).toEqual(ref.get('head.bias')!.data);
    } finally {
      dispose(src);
      dispose(r);
    }
  });
});

describe('initTensor', () => {
  const specs = backboneParamSpecs(cfg);
  const spec = (name: string) => specs.find((s) => s.name === name)!;

  it('follows the init rule in the internal layout, reproducibly by seed', () => {
    const before = tf.memory().numTensors;
    const w = initTensor(spec('blocks.0.mlp.fc1.weight'), 5);
    const again = initTensor(spec('blocks.0.mlp.fc1.weight'), 5);
    const other = initTensor(spec('blocks.0.mlp.fc1.weight'), 6);
    try {
      expect(w.shape).toEqual([48, 192]);
      const v = w.dataSync() as Float32Array;
      expect(v).toEqual(again.dataSync());
      expect(v).not.toEqual(other.dataSync());
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean)).toBeLessThan(0.002);
      // The reference's trunc_normal_(std=.02) cuts at ±2 absolute (100 std): N(0, .02), not a 2-std cut (std .0176).
      expect(std).toBeGreaterThan(0.019);
      expect(std).toBeLessThan(0.021);
      expect(Math.max(...Array.from(v).map(Math.abs))).toBeGreaterThan(0.04); // 9216 draws: some beyond 2 std
    } finally {
      [w, again, other].forEach((t) => t.dispose());
    }
    const ones = initTensor(spec('norm.weight'), 1);
    const zeros = initTensor(spec('blocks.1.temporal_fc.weight'), 1);
    const patch = initTensor(spec('patch_embed.proj.weight'), 1);
    const patchBias = initTensor(spec('patch_embed.proj.bias'), 1);
    try {
      expect(Array.from(ones.dataSync())).toEqual(new Array(48).fill(1));
      expect(zeros.shape).toEqual([48, 48]);
      expect(Math.max(...Array.from(zeros.dataSync()).map(Math.abs))).toBe(0);
      expect(patch.shape).toEqual([192, 48]);
      // PyTorch's default Conv2d init (the reference never re-initialises it): U(±1/sqrt(fan_in)), fan_in = 3 * 8 * 8.
      const pv = Array.from(patch.dataSync());
      const bound = 1 / Math.sqrt(3 * 8 * 8);
      expect(Math.max(...pv.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...pv.map(Math.abs))).toBeGreaterThan(0.95 * bound);
      const pstd = Math.sqrt(pv.reduce((a, b) => a + b * b, 0) / pv.length);
      expect(pstd).toBeCloseTo(bound / Math.sqrt(3), 2); // the std of U(-b, b)
      const bias = Array.from(patchBias.dataSync());
      expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...bias.map(Math.abs))).toBeGreaterThan(0.5 * bound);
    } finally {
      [ones, zeros, patch, patchBias].forEach((t) => t.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('paramSeed differs by name and by run seed', () => {
    expect(paramSeed(0, 'a')).not.toBe(paramSeed(0, 'b'));
    expect(paramSeed(1, 'a')).not.toBe(paramSeed(0, 'a'));
    expect(paramSeed(7, 'blocks.0.attn.qkv.weight')).toBe(paramSeed(7, 'blocks.0.attn.qkv.weight'));
  });
});
