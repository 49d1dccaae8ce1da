// Data-pipeline benchmark: how many 8x224 clips per second decoding keeps up with, printed next to the training
// clips/s by bench/index.ts (the feed must stay ahead of the trainer). Four measurements:
//   decode    decodeClip alone (one ffmpeg per clip, recipe C) on Debian opencv-doc's vtest.avi and cup.mp4
//   loader    the split loader over the data feed (probe, sampling, decode, scale/crop/flip/normalise, batching) on a
//             generated set, in training mode
//   feed      the co-training feed the trainer reads (MixedFeed over the same data feed), same set
//   memory    the loader on a set of short clips that fits the whole-video memory cache, with the cache off and on
//             (the same pixels either way: test/data/memory_cache.test.ts)
// each with 1 and 2 clips in flight. Runnable alone: `node dist/bench/data.js [--clips N] [--json]`.

import { spawnSync, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { createLoader } from '../src/data/feed/loader';
import { MixedFeed } from '../src/data/feed/mixed_feed';
import { createRng } from '../src/data/rng';
import { DatasetIndex, Preprocessing } from '../src/data/types';
import { decodeClip } from '../src/data/decode/video/decode';
import { requireFfmpeg } from '../src/data/decode/video/find_ffmpeg';
import { probeVideo, totalFrames } from '../src/data/decode/video/probe';
import { alignedLines, runAlone } from './text_table';

export interface DataBenchRow {
  what: 'decode' | 'loader' | 'feed' | 'memory';
  source: string;
  concurrency: number;
  clips: number;
  msPerClip: number;
  clipsPerSec: number;
}

export interface DataBenchResult {
  /** The loader on the generated set with 2 in flight: what training can count on. */
  clipsPerSec: number;
  msPerClip: number;
  rows: DataBenchRow[];
  /** Sources not measured, with the reason. */
  skipped: string[];
  ffmpeg: string;
}

export interface DataBenchOptions {
  /** Clips per measurement (default 16). */
  clips?: number;
  /** Fewer clips (6 per measurement) for a quick look. */
  quick?: boolean;
  /** Frames per clip and crop (default 8 x 224, the TimeSformer 8x224 setting). */
  numFrames?: number;
  cropSize?: number;
  log?: (line: string) => void;
}

const OPENCV_DOC = '/usr/share/doc/opencv-doc';

async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function row(what: DataBenchRow['what'], source: string, concurrency: number, clips: number, ms: number): DataBenchRow {
  return { what, source, concurrency, clips, msPerClip: ms / clips, clipsPerSec: (clips * 1000) / ms };
}

/**
 * Generated set: 8 clips of `seconds` (10: too long for the memory cache; 4: 27 MB decoded, it fits), 320x240 at 30
 * fps, h264 (keyframe every 2 s, like typical web video).
 */
function generateSet(dir: string, seconds: number): string[] {
  const sources = ['testsrc', 'testsrc2', 'smptebars', 'rgbtestsrc', 'smptehdbars', 'life', 'cellauto', 'yuvtestsrc'];
  return sources.map((src, i) => {
    const file = path.join(dir, `gen${i}-${seconds}s.mp4`);
    const r = spawnSync('ffmpeg', [
      '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `${src}=size=320x240:rate=30`, '-t', String(seconds),
      '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', file,
    ]);
    if (r.status !== 0) throw new Error(`ffmpeg could not generate ${file}: ${r.stderr}`);
    return file;
  });
}

function generatedIndex(root: string, files: string[]): DatasetIndex {
  return {
    name: 'bench-generated',
    format: 'manifest',
    split: 'train',
    root,
    labels: ['x'],
    samples: files.map((p) => ({ path: p, label: 0, kind: 'video' })),
    problems: [],
    sampling: 'dense',
    flipAllowed: true,
  };
}

/**
 * The training loader over `index` with `concurrency` in flight: ms for at least `clips` clips after a warm-up pass over
 * every file (probes are memoised per process, and the memory cache, when on, holds every video, as in a multi-epoch
 * run).
 */
async function timeLoader(index: DatasetIndex, pre: Preprocessing, concurrency: number, clips: number, memoryCacheBytes: number): Promise<{ ms: number; counted: number }> {
  const loader = createLoader(index, { preprocessing: pre, training: true, batchSize: 4, seed: concurrency, concurrency, epochs: Infinity, memoryCacheBytes });
  let seen = 0;
  let counted = 0;
  let t0 = 0n;
  for await (const b of loader) {
    if (t0 === 0n) {
      seen += b.sampleIdx.length;
      if (seen >= index.samples.length) t0 = process.hrtime.bigint();
      continue;
    }
    counted += b.sampleIdx.length;
    if (counted >= clips) break;
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, counted };
}

export async function benchData(opts: DataBenchOptions = {}): Promise<DataBenchResult> {
  const clips = opts.clips ?? (opts.quick ? 6 : 16);
  const T = opts.numFrames ?? 8;
  const S = opts.cropSize ?? 224;
  const log = opts.log ?? (() => undefined);
  const { ffmpeg } = await requireFfmpeg();
  const rows: DataBenchRow[] = [];
  const skipped: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-bench-data-'));
  try {
    // 1. decodeClip alone on real files: random 8-frame clips, stride 4, straight to S x S.
    const real: Array<[string, string]> = [];
    const vtest = path.join(OPENCV_DOC, 'examples/data/vtest.avi');
    if (fs.existsSync(vtest)) real.push(['vtest.avi', vtest]);
    else skipped.push('vtest.avi (opencv-doc not installed)');
    const cupGz = fs.existsSync(OPENCV_DOC)
      ? execFileSync('find', [OPENCV_DOC, '-name', 'cup.mp4.gz'], { encoding: 'utf8' }).split('\n')[0]
      : '';
    if (cupGz) {
      const cup = path.join(tmp, 'cup.mp4');
      fs.writeFileSync(cup, zlib.gunzipSync(fs.readFileSync(cupGz)));
      real.push(['cup.mp4', cup]);
    } else skipped.push('cup.mp4 (opencv-doc not installed)');
    for (const [name, file] of real) {
      const info = await probeVideo(file);
      const span = T * 4;
      const lastStart = Math.max(0, totalFrames(info) - span);
      const starts = Array.from({ length: clips }, (_, i) => createRng(0, name, i).randint(0, lastStart));
      await decodeClip(file, { startS: 0, numFrames: 1, fps: info.fps, size: [S, S] }); // warm the page cache
      for (const c of [1, 2]) {
        const ms = await pool(clips, c, async (i) => {
          await decodeClip(file, { startS: starts[i] / info.fps, numFrames: T, stride: 4, fps: info.fps, size: [S, S] });
        });
        rows.push(row('decode', name, c, clips, ms));
        log(`decode ${name} x${c}: ${(ms / clips).toFixed(1)} ms/clip`);
      }
    }

    // 2. The loader end to end on a generated set (training: random window, scale jitter, crop, flip, normalise).
    const files = generateSet(tmp, 10);
    const index = generatedIndex(tmp, files);
    const pre: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: S, numFrames: T, samplingRate: 4 };
    for (const c of [1, 2]) {
      const ms = await timeLoader(index, pre, c, clips, 0);
      rows.push(row('loader', `generated ${files.length} x 10 s 320x240`, c, ms.counted, ms.ms));
      log(`loader generated x${c}: ${(ms.ms / ms.counted).toFixed(1)} ms/clip`);
    }
    // 3. The co-training feed the trainer reads, on the same set (one dataset, batches of 4).
    for (const c of [1, 2]) {
      const feed = new MixedFeed([{ name: 'gen', index, sample: { preprocessing: pre, training: true } }], { batchSize: 4, seed: c, concurrency: c });
      try {
        let seen = 0;
        while (seen < files.length) seen += (await feed.next()).groups.reduce((n, g) => n + g.labels.length, 0); // warm-up: probes
        let counted = 0;
        const t0 = process.hrtime.bigint();
        while (counted < clips) counted += (await feed.next()).groups.reduce((n, g) => n + g.labels.length, 0);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        rows.push(row('feed', `generated ${files.length} x 10 s 320x240`, c, counted, ms));
        log(`feed generated x${c}: ${(ms / counted).toFixed(1)} ms/clip`);
      } finally {
        await feed.close();
      }
    }
    // 4. The loader on short clips that fit the memory cache (2 GiB, the default), with it off and on.
    const short = generatedIndex(tmp, generateSet(tmp, 4));
    for (const mib of [0, 2048]) {
      for (const c of [1, 2]) {
        const ms = await timeLoader(short, pre, c, clips, mib * 2 ** 20);
        rows.push(row('memory', `generated ${short.samples.length} x 4 s 320x240, cache ${mib ? `${mib} MiB` : 'off'}`, c, ms.counted, ms.ms));
        log(`memory cache ${mib} MiB x${c}: ${(ms.ms / ms.counted).toFixed(1)} ms/clip`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const best = rows.filter((r) => r.what === 'loader' && r.concurrency === 2)[0];
  return { clipsPerSec: best.clipsPerSec, msPerClip: best.msPerClip, rows, skipped, ffmpeg };
}

/** Aligned text table of the rows. */
export function renderDataBench(r: DataBenchResult): string {
  const head = ['what', 'source', 'in flight', 'clips', 'ms/clip', 'clips/s'];
  const body = r.rows.map((x) => [x.what, x.source, String(x.concurrency), String(x.clips), x.msPerClip.toFixed(1), x.clipsPerSec.toFixed(1)]);
  const out = alignedLines(head, body);
  if (r.skipped.length) out.push(`skipped: ${r.skipped.join('; ')}`);
  out.push(`ffmpeg: ${r.ffmpeg}`);
  return out.join('\n');
}

if (require.main === module) runAlone('data', benchData, renderDataBench);
