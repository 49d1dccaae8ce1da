// Training augmentation of the data the TimeSformer reference does not train on (data/types.ts TrainAugment, cover's
// choices): MiT-style 'uniform' clips take a random frame from each of T equal parts in training and the evenly spread
// test frames at eval; images get the Inception-style random-resized crop. Checked on real decodes: a generated video
// whose frame n is one grey level (so each output frame's mean names the frame it came from, whatever the crop and flip)
// and a generated gradient image.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { loadSample } from '../../src/data/decode/sample_decode';
import { roundHalfEven, segmentIndices, uniformIndices } from '../../src/data/decode/sampling';
import { planInceptionCrop, randomResizedCropBox } from '../../src/data/decode/transforms';
import { createRng } from '../../src/data/rng';
import { DatasetIndex, Preprocessing, Sample, TrainAugment } from '../../src/data/types';
import { ffmpeg } from '../helpers/media';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-augment-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MEAN = 0.45;
const STD = 0.225;
const pre: Preprocessing = { mean: [MEAN, MEAN, MEAN], std: [STD, STD, STD], cropSize: 32, numFrames: 8, samplingRate: 4 };
const AUGMENT: TrainAugment = { uniform: 'segments', images: 'inception' };

function index(samples: Sample[], sampling: DatasetIndex['sampling']): DatasetIndex {
  return { name: 'mit', format: 'manifest', split: 'train', root: tmp, labels: ['a'], samples, problems: [], sampling, flipAllowed: true };
}

/** The source frame of each output frame of a clip of the grey-ramp video (frame n has luma 16 + 6n). */
function framesOf(clip: { data: Float32Array; shape: number[] }): number[] {
  const [T, H, W] = clip.shape;
  const per = H * W * 3;
  return Array.from({ length: T }, (_, t) => {
    let sum = 0;
    for (let i = t * per; i < (t + 1) * per; i++) sum += clip.data[i];
    const grey = ((sum / per) * STD + MEAN) * 255; // limited-range luma 16 + 6n, expanded to 0-255 by the decoder
    return Math.round((grey * 219) / 255 / 6);
  });
}

describe('MiT-style uniform clips', () => {
  let video: DatasetIndex;
  beforeAll(() => {
    const file = path.join(tmp, 'ramp.mp4');
    // 30 frames (a 3 s MiT clip at 10 fps), losslessly coded; frame n has luma 16 + 6n, 7 grey levels apart once
    // expanded to full range, where the decoder's scaling moves a level by at most 2.
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=black:s=64x48:r=10:d=3', '-vf', "geq=lum='16+N*6':cb=128:cr=128", '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', file]);
    video = index([{ path: file, label: 0, kind: 'video' }], 'uniform');
  });

  test('training with augment: a random frame of each of 8 equal parts, differing between draws; eval: the fixed evenly spread frames', async () => {
    const fixed = uniformIndices(30, 8);
    expect(fixed).toEqual([0, 4, 8, 12, 16, 20, 24, 29]);
    const draws: number[][] = [];
    for (let seed = 0; seed < 6; seed++) {
      const frames = framesOf(await loadSample(video.samples[0], video, { preprocessing: pre, training: true, augment: AUGMENT }, createRng(seed)));
      // Exactly the TSN draw of the sample's time rng (loadSample's view 0), so a resumed run redraws it.
      expect(frames).toEqual(segmentIndices(30, 8, true, createRng(seed).fork('time', 0)));
      const seg = 29 / 8;
      frames.forEach((f, i) => {
        expect(f).toBeGreaterThanOrEqual(roundHalfEven(seg * i)); // numpy's round, as ssv2.py's get_seq_frames
        expect(f).toBeLessThanOrEqual(roundHalfEven(seg * (i + 1)));
      });
      draws.push(frames);
    }
    expect(new Set(draws.map((d) => d.join())).size).toBeGreaterThan(1);
    // Eval is deterministic and the same with or without augment; a run saved before augment trains on the fixed frames.
    for (const seed of [0, 1]) {
      expect(framesOf(await loadSample(video.samples[0], video, { preprocessing: pre, training: false, augment: AUGMENT }, createRng(seed)))).toEqual(fixed);
      expect(framesOf(await loadSample(video.samples[0], video, { preprocessing: pre, training: true }, createRng(seed)))).toEqual(fixed);
    }
  });
});

describe('images: the Inception-style random-resized crop', () => {
  test('the box: area 8-100% of the image, aspect 3/4-4/3 (up to rounding), inside the image, seeded', () => {
    const areas: number[] = [];
    for (let seed = 0; seed < 300; seed++) {
      const [x, y, w, h] = randomResizedCropBox(500, 375, createRng(seed));
      expect(x >= 0 && y >= 0 && x + w <= 500 && y + h <= 375).toBe(true);
      expect(w * h).toBeGreaterThanOrEqual(0.08 * 500 * 375 * 0.98);
      expect(w / h).toBeGreaterThan(0.74);
      expect(w / h).toBeLessThan(1.34);
      areas.push((w * h) / (500 * 375));
    }
    expect(Math.min(...areas)).toBeLessThan(0.2);
    expect(Math.max(...areas)).toBeGreaterThan(0.8);
    expect(randomResizedCropBox(500, 375, createRng(7))).toEqual(randomResizedCropBox(500, 375, createRng(7)));
    // No box of the ratio range fits a 1000x10 strip: the central crop at the largest aspect ratio, as torchvision.
    expect(randomResizedCropBox(1000, 10, createRng(0))).toEqual([493, 0, 13, 10]);
  });

  test('the plan crops the box scaled to the crop size; the resize is the image at that scale', () => {
    for (let seed = 0; seed < 50; seed++) {
      const [bx, by, bw, bh] = randomResizedCropBox(500, 375, createRng(seed).fork('crop'));
      const plan = planInceptionCrop(500, 375, 224, true, createRng(seed));
      const c = plan.crops[0];
      expect(c.size).toBe(224);
      expect(c.x + 224).toBeLessThanOrEqual(plan.resize[0]);
      expect(c.y + 224).toBeLessThanOrEqual(plan.resize[1]);
      expect(Math.abs(plan.resize[0] - (500 * 224) / bw)).toBeLessThanOrEqual(1);
      expect(Math.abs(plan.resize[1] - (375 * 224) / bh)).toBeLessThanOrEqual(1);
      expect(Math.abs(c.x - (bx * 224) / bw)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(c.y - (by * 224) / bh)).toBeLessThanOrEqual(0.5);
    }
    const flips = Array.from({ length: 40 }, (_, s) => planInceptionCrop(500, 375, 224, true, createRng(s)).flip);
    expect(flips).toContain(true);
    expect(flips).toContain(false);
    expect(Array.from({ length: 40 }, (_, s) => planInceptionCrop(500, 375, 224, false, createRng(s)).flip)).not.toContain(true);
  });

  test('through the decoder: the crop shows the box of the image (a horizontal ramp), zoomed; eval and old runs unchanged', async () => {
    // Pixel (x, y) of the 200x150 image is grey x (red channel), so a crop's first and last columns say where its box was.
    const W = 200;
    const H = 150;
    const raw = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw[(y * W + x) * 3] = x;
    const file = path.join(tmp, 'ramp.png');
    await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
    const images = { ...index([{ path: file, label: 0, kind: 'image' }], 'dense'), flipAllowed: false };
    const red = (clip: { data: Float32Array; shape: number[] }, x: number): number => {
      const S = clip.shape[2];
      let sum = 0;
      for (let y = 0; y < S; y++) sum += clip.data[(y * S + x) * 3];
      return ((sum / S) * STD + MEAN) * 255;
    };
    const spans: number[] = [];
    for (let seed = 0; seed < 8; seed++) {
      const clip = await loadSample(images.samples[0], images, { preprocessing: pre, training: true, augment: AUGMENT }, createRng(seed));
      expect(clip.shape).toEqual([1, 32, 32, 3]);
      const [bx, , bw] = randomResizedCropBox(W, H, createRng(seed).fork('spatial').fork('crop'));
      expect(Math.abs(red(clip, 0) - bx)).toBeLessThan(bw / 32 + 2); // the left column is the box's left edge
      expect(Math.abs(red(clip, 31) - (bx + bw - 1))).toBeLessThan(bw / 32 + 2);
      spans.push(bw);
    }
    expect(Math.min(...spans)).toBeLessThan(Math.max(...spans) * 0.8); // the zoom varies
    // Eval: the short side at 8/7 of the crop, centre crop, with or without augment; without augment training crops as video.
    const evalA = await loadSample(images.samples[0], images, { preprocessing: pre, training: false, augment: AUGMENT }, createRng(0));
    const evalB = await loadSample(images.samples[0], images, { preprocessing: pre, training: false }, createRng(0));
    expect(evalA.data).toEqual(evalB.data);
    const video = await loadSample(images.samples[0], images, { preprocessing: pre, training: true }, createRng(0));
    const spanOf = (c: typeof video) => red(c, 31) - red(c, 0);
    // The video crop keeps the short side within [8/7, 10/7] of the crop: the box is 70-88% of the height, 150 px.
    expect(spanOf(video)).toBeGreaterThan((150 * 7) / 10 - 8);
    expect(spanOf(video)).toBeLessThan((150 * 7) / 8 + 2);
  });
});
