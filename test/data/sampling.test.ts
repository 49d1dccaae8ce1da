// Frame indices and spatial views, checked against values worked out by hand from the reference formulas
// (PySlowFast get_start_end_idx + temporal_sampling, TimeSformer ssv2.py get_seq_frames, uniform_crop).

import { ConfigError } from '../../src/errors';
import { createRng, permutation } from '../../src/data/rng';
import {
  denseIndices,
  videoStride,
  linspace,
  parseViews,
  roundHalfEven,
  segmentIndices,
  spatialCropIndices,
  startEndIdx,
  uniformCropOffset,
  uniformIndices,
} from '../../src/data/decode/sampling';

describe('rng', () => {
  test('same seed and keys give the same stream; other keys another', () => {
    const a = createRng(7, 'x', 1);
    const b = createRng(7, 'x', 1);
    const c = createRng(7, 'x', 2);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  test('randint covers both ends; permutation is a permutation', () => {
    const r = createRng(1);
    const seen = new Set(Array.from({ length: 200 }, () => r.randint(3, 5)));
    expect([...seen].sort()).toEqual([3, 4, 5]);
    const p = permutation(50, createRng(2));
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(p).not.toEqual([...Array(50).keys()]);
  });
});

describe('dense (Kinetics) sampling', () => {
  test('test clip 0 of 1 starts at frame 0 and spans numFrames*rate frames', () => {
    // clip 256 frames in 300: delta 44, start 0, linspace(0, 255, 8) truncated.
    expect(denseIndices(300, 8, 32, 0, 1)).toEqual([0, 36, 72, 109, 145, 182, 218, 255]);
  });

  test('test clips k of K start at delta*k/K', () => {
    // delta = 300 - 64 = 236; clip 1 of 2 starts at 118.
    expect(startEndIdx(300, 64, 1, 2)).toEqual([118, 181]);
    expect(denseIndices(300, 4, 16, 1, 2)).toEqual([118, 139, 160, 181]);
    // useOffset (USE_OFFSET_SAMPLING): a single clip is centred, K clips spread to the end.
    expect(startEndIdx(300, 64, 0, 1, undefined, true)).toEqual([118, 181]);
    expect(startEndIdx(300, 64, 2, 3, undefined, true)).toEqual([236, 299]);
  });

  test('a video shorter than the window repeats its last frame', () => {
    expect(denseIndices(10, 4, 8, 0, 1)).toEqual([0, 9, 9, 9]); // linspace(0, 31, 4) clamped to 9
    expect(denseIndices(1, 3, 2, 'random', 1, createRng(0))).toEqual([0, 0, 0]);
  });

  test('random starts stay inside the video and depend on the rng only', () => {
    for (let s = 0; s < 50; s++) {
      const idx = denseIndices(100, 8, 4, 'random', 1, createRng(s));
      expect(idx[0]).toBeGreaterThanOrEqual(0);
      expect(idx[7]).toBeLessThanOrEqual(99);
      expect(idx[7] - idx[0]).toBe(31); // window of 32 frames, start + 31 never clamped here (delta 68)
      expect(denseIndices(100, 8, 4, 'random', 1, createRng(s))).toEqual(idx);
    }
    const starts = new Set(Array.from({ length: 30 }, (_, s) => denseIndices(100, 8, 4, 'random', 1, createRng(s))[0]));
    expect(starts.size).toBeGreaterThan(10);
  });

  test('bad clip choices are rejected', () => {
    expect(() => denseIndices(100, 8, 4, 3, 3)).toThrow(/not in 0..2/);
    expect(() => denseIndices(100, 8, 4, 'random', 1)).toThrow(/rng/);
    expect(() => denseIndices(0, 8, 4, 0, 1)).toThrow(/totalFrames/);
  });
});

describe('segment (SSv2) sampling', () => {
  test('test takes the middle of each equal segment', () => {
    expect(segmentIndices(49, 8, false)).toEqual([3, 9, 15, 21, 27, 33, 39, 45]);
    // seg_size 2.25: bounds 0, 2, np.round(4.5) = 4 (half to even), 7, 9 -> middles 1, 3, 5, 8
    expect(segmentIndices(10, 4, false)).toEqual([1, 3, 5, 8]);
  });

  test('training draws one frame inside each segment (ends included)', () => {
    const segSize = (30 - 1) / 4;
    for (let s = 0; s < 40; s++) {
      const idx = segmentIndices(30, 4, true, createRng(s));
      idx.forEach((f, i) => {
        expect(f).toBeGreaterThanOrEqual(roundHalfEven(segSize * i));
        expect(f).toBeLessThanOrEqual(roundHalfEven(segSize * (i + 1)));
      });
    }
  });

  test('roundHalfEven matches numpy', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, 2, 3]);
  });
});

describe('uniform (MiT) sampling', () => {
  test('spreads over the whole clip, first and last frame included', () => {
    expect(uniformIndices(90, 8)).toEqual([0, 12, 25, 38, 50, 63, 76, 89]);
    expect(uniformIndices(3, 5)).toEqual([0, 0, 1, 1, 2]);
    expect(linspace(0, 1, 1)).toEqual([0]);
  });
});

describe('views and spatial crops', () => {
  test('parseViews', () => {
    expect(parseViews('1x3')).toEqual({ temporal: 1, spatial: 3 });
    expect(parseViews(' 4 x 1 ')).toEqual({ temporal: 4, spatial: 1 });
    for (const bad of ['3', '1x2', '0x3', 'ax3', '']) expect(() => parseViews(bad)).toThrow(ConfigError);
  });

  test('landscape: left / center / right; portrait: top / center / bottom', () => {
    // 298x224 after short side = 224 (768x576 source)
    expect(spatialCropIndices(3).map((i) => uniformCropOffset(298, 224, 224, i))).toEqual([
      [0, 0],
      [37, 0],
      [74, 0],
    ]);
    expect(spatialCropIndices(3).map((i) => uniformCropOffset(224, 300, 224, i))).toEqual([
      [0, 0],
      [0, 38],
      [0, 76],
    ]);
    expect(uniformCropOffset(224, 224, 224, 2)).toEqual([0, 0]);
    expect(spatialCropIndices(1)).toEqual([1]);
    expect(() => uniformCropOffset(100, 300, 224, 1)).toThrow(/larger/);
  });
});

describe('stride at 30 fps (the reference decodes at TARGET_FPS 30 before it samples)', () => {
  test('samplingRate counts frames at targetFps: the window spans the same seconds at any frame rate', () => {
    expect(videoStride(32, 30, 30)).toBe(32);
    expect(videoStride(10, 12, 30)).toBe(4); // tiny/small's 10 on the demo suite's 12 fps clips: 4 frames, as before
    expect(videoStride(16, 60, 30)).toBe(32);
    expect(videoStride(4, 25)).toBe(4); // checkpoints from before targetFps: the video's own rate
    // 8 frames 32 apart at 30 fps of a 10 s, 25 fps video: a window of 8 x 26.67 = 213 frames (8.5 s), not 256.
    const idx = denseIndices(250, 8, videoStride(32, 25, 30), 0, 1);
    expect(idx[0]).toBe(0);
    expect(idx[7]).toBe(212);
    expect(idx[7] / 25).toBeCloseTo((8 * 32) / 30 - 1 / 25, 1);
  });
});
