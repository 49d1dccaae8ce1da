// The loader (one split over the one data feed) on a few small clips generated with ffmpeg's lavfi sources, plus a
// truncated and an empty one: bad samples left out of their batch and counted by reason, identical batches whatever the
// concurrency, exact resume with startAt, test views, images as T=1 clips, and the on-disk clip cache (hits,
// invalidation, LRU eviction).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { DatasetError, UsageError } from '../../src/errors';
import { ClipCache } from '../../src/data/decode/clip_cache';
import { Batch, createLoader, LoaderOptions } from '../../src/data/feed/loader';
import { loadSample, loadSampleViews } from '../../src/data/decode/sample_decode';
import { createRng } from '../../src/data/rng';
import { denseIndices } from '../../src/data/decode/sampling';
import { planSpatial, transformClip } from '../../src/data/decode/transforms';
import { scaleFrames } from '../../src/data/decode/resize';
import { DatasetIndex, Preprocessing, Sample } from '../../src/data/types';
import { decodeClip } from '../../src/data/decode/video/decode';
import { ffmpeg } from '../helpers/media';

const PRE: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 4, samplingRate: 2 };
const SOURCES = ['testsrc', 'testsrc2', 'smptebars', 'rgbtestsrc', 'cellauto=rule=110'];

let tmp: string;
let videos: DatasetIndex;
let images: DatasetIndex;


function index(samples: Sample[], over: Partial<DatasetIndex> = {}): DatasetIndex {
  return {
    name: 'tiny',
    format: 'manifest',
    split: 'train',
    root: tmp,
    labels: ['a', 'b', 'c'],
    samples,
    problems: [],
    sampling: 'dense',
    flipAllowed: true,
    ...over,
  };
}

async function collect(opts: LoaderOptions, idx = videos): Promise<{ batches: Batch[]; stats: ReturnType<ReturnType<typeof createLoader>['stats']> }> {
  const loader = createLoader(idx, opts);
  const batches: Batch[] = [];
  for await (const b of loader) batches.push(b);
  return { batches, stats: loader.stats() };
}

const strip = (b: Batch) => ({ ...b, x: Buffer.from(b.x.buffer, b.x.byteOffset, b.x.byteLength).toString('base64') });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-loader-'));
  const samples: Sample[] = [];
  SOURCES.forEach((src, i) => {
    const file = path.join(tmp, `clip${i}.mp4`);
    const spec = `${src}${src.includes('=') ? ':' : '='}size=64x48:rate=10`;
    ffmpeg(['-f', 'lavfi', '-i', spec, '-t', '3', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
    samples.push({ path: file, label: i % 3, kind: 'video' });
  });
  const whole = fs.readFileSync(samples[0].path);
  const truncated = path.join(tmp, 'truncated.mp4');
  fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  const empty = path.join(tmp, 'empty.mp4');
  fs.writeFileSync(empty, Buffer.alloc(0));
  samples.splice(2, 0, { path: truncated, label: 1, kind: 'video' });
  samples.splice(5, 0, { path: empty, label: 2, kind: 'video' });
  videos = index(samples); // 7 samples; 2 and 5 are bad

  const imgs: Sample[] = [];
  for (let i = 0; i < 3; i++) {
    const raw = Buffer.alloc(50 * 40 * 3);
    for (let p = 0; p < 50 * 40; p++) raw.set([(p * (i + 1)) % 256, (p >> 3) % 256, 40 * i], p * 3);
    const file = path.join(tmp, `img${i}.png`);
    await sharp(raw, { raw: { width: 50, height: 40, channels: 3 } }).png().toFile(file);
    imgs.push({ path: file, label: i, kind: 'image' });
  }
  images = index(imgs, { format: 'imagefolder' });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('training loader', () => {
  const base: LoaderOptions = { preprocessing: PRE, training: true, batchSize: 2, seed: 3, epochs: 2, maxBad: 2 };

  test('skips and counts bad samples; the same batches with 1 or 2 decodes in flight', async () => {
    const one = await collect({ ...base, concurrency: 1, prefetch: 1 });
    const two = await collect({ ...base, concurrency: 2, prefetch: 4 });
    expect(one.batches.map(strip)).toEqual(two.batches.map(strip));

    const { batches, stats } = two;
    expect(batches).toHaveLength(7); // 2 epochs x 7 positions / 2; a bad sample leaves its batch one short
    expect(batches.reduce((n, b) => n + b.shape[0], 0)).toBe(10); // 2 epochs x 5 good samples
    for (const b of batches) {
      expect(b.shape).toEqual([b.sampleIdx.length, 4, 32, 32, 3]);
      expect(b.x).toHaveLength(b.sampleIdx.length * 4 * 32 * 32 * 3);
      expect(b.sampleIdx.every((i) => i !== 2 && i !== 5)).toBe(true);
      expect(Array.from(b.labels)).toEqual(b.sampleIdx.map((i) => videos.samples[i].label));
      expect(b.x.every(Number.isFinite)).toBe(true);
    }
    const order = batches.flatMap((b) => b.sampleIdx);
    expect([...order.slice(0, 5)].sort()).toEqual([0, 1, 3, 4, 6]);
    expect([...order.slice(5)].sort()).toEqual([0, 1, 3, 4, 6]);
    expect(order.slice(0, 5)).not.toEqual(order.slice(5)); // a new order each epoch
    expect(batches[6].position).toBe(14);
    expect(stats.bad.count).toBe(2);
    expect([...stats.bad.paths].sort()).toEqual([videos.samples[5].path, videos.samples[2].path]);
    expect(stats.bad.problems.find((p) => p.includes('truncated'))).toMatch(/truncated\.mp4: cannot be read as a video: moov atom not found/);
    expect(stats.bad.problems.find((p) => p.includes('empty'))).toMatch(/empty\.mp4: video file is empty/);
    expect(stats.bad.byReason).toEqual({ 'missing-file': 0, 'empty-file': 1, undecodable: 1, temporary: 0, error: 0 });
    expect(stats.decoded).toBe(10); // known-bad files are not retried in epoch 2
    expect(stats.delivered).toBe(10);
    expect(stats.clipsPerSec).toBeGreaterThan(0);

    const other = await collect({ ...base, seed: 4 });
    expect(other.batches.map(strip)).not.toEqual(batches.map(strip));
  });

  test('memory cache: each video decoded once over 2 epochs, same batches with 1 or 2 in flight and as per-request decodes', async () => {
    const mem = { ...base, memoryCacheBytes: 256 * 2 ** 20 };
    const one = await collect({ ...mem, concurrency: 1 });
    const two = await collect({ ...mem, concurrency: 2 });
    expect(one.batches.map(strip)).toEqual(two.batches.map(strip));
    // a fresh cap starts a fresh process-wide cache, so this run's decodes are counted from zero
    const fresh = await collect({ ...mem, memoryCacheBytes: 255 * 2 ** 20 });
    expect(fresh.stats.decoded).toBe(5); // 5 good videos, once each, not once per sample and epoch
    expect(fresh.stats.memoryHits).toBe(10);
    expect(fresh.stats.bad.count).toBe(2);
    // The same batches as without the cache, pixel for pixel: both paths scale the source-size frames with resize.ts.
    const plain = await collect(base);
    expect(fresh.batches.map(strip)).toEqual(plain.batches.map(strip));
    expect(plain.stats.memoryHits).toBe(0);
  });

  test('memory cache: a dataset too big for a quarter of the cap decodes per request', async () => {
    const r = await collect({ ...base, memoryCacheBytes: 4 * 2 ** 20 });
    expect(r.stats.memoryHits).toBe(0);
    expect(r.stats.decoded).toBe(10);
  });

  test('startAt resumes exactly after a batch', async () => {
    const full = await collect({ ...base, concurrency: 2 });
    const resumed = await collect({ ...base, concurrency: 2, startAt: full.batches[1].position });
    expect(resumed.batches.map(strip)).toEqual(full.batches.slice(2).map(strip));
    const mid = await collect({ ...base, concurrency: 1, startAt: full.batches[2].position });
    expect(mid.batches.map(strip)).toEqual(full.batches.slice(3).map(strip));
  });

  test('next() asked again before the last batch arrived: still the same batches, in order', async () => {
    const full = await collect({ ...base, concurrency: 2 });
    const loader = createLoader(videos, { ...base, concurrency: 2 });
    const all = await Promise.all(Array.from({ length: 8 }, () => loader.next()));
    expect(all.slice(0, 7).map((r) => strip(r.value as Batch))).toEqual(full.batches.map(strip));
    expect(all[7].done).toBe(true);
  });

  test('more bad samples than maxBad stops with one DatasetError listing them', async () => {
    const loader = createLoader(videos, { ...base, maxBad: 1 });
    let err: unknown = null;
    try {
      for await (const b of loader) expect(b.shape[0]).toBeGreaterThan(0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    const line = (err as DatasetError).oneLine();
    expect(line).toMatch(/dataset 'tiny': 2 unreadable samples \(1 empty file, 1 undecodable file\), more than --max-bad 1 allows; first: .*(truncated|empty)\.mp4.*; .*(truncated|empty)\.mp4/);
    expect(line).not.toMatch(/\n/);
    expect((await loader.next()).done).toBe(true);
    // As a fraction: 0.2 of 7 rows allows 1; the rows the reader dropped count against the same limit.
    await expect(collect({ ...base, maxBad: 0.2 })).rejects.toThrow(/more than --max-bad 0.2 \(1 of 7 rows\) allows/);
    await expect(collect({ ...base, maxBad: 0.3, droppedRows: 1 })).rejects.toThrow(
      /2 unreadable samples \(1 empty file, 1 undecodable file\) and 1 rows dropped when its index was read, more than --max-bad 0.3 \(2 of 8 rows\) allows/,
    );
  });

  test('breaking out of for-await closes the loader', async () => {
    const loader = createLoader(videos, { ...base, epochs: Infinity, concurrency: 2 });
    let n = 0;
    let delivered = 0;
    for await (const b of loader) {
      expect(b.shape[0]).toBeLessThanOrEqual(2);
      delivered += b.shape[0];
      if (++n === 3) break;
    }
    expect((await loader.next()).done).toBe(true);
    expect(loader.stats().delivered).toBe(delivered);
  });
});

describe('evaluation loader', () => {
  const evalOpts: LoaderOptions = { preprocessing: PRE, training: false, batchSize: 3, seed: 0, views: '1x3', maxBad: 2 };

  test('1x3 views: [B*3, T, S, S, 3] in index order, three different crops, the center one = loadSample', async () => {
    const { batches } = await collect(evalOpts);
    expect(batches.map((b) => b.sampleIdx)).toEqual([[0, 1], [3, 4], [6]]); // samples 2 and 5 are unreadable
    expect(batches[0].shape).toEqual([6, 4, 32, 32, 3]);
    expect(batches[2].shape).toEqual([3, 4, 32, 32, 3]);
    expect(batches[0].views).toBe(3);
    const per = 4 * 32 * 32 * 3;
    const view = (b: Batch, i: number): Float32Array => b.x.subarray(i * per, (i + 1) * per);
    expect(view(batches[0], 0)).not.toEqual(view(batches[0], 2));
    // 1x1 is the reference's single-crop view (kinetics.py): short side round(32 * 8/7) = 37 then the centre crop, where
    // 1x3 scales the short side to the crop itself; so the centre of three is not the single view.
    const single = await loadSample(videos.samples[1], videos, { preprocessing: PRE, training: false }, createRng(0));
    expect(single.shape).toEqual([4, 32, 32, 3]);
    expect(view(batches[0], 4)).not.toEqual(single.data); // sample 1, view 1 (center)
    const views = await loadSampleViews(videos.samples[1], videos, { preprocessing: PRE, training: false, views: '1x3' }, createRng(0));
    expect(views.map((v) => v.data)).toEqual([0, 1, 2].map((i) => view(batches[0], 3 + i)));
  });

  test('4x3 views: one decode per video serves its four temporal clips, each the pixels of that clip decoded alone', async () => {
    const { batches, stats } = await collect({ ...evalOpts, views: '4x3' });
    expect(stats.decoded).toBe(5); // five readable videos: one pass each, not four
    // Sample 0's temporal clip k, crop 1 (center), against the clip decoded on its own (30 frames at 10 fps, at the
    // source's 64x48, then scaled as every decoded clip is).
    const plan = planSpatial(64, 48, { cropSize: 32, training: false, flipAllowed: true, spatialCrops: 3 });
    const per = 4 * 32 * 32 * 3;
    for (let k = 0; k < 4; k++) {
      const idx = denseIndices(30, 4, 2, k, 4);
      const alone = scaleFrames(await decodeClip(videos.samples[0].path, { startS: idx[0] / 10, frameIndices: idx.map((i) => i - idx[0]), numFrames: 4, fps: 10, size: [64, 48] }), ...plan.resize);
      const expected = transformClip(alone, plan, PRE)[1].data;
      expect(batches[0].x.subarray((k * 3 + 1) * per, (k * 3 + 2) * per)).toEqual(expected);
    }
  });

  test('sharded by rank: the ranks read disjoint shares whose union is the whole split, with the same pixels', async () => {
    const whole = await collect({ ...evalOpts, batchSize: 2 });
    const ranks = await Promise.all([0, 1].map((rank) => collect({ ...evalOpts, batchSize: 2, shard: { rank, world: 2 } })));
    const bySample = (bs: Batch[]) =>
      new Map(bs.flatMap((b) => b.sampleIdx.map((si, i) => [si, strip({ ...b, x: b.x.slice(i * 3 * 4 * 32 * 32 * 3, (i + 1) * 3 * 4 * 32 * 32 * 3) }).x] as const)));
    const [r0, r1] = ranks.map((r) => bySample(r.batches));
    expect([...r0.keys()].some((k) => r1.has(k))).toBe(false);
    expect(new Map([...r0, ...r1])).toEqual(bySample(whole.batches));
    expect([...r0.keys(), ...r1.keys()].sort()).toEqual([0, 1, 3, 4, 6]);
    // Global batches of 2 x 2 positions: rank 0 reads positions 0-1 and 4-5, rank 1 positions 2-3 and 6.
    expect(ranks[0].batches.map((b) => b.sampleIdx)).toEqual([[0, 1], [4]]);
    expect(ranks[1].batches.map((b) => b.sampleIdx)).toEqual([[3], [6]]);
    expect(ranks.map((r) => r.stats.bad.count)).toEqual([0, 2]); // positions 2 and 5 (samples 2 and 5) are rank 1's
  });

  test("a manifest's start/end window restricts the frames to it", async () => {
    const windowed: Sample = { ...videos.samples[0], start: 1, end: 2 }; // frames 10..19 at 10 fps
    const clip = await loadSample(windowed, videos, { preprocessing: PRE, training: false }, createRng(0));
    // Test clip 0 of 1 in a 10-frame window: linspace(0, 7, 4) -> 0, 2, 4, 7 -> frames 10, 12, 14, 17 of the file.
    const plan = planSpatial(64, 48, { cropSize: 32, training: false, flipAllowed: true });
    const frames = scaleFrames(await decodeClip(windowed.path, { startS: 0, frameIndices: [10, 12, 14, 17], numFrames: 4, fps: 10, size: [64, 48] }), ...plan.resize);
    expect(clip.data).toEqual(transformClip(frames, plan, PRE)[0].data);
    const whole = await loadSample(videos.samples[0], videos, { preprocessing: PRE, training: false }, createRng(0));
    expect(whole.data).not.toEqual(clip.data);
  });

  test('SSv2-style segments and MiT-style uniform sampling decode too', async () => {
    for (const sampling of ['segments', 'uniform'] as const) {
      const idx = { ...videos, sampling, flipAllowed: false, samples: videos.samples.filter((_, i) => i !== 2 && i !== 5) };
      const { batches, stats } = await collect({ ...evalOpts, views: '1x1', batchSize: 5 }, idx);
      expect(batches[0].shape).toEqual([5, 4, 32, 32, 3]);
      expect(stats.bad.count).toBe(0);
    }
  });

  test('the clip cache: a second pass decodes nothing and gives the same batches', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const first = await collect({ ...evalOpts, cacheDir });
    expect(first.stats).toMatchObject({ decoded: 5, cacheHits: 0 });
    const second = await collect({ ...evalOpts, cacheDir });
    expect(second.stats).toMatchObject({ decoded: 0, cacheHits: 5 });
    expect(second.batches.map(strip)).toEqual(first.batches.map(strip));
  });
});

describe('images as T=1 clips', () => {
  test('training batches are [B, 1, S, S, 3]; eval views too', async () => {
    const train = await collect({ preprocessing: PRE, training: true, batchSize: 2, seed: 1 }, images);
    expect(train.batches.map((b) => b.shape)).toEqual([
      [2, 1, 32, 32, 3],
      [1, 1, 32, 32, 3],
    ]);
    const test = await collect({ preprocessing: PRE, training: false, batchSize: 3, seed: 1, views: '1x3' }, images);
    expect(test.batches[0].shape).toEqual([9, 1, 32, 32, 3]);
  });
});

describe('loader argument checks', () => {
  test('empty or mixed datasets are DatasetErrors; bad numbers are UsageErrors', () => {
    const opts: LoaderOptions = { preprocessing: PRE, training: true, batchSize: 2, seed: 0 };
    expect(() => createLoader(index([]), opts)).toThrow(DatasetError);
    expect(() => createLoader(index([...videos.samples, ...images.samples]), opts)).toThrow(/mixes images and videos/);
    expect(() => createLoader(videos, { ...opts, batchSize: 0 })).toThrow(UsageError);
    expect(() => createLoader(videos, { ...opts, startAt: -1 })).toThrow(UsageError);
    expect(() => createLoader(videos, { ...opts, training: false, views: '2x2' })).toThrow(/views '2x2'/);
  });
});

describe('ClipCache', () => {
  const clip = (v: number) => ({ data: new Uint8Array(10 * 10 * 3).fill(v), frames: 1, width: 10, height: 10, repeatedLast: 0 });

  test('round trip, a changed source file misses, LRU eviction under the size cap', async () => {
    const dir = path.join(tmp, 'lru');
    const src = path.join(tmp, 'src.bin');
    fs.writeFileSync(src, 'x');
    const entry = 300 + 8 + 60; // data + magic/len + header, about
    const cache = new ClipCache({ dir, maxBytes: entry * 3 });
    await cache.put(src, { k: 1 }, clip(1));
    expect(await cache.get(src, { k: 1 })).toEqual(clip(1));
    expect(await cache.get(src, { k: 2 })).toBeNull();

    for (let k = 2; k <= 6; k++) {
      await cache.put(src, { k }, clip(k));
      await new Promise((r) => setTimeout(r, 15)); // distinct mtimes
      await cache.get(src, { k: 1 }); // keep entry 1 in use
    }
    expect(cache.stats().evicted).toBeGreaterThan(0);
    expect(await cache.get(src, { k: 1 })).not.toBeNull(); // recently used: kept
    expect(await cache.get(src, { k: 2 })).toBeNull(); // oldest: evicted
    const onDisk = fs.readdirSync(dir).flatMap((d) => fs.readdirSync(path.join(dir, d)).map((f) => fs.statSync(path.join(dir, d, f)).size));
    expect(onDisk.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(entry * 3);
    expect(fs.readdirSync(dir).flatMap((d) => fs.readdirSync(path.join(dir, d))).some((f) => f.includes('.tmp-'))).toBe(false);

    fs.writeFileSync(src, 'changed!'); // new size and mtime: old entries no longer match
    expect(await cache.get(src, { k: 1 })).toBeNull();
  });
});
