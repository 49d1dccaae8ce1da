// predictVideo on real videos no one here made (opencv-doc's vtest.avi, cup.mp4) and a JPEG, with a tiny-preset
// checkpoint: window geometry, probabilities, overall = mean of windows, a window checked against an independent decode,
// one-line errors, and no leaked tensors.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, LoadedModel } from '../../src/checkpoint/load_model';
import { planSpatial, cropFlipNormalize, normalizeTable } from '../../src/data/decode/transforms';
import { decodeClip } from '../../src/data/decode/video/decode';
import { scaleFrames } from '../../src/data/decode/resize';
import { CheckpointError, DecodeError, UsageError } from '../../src/errors';
import { CheckpointPrediction, planWindows, predictVideo, predictWithCheckpoint, topK } from '../../src/predict/predict';
import { renderPrediction } from '../../src/cli/commands/predict';
import { poisonWeights } from '../checkpoint/poison';
import { useBackend } from '../helpers/tf';
import { head, TINY_PREPROCESSING, tinyCheckpoint } from '../helpers/tiny_checkpoint';

const DATA = '/usr/share/doc/opencv-doc/examples/data';
const VTEST = path.join(DATA, 'vtest.avi'); // 79.5 s, 10 fps, 795 frames, 768x576
const JPEG = path.join(DATA, 'baboon.jpg');
const CUP_GZ = '/usr/share/doc/opencv-doc/opencv4/html/cup.mp4.gz';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-predict-'));
const cup = path.join(tmp, 'cup.mp4');
const K = ['walking', 'running', 'standing', 'cycling'];
const S = ['left', 'right', 'up'];
let loaded: LoadedModel;

beforeAll(async () => {
  await useBackend('wasm');
  fs.writeFileSync(cup, execFileSync('gunzip', ['-c', CUP_GZ], { maxBuffer: 64 << 20 }));
  const ck = path.join(tmp, 'ck');
  await tinyCheckpoint(ck, [head('k400', K), head('ssv2', S)]);
  loaded = await loadModel(ck);
});
afterAll(() => {
  loaded?.model.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('planWindows', () => {
  test('tiles the video, then aligns a last window to its end', () => {
    expect(planWindows(20, 2, 8, 8).map((w) => [w.start, w.end, w.indices])).toEqual([
      [0, 8, [0, 7]],
      [8, 16, [8, 15]],
      [12, 20, [12, 19]],
    ]);
  });
  test('overlapping windows with a stride, and exact tiling without an extra window', () => {
    expect(planWindows(16, 4, 8, 4).map((w) => w.start)).toEqual([0, 4, 8]);
    expect(planWindows(16, 4, 8, 8).map((w) => w.start)).toEqual([0, 8]);
    expect(planWindows(16, 4, 8, 4)[1].indices).toEqual([4, 6, 8, 11]); // linspace(4, 11, 4) truncated
  });
  test('a video shorter than a window gives one window that repeats its last frame', () => {
    expect(planWindows(3, 4, 8, 8)).toEqual([{ start: 0, end: 3, indices: [0, 2, 2, 2] }]);
  });
});

test('topK sorts by probability, ties to the smaller class id, capped at the class count', () => {
  expect(topK([0.2, 0.5, 0.2, 0.1], ['a', 'b', 'c', 'd'], 3)).toEqual([
    { label: 'b', prob: 0.5 },
    { label: 'a', prob: 0.2 },
    { label: 'c', prob: 0.2 },
  ]);
  expect(topK([1], ['a'], 5)).toHaveLength(1);
});

test('vtest.avi: sliding windows over 79.5 s, overall = mean of the windows', async () => {
  const p = await predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, { heads: 'all', top: 4, windowS: 10 });
  expect(p.kind).toBe('video');
  expect(p.durationS).toBeCloseTo(79.5, 5);
  expect(p.fps).toBe(10);
  expect(p.heads).toEqual(['k400', 'ssv2']);
  expect(p.windowS).toBe(10);
  // 7 windows tile 0-70 s, the 8th is aligned to the end: 69.5-79.5 s.
  expect(p.windows.map((w) => [w.startS, w.endS])).toEqual([
    [0, 10], [10, 20], [20, 30], [30, 40], [40, 50], [50, 60], [60, 70], [69.5, 79.5],
  ]);
  for (const w of p.windows) {
    for (const [h, labels] of [['k400', K], ['ssv2', S]] as const) {
      const probs = w.heads[h].map((l) => l.prob);
      expect(w.heads[h].map((l) => l.label).sort()).toEqual([...labels].sort()); // top 4 = every class (ssv2 has 3)
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    }
  }
  // The windows see different frames, so their predictions differ.
  expect(new Set(p.windows.map((w) => w.heads.k400[0].prob.toFixed(6))).size).toBeGreaterThan(1);
  for (const h of ['k400', 'ssv2']) {
    for (const o of p.overall[h]) {
      const mean = p.windows.reduce((a, w) => a + w.heads[h].find((l) => l.label === o.label)!.prob, 0) / p.windows.length;
      expect(o.prob).toBeCloseTo(mean, 6);
    }
  }
});

test('the default window is one training clip: numFrames x samplingRate frames, and matches an independent decode', async () => {
  const done: number[] = [];
  const p = await predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, { heads: ['k400'], top: 4, onProgress: (d) => done.push(d) });
  // 2 frames x 4 = 8 frames = 0.8 s at 10 fps: 99 windows tile 0-79.2 s, the last is 78.7-79.5 s.
  expect(p.windowS).toBeCloseTo(0.8, 10);
  expect(p.windows).toHaveLength(100);
  expect(p.windows.at(-1)!.startS).toBeCloseTo(78.7, 10);
  expect(done.at(-1)).toBe(100);
  expect(Object.keys(p.windows[0].heads)).toEqual(['k400']);

  // Window 37 by hand: frames 296 and 303, decoded alone at the source's size, scaled, center crop, softmax of the k400 head.
  const plan = planSpatial(768, 576, { cropSize: 32, training: false, flipAllowed: false, spatialCrops: 1 });
  const clip = scaleFrames(await decodeClip(VTEST, { startS: 29.6, frameIndices: [0, 7], numFrames: 2, fps: 10, size: [768, 576] }), ...plan.resize);
  const x = cropFlipNormalize(clip, plan.crops[0], false, normalizeTable(TINY_PREPROCESSING));
  const probs = tf.tidy(() => tf.softmax(loaded.model.forwardHead(loaded.model.forwardFeatures(tf.tensor(x, [1, 2, 32, 32, 3])), 'k400')));
  const expected = (await probs.data()) as Float32Array;
  probs.dispose();
  for (const l of p.windows[37].heads.k400) expect(l.prob).toBeCloseTo(expected[K.indexOf(l.label)], 5);
});

test('cup.mp4 (h264) and a JPEG', async () => {
  const v = await predictVideo(loaded.model, TINY_PREPROCESSING, cup, { heads: ['ssv2'], top: 2, windowS: 2, strideS: 1 });
  expect(v.kind).toBe('video');
  expect(v.windows.length).toBeGreaterThan(3);
  expect(v.windows[1].startS).toBeCloseTo(1, 1); // stride 1 s
  expect(v.windows.at(-1)!.endS).toBeCloseTo(v.durationS, 1);
  expect(v.overall.ssv2).toHaveLength(2);

  const img = await predictVideo(loaded.model, TINY_PREPROCESSING, JPEG, { heads: 'all', top: 10 });
  expect(img.kind).toBe('image');
  expect(img.clipFrames).toBe(1);
  expect(img.durationS).toBe(0);
  expect(img.windows).toHaveLength(1);
  expect(img.overall).toEqual(img.windows[0].heads); // one window: overall is that window
  expect(img.overall.k400).toHaveLength(4);
});

test('one-line errors: missing or unreadable file, unknown head, bad top, bad window', async () => {
  let e = await failure(predictVideo(loaded.model, TINY_PREPROCESSING, path.join(tmp, 'nope.mp4'), { heads: 'all', top: 5 }));
  expect(e).toBeInstanceOf(DecodeError);
  expect((e as DecodeError).oneLine()).toMatch(/nope\.mp4: video file not found/);

  const junk = path.join(tmp, 'junk.mp4');
  fs.writeFileSync(junk, 'this is not a video\n');
  e = await failure(predictVideo(loaded.model, TINY_PREPROCESSING, junk, { heads: 'all', top: 5 }));
  expect(e).toBeInstanceOf(DecodeError);
  expect((e as DecodeError).oneLine()).toMatch(/junk\.mp4: cannot be read as a video/);

  e = await failure(predictVideo(loaded.model, TINY_PREPROCESSING, path.join(tmp, 'nope.jpg'), { heads: 'all', top: 5 }));
  expect((e as DecodeError).oneLine()).toMatch(/nope\.jpg: image file not found/);

  e = await failure(predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, { heads: ['mit'], top: 5 }));
  expect(e).toBeInstanceOf(UsageError);
  expect((e as UsageError).oneLine()).toBe("the checkpoint has no head 'mit' (fix: use --head with one of: k400, ssv2, or all)");

  e = await failure(predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, { heads: 'all', top: 0 }));
  expect(e).toBeInstanceOf(UsageError);
  e = await failure(predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, { heads: 'all', top: 5, windowS: -1 }));
  expect((e as UsageError).oneLine()).toMatch(/--window -1 is not a positive number of seconds/);
});

test('weights holding NaN are refused; with allowNonFinite the scores say they are not numbers (null in JSON)', async () => {
  const ckNaN = path.join(tmp, 'ck-nan');
  await tinyCheckpoint(ckNaN, [head('k400', K)]);
  poisonWeights(ckNaN, { 'norm.weight': [NaN] });
  const err = await failure(predictWithCheckpoint(ckNaN, JPEG, { heads: 'all', top: 2 }));
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as CheckpointError).oneLine()).toMatch(/ck-nan\/weights\.safetensors: weights are not finite: norm\.weight has 1 NaN \(fix: /);

  const before = tf.memory().numTensors;
  const p = await predictWithCheckpoint(ckNaN, JPEG, { heads: 'all', top: 2, allowNonFinite: true });
  expect(tf.memory().numTensors).toBe(before);
  expect(p.nonFiniteWeights?.tensors).toEqual([{ name: 'norm.weight', nan: 1, inf: 0 }]);
  expect(p.nanScores).toBe(4); // the top 2 of the one window and of the overall
  const text = renderPrediction(p);
  expect(text.replace(/^note: .*$/m, '')).not.toContain('NaN'); // no bare "NaN" where a probability goes
  expect(text).toContain("note: 4 scores are not numbers: the checkpoint's weights hold NaN or Inf (--allow-nonfinite), so the labels below are in no meaningful order");
  expect(text).toMatch(/│ 1 │ \w+ +│ not a number │/);
  const json = JSON.parse(JSON.stringify(p)) as CheckpointPrediction;
  expect(json.overall.k400.map((lp) => lp.prob)).toEqual([null, null]);
  expect(json.nanScores).toBe(4);

  const clean = await predictWithCheckpoint(path.join(tmp, 'ck'), JPEG, { heads: ['k400'], top: 2 });
  expect(clean.nanScores).toBeUndefined();
  expect(clean.nonFiniteWeights).toBeUndefined();
});

test('predictVideo leaks no tensors', async () => {
  const opts = { heads: 'all' as const, top: 3, windowS: 20 };
  await predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, opts); // burn-in
  const before = tf.memory().numTensors;
  await predictVideo(loaded.model, TINY_PREPROCESSING, VTEST, opts);
  await predictVideo(loaded.model, TINY_PREPROCESSING, JPEG, opts);
  expect(tf.memory().numTensors).toBe(before);
});
