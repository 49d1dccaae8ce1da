// Recipes and the reference fixes where a user meets them, through the built CLI on the tiny demo suite:
// `--recipe timesformer` resolved, overridden by explicit options, printed at the start of the run, stored in the
// checkpoint and shown by `cover eval`; `cotrain --init <pretrain checkpoint>` seeds temporal attention from spatial
// attention and says so; the stride default of the preset, counted at 30 fps, is stored; every resize of a position or
// time embedding on import is said in one line. (One chain of runs, to keep the spawns few.)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSafetensors, TensorToWrite, writeSafetensors } from '../../src/checkpoint/safetensors';
import { getPreset } from '../../src/config/presets';
import { backboneParamSpecs } from '../../src/model/param_spec';
import { tinySuite } from '../helpers/tiny_suite';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-recipe-'));
const demo = ['--demo', 'tiny', '--demo-dir', tinySuite()];
const tiny = ['--preset', 'tiny', '--batch-size', '2', '--eval-every', '0', '--views', '1x1', '--backend', 'wasm', ...demo];

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
}

function cover(args: string[]): string {
  const r = run(args);
  if (r.status !== 0) throw new Error(`cover ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

const runConfig = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'config.json'), 'utf8'));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Reference-format weights of the tiny model at 4 frames and 64 px (8x8 patches), where tiny has 2 frames and 4x4. */
function otherWeights(): string {
  const model = { ...getPreset('tiny'), numFrames: 4, imgSize: 64 };
  const tensors = new Map<string, TensorToWrite>();
  for (const [k, s] of backboneParamSpecs(model).entries()) {
    const n = s.refShape.reduce((a, b) => a * b, 1);
    tensors.set(s.name, { shape: s.refShape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * (k + 1)) * 0.02) });
  }
  const file = path.join(tmp, 'other.safetensors');
  writeSafetensors(file, tensors);
  return file;
}

test('pretrain --init (resizes said) -> cotrain --recipe timesformer --init: seeded temporal attention, recipe printed, stored, shown by eval', () => {
  const pre = path.join(tmp, 'pretrain');
  const out1 = cover(['pretrain', ...tiny, '--steps', '1', '--init', otherWeights(), '--out', pre]);
  expect(out1).toContain('  pos_embed: resized from 8x8 patches [1,65,32] to [1,17,32] (2-D nearest) on import');
  expect(out1).toContain('  time_embed: resized from 4 frames [1,4,32] to [1,2,32] (1-D nearest) on import');
  expect(out1).toContain('recipe demo (');
  expect(runConfig(pre).extra.run.config).toMatchObject({ recipe: 'demo', optimizer: 'adamw', lr: 1e-3, decayAll: false, clipGrad: 1, overrides: ['steps', 'batchSize', 'views'] });
  expect(runConfig(pre).extra.run.config.init).toBe(path.join(tmp, 'other.safetensors'));

  const co = path.join(tmp, 'cotrain');
  const out2 = cover(['cotrain', '--datasets', 'k400', '--recipe', 'timesformer', ...tiny, '--steps', '1', '--lr', '1e-9', '--init', path.join(pre, 'checkpoint'), '--out', co]);
  expect(out2).toContain(
    `  temporal attention: seeded from each block's spatial attention, as the reference does after image pretraining (${path.join(pre, 'checkpoint')} is a pretrain checkpoint: its temporal weights were never trained)`,
  );
  expect(out2).toContain('recipe timesformer (facebookresearch/TimeSformer configs/Kinetics/TimeSformer_divST_8x32_224.yaml');
  expect(out2).toContain('  sgd nesterov momentum 0.9, lr 1e-9, weight decay 0.0001 on every parameter');
  expect(out2).toContain('no warm-up, no gradient clipping');
  expect(out2).toContain('  sampling: k400 dense (2 frames, 10 apart at 30 fps, a clip spans 0.67 s); test views 1x1');
  expect(out2).toContain('  given explicitly: --steps, --batch-size, --lr, --views');
  expect(out2).not.toContain('scaled linearly'); // --lr is the user's

  const ck = runConfig(co);
  expect(ck.extra.run.config).toMatchObject({
    recipe: 'timesformer', optimizer: 'sgd', lr: 1e-9, weightDecay: 1e-4, decayAll: true, warmup: 0, clipGrad: 0, schedule: 'step',
    dropPath: 0.1, samplingRate: 10, targetFps: 30, overrides: ['steps', 'batchSize', 'lr', 'views'],
  });
  expect(ck.preprocessing).toMatchObject({ samplingRate: 10, targetFps: 30 });

  // Seeded: each block's temporal attention equals its spatial attention (one step at lr 1e-9 moves neither), where the
  // pretrain checkpoint's temporal attention was its untouched initial value.
  const before = readSafetensors(path.join(pre, 'checkpoint', 'weights.safetensors')).tensors;
  const after = readSafetensors(path.join(co, 'checkpoint', 'weights.safetensors')).tensors;
  for (const b of [0, 1]) {
    for (const p of ['temporal_attn.qkv.weight', 'temporal_attn.proj.bias', 'temporal_norm1.weight']) {
      const spatial = `blocks.${b}.${p.replace('temporal_', '')}`;
      expect(maxDiff(after.get(`blocks.${b}.${p}`)!.data, after.get(spatial)!.data)).toBeLessThan(1e-6);
    }
    expect(maxDiff(before.get(`blocks.${b}.temporal_attn.qkv.weight`)!.data, before.get(`blocks.${b}.attn.qkv.weight`)!.data)).toBeGreaterThan(1e-3);
  }

  const ev = cover(['eval', '--checkpoint', path.join(co, 'checkpoint'), '--views', '1x1', '--max-samples', '2', '--backend', 'wasm', ...demo]);
  expect(ev).toContain('trained with recipe timesformer (');
  expect(ev).toContain('  given explicitly: --steps, --batch-size, --lr, --views');
});


test('--recipe timesformer steps on 64 clips at 0.005 in accumulated micro-batches; another --batch-size scales lr and says so; pretrain --recipe cover needs --init', () => {
  const base = ['cotrain', '--datasets', 'k400', '--recipe', 'timesformer', '--preset', 'tiny', '--steps', '1', '--eval-every', '0', '--eval-samples', '2', '--views', '1x1', '--backend', 'wasm', ...demo];
  const r64 = path.join(tmp, 'tf64');
  const out64 = cover([...base, '--micro-batch', '16', '--out', r64]);
  expect(out64).toContain('| 1 steps of 64 clips | sgd lr 0.005 step |');
  expect(out64).toContain("  sgd nesterov momentum 0.9, lr 0.005 (the reference's, for its global batch of 64), weight decay 0.0001 on every parameter");
  expect(out64).toContain('micro-batch 16: gradients accumulate over 4 passes to the batch of 64');
  expect(out64).not.toContain('scaled linearly');
  expect(runConfig(r64).extra.run.config).toMatchObject({ batchSize: 64, microBatch: 16, lr: 0.005 });

  const r16 = path.join(tmp, 'tf16');
  const out16 = cover([...base, '--batch-size', '16', '--out', r16]);
  expect(out16.split('\n').filter((l) => l.includes('scaled linearly'))).toEqual(["  batch 16, not the reference's 64: lr scaled linearly to 0.00125 = 0.005 x 16/64 (Goyal et al.'s rule, as PySlowFast)"]);
  expect(runConfig(r16).extra.run.config).toMatchObject({ batchSize: 16, lr: 0.00125 });

  const refused = run(['pretrain', '--recipe', 'cover', '--preset', 'tiny', '--steps', '1', '--backend', 'wasm', ...demo, '--out', path.join(tmp, 'pre-cover')]);
  expect(refused.status).toBe(2);
  expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  expect(refused.stderr).toMatch(/pretrain --recipe cover from random weights: .*\(fix: give --init ViT weights .*, or use --recipe demo\)/);
  expect(fs.existsSync(path.join(tmp, 'pre-cover'))).toBe(false);
});

test("MiT jitter and the images' Inception crop: said in the header as cover's, saved with the run; a run saved before them resumes without them", () => {
  const out = path.join(tmp, 'augment');
  const args = ['cotrain', '--datasets', 'mit,imnet', ...tiny, '--checkpoint-every', '1', '--eval-samples', '2'];
  const first = cover([...args, '--steps', '1', '--out', out]);
  expect(first).toContain(
    "  sampling: mit uniform (2 frames over the whole clip: in training a random one from each of 2 equal parts, TSN, cover's choice; at test evenly spread); " +
      "imnet images (one frame; Inception-style random-resized crop, 8-100% of the area at aspect 3/4-4/3, and flip: cover's choice); test views 1x1",
  );
  expect(runConfig(out).extra.run.config.augment).toEqual({ uniform: 'segments', images: 'inception' });

  // A checkpoint written before augment existed: its run keeps the sampling it trained with when resumed.
  const file = path.join(out, 'checkpoint', 'config.json');
  const ck = runConfig(out);
  delete ck.extra.run.config.augment;
  fs.writeFileSync(file, JSON.stringify(ck));
  const resumed = cover(['cotrain', '--resume', '--steps', '2', '--out', out, '--backend', 'wasm']);
  expect(resumed).toContain('  sampling: mit uniform (2 frames spread over the whole clip); imnet images (one frame, cropped as videos); test views 1x1');
  expect(runConfig(out).extra.run.config.augment).toBeUndefined();
  expect(runConfig(out).extra.run.step).toBe(2);
});
