// The in-memory whole-video cache: one decode per key even when asked concurrently, LRU eviction past the byte cap,
// failed decodes not kept, frame selection clamped to the clip, and the same pixels as decoding per request.
import { MemoryClipCache, selectFrames, sharedMemoryCache, WholeClip } from '../../src/data/decode/memory_cache';
import { loadSampleViews } from '../../src/data/decode/sample_decode';
import { loadAv, resetAvLoad } from '../../src/data/decode/video/av_addon';
import { openDataset } from '../../src/data/datasets/registry';
import { demoSuitePaths } from '../../src/demo/suite';
import { createRng } from '../../src/data/rng';
import { DatasetIndex, Preprocessing } from '../../src/data/types';
import { tinySuite } from '../helpers/tiny_suite';

const clip = (frames: number, fill = 0): WholeClip => ({ frames, width: 2, height: 1, data: new Uint8Array(frames * 6).fill(fill), repeatedLast: 0 });

test('concurrent asks share one decode; LRU eviction past the cap; failures are not cached', async () => {
  const cache = new MemoryClipCache(60); // bytes: two 4-frame clips of 24 bytes fit, three do not
  let decodes = 0;
  const dec = (n: number) => async () => {
    decodes++;
    return clip(n);
  };
  const [a, b] = await Promise.all([cache.get('a', dec(4)), cache.get('a', dec(4))]);
  expect(a).toBe(b);
  expect(decodes).toBe(1);
  await cache.get('b', dec(4)); // 48 bytes held
  await cache.get('a', dec(4)); // a is now the most recent
  await cache.get('c', dec(4)); // 72 > 60: evicts b (least recent), keeps a and c
  expect(cache.usedBytes).toBe(48);
  await cache.get('a', dec(4));
  expect(decodes).toBe(3); // a still cached
  await cache.get('b', dec(4));
  expect(decodes).toBe(4); // b was evicted
  await expect(cache.get('bad', async () => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
  await cache.get('bad', dec(1));
  expect(decodes).toBe(5); // the failed decode was not kept
});

test('selectFrames copies the asked frames, clamped to the clip', () => {
  const c: WholeClip = { frames: 3, width: 1, height: 1, data: Uint8Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]), repeatedLast: 0 };
  const s = selectFrames(c, [2, 0, 5, -1]);
  expect(s.frames).toBe(4);
  expect(Array.from(s.data)).toEqual([2, 2, 2, 0, 0, 0, 2, 2, 2, 0, 0, 0]);
});

describe('the same pixels with and without the memory cache, through either decoder', () => {
  // Demo clips of k400, ssv2 and mit (64 px sprites, whose sharp edges show any difference in scaling), each sample
  // through three paths: held whole in memory, the in-process decoder (av/, where built) and one ffmpeg process per
  // clip. Training views (random scale, crop, flip) scale down and up; test views (1x3 at crop size, 1x1 at 8/7 of it).
  const PRE: Omit<Preprocessing, 'cropSize'> = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], numFrames: 4, samplingRate: 2 };
  const CASES = [
    { training: true, cropSize: 32, views: '1x1' }, // scale 37..46: down from 64
    { training: true, cropSize: 64, views: '1x1' }, // scale 73..91: up from 64
    { training: false, cropSize: 32, views: '2x3' },
    { training: false, cropSize: 56, views: '1x1' }, // 64: the source's own size
  ];
  const PER_DATASET = 1;
  const decoder = process.env.COVER_DECODER;

  afterEach(() => {
    if (decoder === undefined) delete process.env.COVER_DECODER;
    else process.env.COVER_DECODER = decoder;
    resetAvLoad();
  });

  /** Every view of every case, for each dataset's first PER_DATASET training clips, through one path. */
  async function views(path: 'memory' | 'av' | 'ffmpeg', idx: DatasetIndex[]): Promise<Float32Array[]> {
    process.env.COVER_DECODER = path === 'ffmpeg' ? 'ffmpeg' : 'auto';
    resetAvLoad();
    // A cap of its own starts a fresh process-wide cache.
    const memoryCacheBytes = path === 'memory' ? 64 * 2 ** 20 + 1 : 0;
    const out: Float32Array[] = [];
    for (const index of idx) {
      for (const [c, opts] of CASES.entries()) {
        for (const [i, sample] of index.samples.slice(0, PER_DATASET).entries()) {
          const rng = createRng(7, index.name, c, i);
          const clips = await loadSampleViews(sample, index, { preprocessing: { ...PRE, cropSize: opts.cropSize }, training: opts.training, views: opts.views, memoryCacheBytes }, rng);
          out.push(...clips.map((clip) => clip.data));
        }
      }
    }
    return out;
  }

  function maxDiff(a: Float32Array[], b: Float32Array[]): number {
    expect(a.map((x) => x.length)).toEqual(b.map((x) => x.length));
    let m = 0;
    a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
    return m;
  }

  test('k400, ssv2 and mit demo clips: max abs difference 0 in normalised units', async () => {
    const paths = demoSuitePaths(tinySuite());
    const idx = await Promise.all((['k400', 'ssv2', 'mit'] as const).map((name) => openDataset(name, { split: 'train', data: { [name]: paths[name].root } })));
    const haveAv = loadAv().addon !== null;
    const memory = await views('memory', idx);
    expect(memory.length).toBe(3 * PER_DATASET * (1 + 1 + 6 + 1));
    expect(maxDiff(memory, await views('ffmpeg', idx))).toBe(0);
    if (haveAv) expect(maxDiff(memory, await views('av', idx))).toBe(0);
    const cache = sharedMemoryCache(64 * 2 ** 20 + 1); // the memory path's: every clip decoded whole once, cut 4 times
    expect([cache.misses, cache.hits]).toEqual([idx.length * PER_DATASET, idx.length * PER_DATASET * CASES.length - idx.length * PER_DATASET]);
  });
});
