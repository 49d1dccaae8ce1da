// Decode benchmark: clips/s of each video decoder on the same clips, side by side in one run, with 1 clip at a time and
// with every core. Rows: the ffmpeg process per clip, cover's in-process decoder (av/; 1 worker and 1 clip in flight,
// then one worker per core with two clips in flight per worker), and PyAV (bench/pyav_decode.py on Debian's python3-av:
// the same seek, decode and scale in a loop; 1 process, then one per core). Two samplings:
//   small  8 frames 10 apart at 30 fps, short side 64 (the `small` preset), on the demo suite's videos (mp4 and webm)
//   base   8 frames 32 apart at 30 fps, short side 256 (crop 224: TimeSformer-B), on 10-s 320x240 H.264 mp4 and VP9
//          webm clips and on opencv-doc's vtest.avi (768x576 msmpeg4)
// Runnable alone: `node dist/bench/decode.js [--clips N] [--json]`.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRng } from '../src/data/rng';
import { shortSideSize } from '../src/data/decode/transforms';
import { decodeWorkers, loadAv } from '../src/data/decode/video/av_addon';
import { decodeClip } from '../src/data/decode/video/decode';
import { probeVideo, totalFrames } from '../src/data/decode/video/probe';
import { demoSuitePaths, generateDemoSuite } from '../src/demo/suite';
import { alignedLines, runAlone } from './text_table';

export interface DecodeBenchRow {
  sampling: 'small' | 'base';
  source: string;
  decoder: 'ffmpeg process' | 'in-process' | 'PyAV';
  /** Clips decoded at once (in-process: workers x 2 in flight; PyAV: processes). */
  lanes: number;
  clips: number;
  clipsPerSec: number;
}

export interface DecodeBenchResult {
  cores: number;
  rows: DecodeBenchRow[];
  skipped: string[];
  /** `uptime`'s load averages when the bench started. */
  load: number[];
}

interface Clip {
  path: string;
  startS: number;
  frames: number[];
  size: [number, number];
  fps: number;
}

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const PYTHON = '/usr/bin/python3'; // Debian's, with python3-av (a pyenv python3 on PATH may lack it)

function ffmpegGen(args: string[], file: string): string {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args, file]);
  if (r.status !== 0) throw new Error(`ffmpeg could not generate ${file}: ${r.stderr}`);
  return file;
}

/** `n` clips of `frames` frames `apartAt30` apart (at 30 fps), scaled to short side `short`, at seeded starts. */
async function clipsOf(file: string, n: number, apartAt30: number, short: number): Promise<Clip[]> {
  const info = await probeVideo(file);
  const stride = Math.max(1, Math.round((apartAt30 * info.fps) / 30));
  const span = 7 * stride + 1;
  const last = Math.max(0, totalFrames(info) - span);
  const size = shortSideSize(info.width, info.height, short);
  return Array.from({ length: n }, (_, i) => ({
    path: file,
    startS: createRng(0, file, i).randint(0, last) / info.fps,
    frames: Array.from({ length: 8 }, (_, k) => k * stride),
    size,
    fps: info.fps,
  }));
}

async function timeLanes(clips: Clip[], lanes: number, decode: (c: Clip) => Promise<unknown>): Promise<number> {
  await decode(clips[0]); // warm: page cache, the file's open
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < clips.length) await decode(clips[next++]);
    }),
  );
  return (clips.length * 1e9) / Number(process.hrtime.bigint() - t0);
}

function viaDecodeClip(decoder: 'auto' | 'ffmpeg') {
  return (c: Clip) =>
    decodeClip(c.path, { startS: c.startS, frameIndices: c.frames, numFrames: c.frames.length, fps: c.fps, size: c.size }, { decoder });
}

function pyav(clips: Clip[], procs: number, tmp: string): number {
  const spec = path.join(tmp, 'spec.json');
  fs.writeFileSync(spec, JSON.stringify({ clips: clips.map((c) => ({ path: c.path, startS: c.startS, frames: c.frames, size: c.size })), repeat: 1 }));
  const r = spawnSync(PYTHON, [path.join(__dirname, '..', '..', 'bench', 'pyav_decode.py'), '--spec', spec, '--procs', String(procs)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(String(r.stderr || r.error).trim().split('\n')[0]);
  return (JSON.parse(r.stdout) as { clipsPerSec: number }).clipsPerSec;
}

export async function benchDecode(opts: { clips?: number; log?: (line: string) => void } = {}): Promise<DecodeBenchResult> {
  const n = opts.clips ?? 16;
  const log = opts.log ?? (() => undefined);
  const cores = decodeWorkers();
  const rows: DecodeBenchRow[] = [];
  const skipped: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-bench-decode-'));
  const av = loadAv().addon;
  if (!av) skipped.push(`in-process decoder (${loadAv().error})`);
  try {
    const suite = path.join(tmp, 'demo');
    await generateDemoSuite({ out: suite, size: 'tiny', seed: 0 });
    const demo = demoSuitePaths(suite);
    const find = (dir: string, ext: string): string[] =>
      fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext)).sort().map((f) => path.join(dir, f));
    const sets: Array<{ sampling: 'small' | 'base'; source: string; clips: Clip[] }> = [];
    const spread = async (files: string[], apart: number, short: number): Promise<Clip[]> =>
      (await Promise.all(files.map((f) => clipsOf(f, Math.ceil(n / files.length), apart, short)))).flat().slice(0, n);
    sets.push({ sampling: 'small', source: 'demo k400 mp4', clips: await spread(find(demo.k400.root, '.mp4'), 10, 64) });
    sets.push({ sampling: 'small', source: 'demo ssv2 webm', clips: await spread(find(demo.ssv2.root, '.webm'), 10, 64) });
    const mp4 = ffmpegGen(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '60'], path.join(tmp, 'ten.mp4'));
    const webm = ffmpegGen(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '10', '-pix_fmt', 'yuv420p', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-g', '60'], path.join(tmp, 'ten.webm'));
    sets.push({ sampling: 'base', source: '10 s 320x240 h264 mp4', clips: await clipsOf(mp4, n, 32, 256) });
    sets.push({ sampling: 'base', source: '10 s 320x240 vp9 webm', clips: await clipsOf(webm, n, 32, 256) });
    if (fs.existsSync(VTEST)) sets.push({ sampling: 'base', source: 'vtest.avi 768x576 msmpeg4', clips: await clipsOf(VTEST, n, 32, 256) });
    else skipped.push('vtest.avi (opencv-doc not installed)');

    for (const set of sets) {
      const add = (decoder: DecodeBenchRow['decoder'], lanes: number, clipsPerSec: number): void => {
        rows.push({ sampling: set.sampling, source: set.source, decoder, lanes, clips: set.clips.length, clipsPerSec });
        log(`${set.sampling} ${set.source} ${decoder} x${lanes}: ${clipsPerSec.toFixed(1)} clips/s`);
      };
      for (const lanes of [1, cores]) add('ffmpeg process', lanes, await timeLanes(set.clips, lanes, viaDecodeClip('ffmpeg')));
      if (av) {
        av.setWorkers(1);
        add('in-process', 1, await timeLanes(set.clips, 1, viaDecodeClip('auto')));
        av.setWorkers(cores);
        add('in-process', cores, await timeLanes(set.clips, 2 * cores, viaDecodeClip('auto')));
      }
      for (const procs of [1, cores]) {
        try {
          add('PyAV', procs, pyav(set.clips, procs, tmp));
        } catch (err) {
          if (!skipped.some((s) => s.startsWith('PyAV'))) skipped.push(`PyAV (${(err as Error).message})`);
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { cores, rows, skipped, load: os.loadavg() };
}

/** One line per sampling and source: clips/s of each decoder, 1 at a time and with every core. */
export function renderDecodeBench(r: DecodeBenchResult): string {
  const keys = [...new Set(r.rows.map((x) => `${x.sampling}|${x.source}`))];
  const cols: Array<[DecodeBenchRow['decoder'], number]> = [
    ['ffmpeg process', 1], ['ffmpeg process', r.cores], ['in-process', 1], ['in-process', r.cores], ['PyAV', 1], ['PyAV', r.cores],
  ];
  const head = ['sampling', 'source', ...cols.map(([d, l]) => `${d} x${l}`), 'in-process / PyAV (x1)'];
  const body = keys.map((k) => {
    const [sampling, source] = k.split('|');
    const get = (d: string, l: number): number | undefined => r.rows.find((x) => `${x.sampling}|${x.source}` === k && x.decoder === d && x.lanes === l)?.clipsPerSec;
    const mine = get('in-process', 1);
    const peer = get('PyAV', 1);
    return [sampling, source, ...cols.map(([d, l]) => get(d, l)?.toFixed(1) ?? '-'), mine && peer ? `${(mine / peer).toFixed(2)}x` : '-'];
  });
  const out = [...alignedLines(head, body), `clips/s; ${r.cores} cores; load when started ${r.load.map((l) => l.toFixed(2)).join(' ')}`];
  if (r.skipped.length) out.push(`skipped: ${r.skipped.join('; ')}`);
  return out.join('\n');
}

if (require.main === module) runAlone('decode', benchDecode, renderDecodeBench);
