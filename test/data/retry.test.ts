// Temporary failures are retried before a sample counts as bad, and never remembered as bad; any other failure of one
// sample skips that sample instead of stopping the loader. All on real failures: a process whose open files are used
// up (EMFILE from spawn, for a moment), decodes killed by their timeout, and a damaged clip-cache entry.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLoader, LoaderOptions } from '../../src/data/feed/loader';
import { isTransient, transientCode, withRetry } from '../../src/data/decode/retry';
import { DatasetIndex, Preprocessing, Sample } from '../../src/data/types';
import { decodeClip } from '../../src/data/decode/video/decode';
import { DecodeError } from '../../src/errors';
import { resetFfmpegCache } from '../../src/data/decode/video/find_ffmpeg';
import { probeVideo } from '../../src/data/decode/video/probe';
import { cacheEntries, damageCacheEntry, ffmpeg } from '../helpers/media';

// These failures are the ffmpeg process's (spawn's EMFILE, a kill at the timeout): this file runs the process path, in
// this worker and in the loaders it spawns. The in-process decoder's timeouts are tested in test/data/decode.test.ts.
process.env.COVER_DECODER = 'ffmpeg';

const PRE: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 2, samplingRate: 2 };
const DIST_LOADER = path.resolve(__dirname, '../../dist/src/data/feed/loader.js');

let tmp: string;
let clips: string[];

function index(samples: Sample[]): DatasetIndex {
  return { name: 't', format: 'manifest', split: 'val', root: tmp, labels: ['a', 'b'], samples, problems: [], sampling: 'dense', flipAllowed: true };
}

async function collect(idx: DatasetIndex, opts: Partial<LoaderOptions>) {
  const loader = createLoader(idx, { preprocessing: PRE, training: false, batchSize: 1, seed: 0, concurrency: 1, maxBad: 10, ...opts });
  const delivered: string[] = [];
  for await (const b of loader) delivered.push(...b.paths);
  return { delivered, stats: loader.stats() };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-retry-'));
  clips = ['testsrc', 'smptebars', 'rgbtestsrc'].map((src, i) => {
    const file = path.join(tmp, `clip${i}.mp4`);
    ffmpeg(['-f', 'lavfi', '-i', `${src}=size=64x48:rate=10`, '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
    return file;
  });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a decode killed by its timeout is a temporary failure; a broken file is not', async () => {
  const timedOut = await decodeClip(clips[0], { startS: 0, numFrames: 2, fps: 10, size: [32, 32] }, { timeoutMs: 1 }).catch((e: unknown) => e);
  expect(timedOut).toBeInstanceOf(DecodeError);
  expect(transientCode(timedOut)).toBe('timeout');
  const junk = path.join(tmp, 'junk.mp4');
  fs.writeFileSync(junk, 'not a video at all');
  const broken = await decodeClip(junk, { startS: 0, numFrames: 2, fps: 10, size: [32, 32] }).catch((e: unknown) => e);
  expect(broken).toBeInstanceOf(DecodeError);
  expect(isTransient(broken)).toBe(false);
});

test('withRetry: a permanent failure is thrown at once, a temporary one is tried again with growing pauses', async () => {
  const junk = path.join(tmp, 'junk2.mp4');
  fs.writeFileSync(junk, 'still not a video');
  let tries = 0;
  await expect(withRetry(() => (tries++, decodeClip(junk, { startS: 0, numFrames: 1, fps: 10, size: [8, 8] })), { retries: 3, baseDelayMs: 1 })).rejects.toThrow(DecodeError);
  expect(tries).toBe(1);

  // Times out at 1, 2 and 4 ms, then decodes with the default timeout: the fourth try succeeds.
  const pauses: number[] = [];
  let last = Date.now();
  const clip = await withRetry(
    (k) => {
      pauses.push(Date.now() - last);
      last = Date.now();
      return decodeClip(clips[0], { startS: 0, numFrames: 2, fps: 10, size: [32, 32] }, { timeoutMs: k < 3 ? 2 ** k : undefined });
    },
    { retries: 3, baseDelayMs: 40 },
  );
  expect(clip.frames).toBe(2);
  expect(pauses).toHaveLength(4);
  // Pauses of 40, 80, 160 ms (each try adds its own few ms of ffmpeg start-up).
  expect(pauses[1]).toBeGreaterThanOrEqual(40);
  expect(pauses[2]).toBeGreaterThanOrEqual(80);
  expect(pauses[3]).toBeGreaterThanOrEqual(160);
});

test('a sample that keeps timing out is retried, skipped this time, and decoded again when it comes round (not cached as bad)', async () => {
  const idx = index([{ path: clips[1], label: 0, kind: 'video' }]);
  const { delivered, stats } = await collect(idx, { epochs: 2, decodeTimeoutMs: 1, retry: { retries: 2, baseDelayMs: 1 } });
  expect(delivered).toEqual([]);
  expect(stats.bad.count).toBe(1);
  expect(stats.transient).toBe(1);
  expect(stats.bad.problems[0]).toMatch(/took longer than \d+ ms and was stopped/);
  // Two retries in each of the two epochs: the second epoch tried the file again instead of trusting the first.
  expect(stats.retries).toBe(4);
});

test.each(['ffmpeg', 'auto'])('EMFILE while the open files are used up (%s decoder): retried, and the sample decodes once files are free again', (decoder) => {
  // A child process with a low open-file limit takes every free descriptor, starts a loader, and frees them 400 ms
  // later: the probe's spawn fails with EMFILE until then.
  const script = `
    const fs = require('fs');
    const { createLoader } = require(${JSON.stringify(DIST_LOADER)});
    const pre = ${JSON.stringify(PRE)};
    const index = (p) => ({ name: 't', format: 'manifest', split: 'val', root: ${JSON.stringify(tmp)}, labels: ['a'],
      samples: [{ path: p, label: 0, kind: 'video' }], problems: [], sampling: 'dense', flipAllowed: true });
    async function run(p) {
      const loader = createLoader(index(p), { preprocessing: pre, training: false, batchSize: 1, seed: 0, concurrency: 1, maxBad: 5 });
      const paths = [];
      for await (const b of loader) paths.push(...b.paths);
      return { paths, stats: loader.stats() };
    }
    (async () => {
      await run(process.argv[2]); // with every descriptor free: finds ffmpeg and its flags once per process
      const held = [];
      try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      setTimeout(() => held.forEach((fd) => fs.closeSync(fd)), 400);
      const r = await run(process.argv[3]);
      process.stdout.write(JSON.stringify({ held: held.length, paths: r.paths, bad: r.stats.bad, retries: r.stats.retries }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const file = path.join(tmp, 'emfile.js');
  fs.writeFileSync(file, script);
  const r = spawnSync('bash', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${file}" "${clips[0]}" "${clips[2]}"`], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COVER_DECODER: decoder } });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout);
  expect(out.held).toBeGreaterThan(10);
  expect(out.bad.count).toBe(0);
  expect(out.paths).toEqual([clips[2]]);
  expect(out.retries).toBeGreaterThanOrEqual(1);
});

test('a damaged clip-cache entry (a real TypeError while reading it) skips that one sample; the loader goes on', async () => {
  const cacheDir = path.join(tmp, 'cache');
  const idx = index([
    { path: clips[0], label: 0, kind: 'video' },
    { path: clips[1], label: 1, kind: 'video' },
  ]);
  const first = await collect(idx, { cacheDir, epochOrder: 'sequential' });
  expect(first.delivered).toEqual([clips[0], clips[1]]);
  // Rewrite every cache entry with the header `null`: reading it throws a TypeError, not a DecodeError.
  const entries = cacheEntries(cacheDir);
  expect(entries.length).toBe(2);
  damageCacheEntry(entries[0]);

  const second = await collect(idx, { cacheDir, epochOrder: 'sequential' });
  expect(second.delivered).toHaveLength(1);
  expect(second.stats.bad.count).toBe(1);
  expect(second.stats.bad.problems[0]).toMatch(/TypeError/);
});

describe('a probe that the machine kills is temporary, a broken file is not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-killed-probe-'));
  const video = path.join(dir, 'a.mp4');
  beforeAll(() => ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=1', '-pix_fmt', 'yuv420p', video]));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function probeWith(script: string): Promise<unknown> {
    const fake = path.join(dir, 'ffprobe');
    fs.writeFileSync(fake, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    const saved = process.env.COVER_FFPROBE;
    process.env.COVER_FFPROBE = fake;
    resetFfmpegCache();
    try {
      await probeVideo(video);
      return null;
    } catch (err) {
      return err;
    } finally {
      if (saved === undefined) delete process.env.COVER_FFPROBE;
      else process.env.COVER_FFPROBE = saved;
      resetFfmpegCache();
    }
  }

  test('killed by a signal it did not get from cover, or silent: a DecodeError that is retried, never cached', async () => {
    const killed = await probeWith('kill -9 $$');
    expect(killed).toBeInstanceOf(DecodeError);
    expect((killed as Error).message).toBe('ffprobe was killed by SIGKILL');
    expect(isTransient(killed)).toBe(true);
    const silent = await probeWith('exit 0');
    expect((silent as Error).message).toBe('ffprobe printed nothing');
    expect(isTransient(silent)).toBe(true);
  });

  test('a file that is not a video stays a bad file', async () => {
    const text = path.join(dir, 'notes.mp4');
    fs.writeFileSync(text, 'not a video at all\n');
    const err = await probeVideo(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect(isTransient(err)).toBe(false);
  });
});
