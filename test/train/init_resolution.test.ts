// `--init CKPT --preset P` across resolutions (train/given_settings.ts, train/model_source.ts): a preset of the
// checkpoint's width and depth at another frame count or resolution resizes its time and position embeddings (nearest,
// as import does) and says so in one line; another width or depth is one line and exit 2. Through the built CLI on the
// tiny demo suite, from tiny-width checkpoints saved at other frame counts and sizes.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { resamplePosEmbed, resampleTimeEmbed } from '../../src/checkpoint/layout';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { getPreset } from '../../src/config/presets';
import { initModel } from '../../src/train/given_settings';
import { resizeEmbeddings } from '../../src/train/model_source';
import { head, tinyCheckpoint, tinyDemo } from '../helpers/tiny_checkpoint';
import { tinySuite } from '../helpers/tiny_suite';
import { useBackend } from '../helpers/tf';

const BIN = path.resolve(__dirname, '../../bin/cover.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-init-res-'));
beforeAll(() => useBackend('cpu'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const demo = ['--demo', 'tiny', '--demo-dir', tinySuite()];
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
const cotrain = ['cotrain', '--datasets', 'k400', '--steps', '1', '--lr', '1e-9', '--batch-size', '2', '--eval-every', '0', '--eval-samples', '2', '--views', '1x1', '--backend', 'wasm', ...demo];
const weights = (dir: string) => readSafetensors(path.join(dir, 'weights.safetensors')).tensors;
const maxDiff = (a: Float32Array, b: Float32Array) => (a.length === b.length ? a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) : Infinity);

test('base -> hr: the model is base at 16 frames of 448; the embeddings resize and say how, with no tensor left behind', () => {
  expect(initModel(getPreset('base'), 'hr')).toEqual({ ...getPreset('base'), numFrames: 16, imgSize: 448 });
  expect(initModel(getPreset('base'), 'large')).toEqual(getPreset('base')); // other weights: the checkpoint's own model
  const before = tf.memory().numTensors;
  const pos = tf.randomNormal([1, 197, 768]);
  const time = tf.randomNormal([1, 8, 768]);
  const w = new Map<string, tf.Tensor>([['pos_embed', pos], ['time_embed', time]]);
  const made: tf.Tensor[] = [];
  expect(resizeEmbeddings(w, getPreset('base'), getPreset('hr'), made)).toBe('pos_embed 197→785 tokens (224→448 px) and time_embed 8→16 frames');
  expect(w.get('pos_embed')!.shape).toEqual([1, 785, 768]);
  expect(w.get('time_embed')!.shape).toEqual([1, 16, 768]);
  expect(maxDiff(w.get('time_embed')!.dataSync() as Float32Array, resampleTimeEmbed(time.dataSync() as Float32Array, 768, 8, 16))).toBe(0);
  expect(resizeEmbeddings(new Map(w), getPreset('hr'), getPreset('hr'), made)).toBe(''); // nothing to resize
  [pos, time, ...made].forEach((t) => t.dispose());
  expect(tf.memory().numTensors).toBe(before);
});

test('--init a checkpoint of 4 frames at 64 px with --preset tiny (2 at 32): resized, said in one line, trained at 2x32', async () => {
  const { k400 } = await tinyDemo();
  const ck = path.join(tmp, 'tiny-4x64');
  await tinyCheckpoint(ck, [head('k400', k400)], { model: { numFrames: 4, imgSize: 64 } });
  const out = path.join(tmp, 'down');
  const r = run([...cotrain, '--init', ck, '--preset', 'tiny', '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.split('\n').filter((l) => l.includes('resized'))).toEqual([
    "  init: resized pos_embed 65→17 tokens (64→32 px) and time_embed 4→2 frames (nearest, as import and the reference's forward do)",
  ]);
  expect(r.stdout).toContain('| preset tiny |');
  const saved = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'config.json'), 'utf8'));
  expect(saved.model).toMatchObject({ num_frames: 2, img_size: 32, embed_dim: 32, depth: 2 });
  expect(saved.preprocessing).toMatchObject({ numFrames: 2, cropSize: 32 });
  // The resized embeddings are the checkpoint's, picked by nearest; every other weight (and the k400 head) is carried over.
  const a = weights(ck);
  const b = weights(path.join(out, 'checkpoint'));
  expect(maxDiff(b.get('pos_embed')!.data, resamplePosEmbed(a.get('pos_embed')!.data, 32, 8, 4))).toBeLessThan(1e-6);
  expect(maxDiff(b.get('time_embed')!.data, resampleTimeEmbed(a.get('time_embed')!.data, 32, 4, 2))).toBeLessThan(1e-6);
  for (const name of ['blocks.1.attn.qkv.weight', 'patch_embed.proj.weight', 'heads.k400.weight']) expect(maxDiff(b.get(name)!.data, a.get(name)!.data)).toBeLessThan(1e-6);

  // Up in frames only (1 -> 2 at 32 px): one line naming what changed, nothing about the position embedding.
  const one = path.join(tmp, 'tiny-1x32');
  await tinyCheckpoint(one, [head('k400', k400)], { model: { numFrames: 1 } });
  const r2 = run([...cotrain, '--init', one, '--preset', 'tiny', '--out', path.join(tmp, 'up')]);
  expect(r2.status).toBe(0);
  expect(r2.stdout.split('\n').filter((l) => l.includes('resized'))).toEqual(["  init: resized time_embed 1→2 frames (nearest, as import and the reference's forward do)"]);
});

test('another width or depth than the checkpoint: one line naming both, exit 2, before any work', async () => {
  const { k400 } = await tinyDemo();
  const tiny = path.join(tmp, 'tiny');
  await tinyCheckpoint(tiny, [head('k400', k400)]);
  const wide = run([...cotrain, '--init', tiny, '--preset', 'small', '--out', path.join(tmp, 'wide')]);
  expect(wide.status).toBe(2);
  expect(wide.stderr.trim().split('\n')).toEqual([
    `cover: error: --init ${tiny} is a 2-block, 32-wide model (2 heads, 8x8 patches) for 2 frames of 32x32, but --preset small is a 4-block, 192-wide model (3 heads, 16x16 patches) for 8 frames of 64x64: ` +
      `only the frame count and resolution can change (fix: drop --preset to train the checkpoint's own architecture, give a preset of its width and depth (tiny), or --init another checkpoint)`,
  ]);
  expect(fs.existsSync(path.join(tmp, 'wide'))).toBe(false);

  const deep = path.join(tmp, 'tiny-3-blocks');
  await tinyCheckpoint(deep, [head('k400', k400)], { model: { depth: 3 } });
  const r = run([...cotrain, '--init', deep, '--preset', 'tiny', '--out', path.join(tmp, 'deep')]);
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`--init ${deep} is a 3-block, 32-wide model (2 heads, 8x8 patches) for 2 frames of 32x32, but --preset tiny is a 2-block`);
  expect(r.stderr).toContain("(fix: drop --preset to train the checkpoint's own architecture, or --init another checkpoint)");
});
