// The co-training feed never lets one sample, or one read-ahead batch, end the process: a batch that fails while it is
// still being read ahead is reported when its turn comes (never as an unhandled rejection, which kills Node), and a
// sample that fails in an odd way (here a real TypeError from a damaged clip-cache entry) is skipped and counted.
// Sharding: N ranks' shares of a batch are, together and in order, the one-process batch, pixel for pixel; a resumed
// feed continues from the sampler state a batch carries.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { DatasetIndex, Preprocessing, Sample } from '../../src/data/types';
import { ConfigError } from '../../src/errors';
import { FeedSource } from '../../src/data/feed/feed';
import { MixedFeed, MixedFeedOptions, TrainBatch } from '../../src/data/feed/mixed_feed';
import { cacheEntries, damageCacheEntry, ffmpeg } from '../helpers/media';

const PRE: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 2, samplingRate: 2 };
const DIST_FEED = path.resolve(__dirname, '../../dist/src/data/feed/mixed_feed.js');

let tmp: string;
let video: string;
let image: string;

function index(samples: Sample[]): DatasetIndex {
  return { name: 'mix', format: 'manifest', split: 'train', root: tmp, labels: ['a', 'b'], samples, problems: [], sampling: 'dense', flipAllowed: true };
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-feed-'));
  video = path.join(tmp, 'clip.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', video]);
  image = path.join(tmp, 'still.png');
  await sharp({ create: { width: 48, height: 40, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toFile(image);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a read-ahead batch that fails is reported by next() in its turn, never as an unhandled rejection', () => {
  // A dataset holding an image and a video: their clips (1 and 2 frames) cannot share a batch, so every batch fails
  // while it is assembled, the ones read ahead included. In a plain Node process an unhandled rejection exits 1.
  const script = `
    const { MixedFeed } = require(${JSON.stringify(DIST_FEED)});
    const pre = ${JSON.stringify(PRE)};
    const index = { name: 'mix', format: 'manifest', split: 'train', root: ${JSON.stringify(tmp)}, labels: ['a', 'b'],
      samples: [{ path: ${JSON.stringify(image)}, label: 0, kind: 'image' }, { path: ${JSON.stringify(video)}, label: 1, kind: 'video' }],
      problems: [], sampling: 'dense', flipAllowed: true };
    (async () => {
      const feed = new MixedFeed([{ name: 'mix', index, sample: { preprocessing: pre, training: true } }], { batchSize: 2, seed: 0, prefetch: 3 });
      const errors = [];
      for (let i = 0; i < 4; i++) {
        try { await feed.next(); errors.push(null); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
      }
      await feed.close();
      await new Promise((r) => setTimeout(r, 1500)); // the batches still read ahead settle (and fail) after close
      process.stdout.write(JSON.stringify(errors));
    })();`;
  const file = path.join(tmp, 'reject.js');
  fs.writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const errors = JSON.parse(r.stdout) as Array<string | null>;
  expect(errors).toHaveLength(4);
  for (const e of errors) expect(e).toMatch(/^DatasetError: dataset 'mix' gives clips of different shapes .*images and videos cannot share a batch/);
});

test('one sample that fails with an unexpected error (TypeError from a damaged cache entry) is skipped and counted', async () => {
  const cacheDir = path.join(tmp, 'cache');
  const other = path.join(tmp, 'clip2.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'smptebars=size=64x48:rate=10', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', other]);
  const idx = index([
    { path: video, label: 0, kind: 'video' },
    { path: other, label: 1, kind: 'video' },
  ]);
  const feedOf = () => new MixedFeed([{ name: 'mix', index: idx, sample: { preprocessing: PRE, training: true, cacheDir } }], { batchSize: 2, seed: 3, prefetch: 1, maxBad: 5 });
  const first = feedOf();
  const b1 = await first.next();
  await first.close();
  expect(b1.groups[0].paths.sort()).toEqual([video, other].sort());
  // The same seed and step ask for the same decodes, so a second feed reads these entries: damage one of them.
  const entries = cacheEntries(cacheDir);
  expect(entries).toHaveLength(2);
  damageCacheEntry(entries[0]);

  const second = feedOf();
  const b2 = await second.next();
  await second.close();
  expect(b2.groups[0].paths).toHaveLength(1);
  expect(b2.bad).toHaveLength(1);
  expect(b2.bad[0].problem).toMatch(/TypeError/);
  expect(b2.bad[0].reason).toBe('error');
  expect(second.badCounts()).toEqual({ mix: 1 });
});

describe('one feed, sharded by rank', () => {
  let sources: FeedSource[];

  beforeAll(() => {
    const clips = ['testsrc', 'smptebars', 'rgbtestsrc', 'testsrc2', 'yuvtestsrc'].map((src, i) => {
      const file = path.join(tmp, `shard${i}.mp4`);
      ffmpeg(['-f', 'lavfi', '-i', `${src}=size=64x48:rate=10`, '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
      return file;
    });
    sources = [
      { name: 'vid', index: index(clips.slice(0, 3).map((p, i) => ({ path: p, label: i % 2, kind: 'video' as const }))), sample: { preprocessing: PRE, training: true } },
      { name: 'more', index: index(clips.slice(3).map((p, i) => ({ path: p, label: i % 2, kind: 'video' as const }))), sample: { preprocessing: PRE, training: true } },
    ];
  });

  /** The rows of a rank's batch: global row, dataset, sample and pixels, in row order. */
  function rows(b: TrainBatch): { row: number; dataset: string; sampleIdx: number; pixels: string }[] {
    return b.groups
      .flatMap((g) => {
        const per = g.x.length / g.labels.length;
        return g.rows.map((row, i) => ({ row, dataset: g.dataset, sampleIdx: g.sampleIdx[i], pixels: Buffer.from(g.x.buffer, g.x.byteOffset + i * per * 4, per * 4).toString('base64') }));
      })
      .sort((a, b) => a.row - b.row);
  }

  async function take(opts: MixedFeedOptions, n: number): Promise<{ batches: TrainBatch[]; decoded: number }> {
    const feed = new MixedFeed(sources, opts);
    const batches: TrainBatch[] = [];
    try {
      for (let i = 0; i < n; i++) batches.push(await feed.next());
      return { batches, decoded: feed.stats().decoded };
    } finally {
      await feed.close();
    }
  }

  test('world 2: the two ranks\' shares are, in order, the world-1 batch with the same random crops, flips and frames', async () => {
    const opts: MixedFeedOptions = { batchSize: 4, seed: 5, prefetch: 2 };
    const whole = await take(opts, 3);
    const r0 = await take({ ...opts, shard: { rank: 0, world: 2 } }, 3);
    const r1 = await take({ ...opts, shard: { rank: 1, world: 2 } }, 3);
    for (let s = 0; s < 3; s++) {
      const one = rows(whole.batches[s]);
      expect(one.map((r) => r.row)).toEqual([0, 1, 2, 3]);
      expect(rows(r0.batches[s]).map((r) => r.row)).toEqual([0, 1]); // contiguous shares of B/world rows
      expect(rows(r1.batches[s]).map((r) => r.row)).toEqual([2, 3]);
      expect([...rows(r0.batches[s]), ...rows(r1.batches[s])]).toEqual(one);
      expect(r0.batches[s].step).toBe(s);
      expect(r0.batches[s].sampler).toEqual(whole.batches[s].sampler); // every rank draws the same global batch
    }
    // Each rank decodes only its own share: at most 2 rows of each of the 3 batches and of the 2 read ahead, while one
    // process decodes all 4 rows of each of the 3 batches at least.
    for (const r of [r0, r1]) expect(r.decoded).toBeLessThanOrEqual(2 * (3 + 2));
    expect(whole.decoded).toBeGreaterThanOrEqual(4 * 3);
  });

  test('a batch size that does not divide by the world size is one ConfigError naming --batch-size and --nproc', () => {
    const attempt = () => new MixedFeed(sources, { batchSize: 3, seed: 0, shard: { rank: 1, world: 2 } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('--batch-size 3 does not split evenly over --nproc 2 ranks');
    try {
      attempt();
    } catch (e) {
      expect((e as ConfigError).oneLine()).toBe('--batch-size 3 does not split evenly over --nproc 2 ranks (fix: give a --batch-size that is a multiple of 2, e.g. 4, or another --nproc)');
    }
  });

  test('resume from the sampler state a batch carries continues exactly (no replay)', async () => {
    const opts: MixedFeedOptions = { batchSize: 4, seed: 9 };
    const straight = await take(opts, 4);
    const resumed = await take({ ...opts, resume: straight.batches[1].sampler }, 2);
    expect(resumed.batches.map((b) => b.step)).toEqual([2, 3]);
    expect(resumed.batches.map(rows)).toEqual(straight.batches.slice(2).map(rows));
    // A sampler state from another run is refused in one line.
    expect(() => new MixedFeed(sources, { ...opts, seed: 10, resume: straight.batches[1].sampler })).toThrow(/the saved batch sampler used seed 9, not 10/);
  });
});
