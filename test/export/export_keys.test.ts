// The names and shapes of each export format against the lists taken from the target's own modeling code
// (test/fixtures/export/*-keys.txt: Hugging Face's modeling_timesformer.py and the reference vit.py, each header names the
// commit read), for the tiny preset and for TimeSformer base 8x224 with 400 classes; and config.json's fields against
// TimesformerConfig.__init__'s arguments.
import * as fs from 'fs';
import * as path from 'path';
import { getPreset } from '../../src/config/presets';
import { hfConfig, timesformerConfig } from '../../src/export/export_configs';
import { ExportFormat, exportKeys } from '../../src/export/export_keys';

const FIXTURES = path.resolve(__dirname, '../fixtures/export');

/** Non-comment lines of a fixture. */
function fixtureLines(name: string): string[] {
  return fs
    .readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

const asLines = (keys: { name: string; shape: number[] }[]) => keys.map((k) => `${k.name} [${k.shape.join(',')}]`);

const cases: { format: ExportFormat; size: 'tiny' | 'base'; classes: number }[] = [
  { format: 'hf', size: 'tiny', classes: 4 },
  { format: 'hf', size: 'base', classes: 400 },
  { format: 'timesformer', size: 'tiny', classes: 4 },
  { format: 'timesformer', size: 'base', classes: 400 },
];

describe.each(cases)('exportKeys $format $size', ({ format, size, classes }) => {
  const expected = fixtureLines(`${format}-${size}-keys.txt`);
  const keys = exportKeys(format, getPreset(size), { name: 'k400', numClasses: classes });

  it('has exactly the keys and shapes of the modeling code (no missing, no unexpected)', () => {
    expect(asLines(keys).sort()).toEqual([...expected].sort());
  });

  if (format === 'timesformer') {
    it("keeps the reference state_dict's order (the .pth is written in it)", () => {
      expect(asLines(keys)).toEqual(expected);
    });
  }

  it('takes every tensor from one checkpoint key of the same shape, the head from heads.k400.*', () => {
    expect(new Set(keys.map((k) => k.from)).size).toBe(keys.length);
    expect(keys.slice(-2).map((k) => k.from)).toEqual(['heads.k400.weight', 'heads.k400.bias']);
  });
});

test('the base fixtures hold 121,566,352 parameters, the reference count of TimeSformer 8x224 with 400 classes', () => {
  for (const f of ['hf-base-keys.txt', 'timesformer-base-keys.txt']) {
    const n = fixtureLines(f).reduce((sum, l) => sum + (/\[(.*)\]$/.exec(l)![1].split(',').map(Number).reduce((a, b) => a * b, 1)), 0);
    expect(n).toBe(121_566_352);
  }
});

test("hf config.json sets every TimesformerConfig argument, the classifier's labels and the model type", () => {
  const base = getPreset('base');
  const head = { name: 'k400', numClasses: 3, labels: ['n01', 'n02', 'n03'], displayNames: ['crane, bird', 'crane, machine', 'tench'] };
  const c = hfConfig(base, head);
  for (const field of fixtureLines('hf-config-fields.txt')) expect(c).toHaveProperty(field);
  expect(c).toMatchObject({
    model_type: 'timesformer',
    architectures: ['TimesformerForVideoClassification'],
    image_size: 224,
    patch_size: 16,
    num_channels: 3,
    num_frames: 8,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    hidden_act: 'gelu',
    attention_type: 'divided_space_time',
    layer_norm_eps: 1e-6,
    qkv_bias: true,
    drop_path_rate: 0, // base trains with 0.1, but transformers 5 refuses a config.json with a fractional drop_path_rate
    // shown names: the short display name, with the id where two classes share it
    id2label: { '0': 'crane (n01)', '1': 'crane (n02)', '2': 'tench' },
    label2id: { 'crane (n01)': 0, 'crane (n02)': 1, tench: 2 },
  });
});

test("timesformer config.json holds VisionTransformer's arguments (qkv_bias spelled out: its default is False)", () => {
  const tiny = getPreset('tiny');
  const c = timesformerConfig(tiny, { name: 'k400', numClasses: 2, labels: ['a', 'b'] }, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropSize: 32, numFrames: 2, samplingRate: 4 });
  expect(c.kwargs).toEqual({
    img_size: 32,
    patch_size: 8,
    in_chans: 3,
    num_classes: 2,
    embed_dim: 32,
    depth: 2,
    num_heads: 2,
    mlp_ratio: 4,
    qkv_bias: true,
    drop_rate: 0,
    attn_drop_rate: 0,
    drop_path_rate: 0,
    num_frames: 2,
    attention_type: 'divided_space_time',
  });
  expect(c).toMatchObject({ layer_norm_eps: 1e-6, labels: ['a', 'b'] });
});
