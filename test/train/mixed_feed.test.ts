// The co-training feed never lets one sample, or one read-ahead batch, end the process: a batch that fails while it is
// still being read ahead is reported when its turn comes (never as an unhandled rejection, which kills Node), and a
// sample that fails in an odd way (here a real TypeError from a damaged clip-cache entry) is skipped and counted.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { DatasetIndex, Preprocessing, Sample } from '../../src/data/types';
import { MixedFeed } from '../../src/train/mixed_feed';
import { cacheEntries, damageCacheEntry, ffmpeg } from '../helpers/media';

const PRE: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 2, samplingRate: 2 };
const DIST_FEED = path.resolve(__dirname, '../../dist/src/train/mixed_feed.js');

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
      feed.close();
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
  first.close();
  expect(b1.groups[0].paths.sort()).toEqual([video, other].sort());
  // The same seed and step ask for the same decodes, so a second feed reads these entries: damage one of them.
  const entries = cacheEntries(cacheDir);
  expect(entries).toHaveLength(2);
  damageCacheEntry(entries[0]);

  const second = feedOf();
  const b2 = await second.next();
  second.close();
  expect(b2.groups[0].paths).toHaveLength(1);
  expect(b2.bad).toHaveLength(1);
  expect(b2.bad[0].problem).toMatch(/TypeError/);
  expect(second.badCounts()).toEqual({ mix: 1 });
});
