// Real media for the data tests: Debian opencv-doc's sample videos (vtest.avi; cup.mp4 and box.mp4 ship gzipped), and
// ffmpeg for clips the tests generate. Cases that need opencv-doc skip, saying so, where it is not installed.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { requireFfmpeg, resetFfmpegCache } from '../../src/data/decode/video/find_ffmpeg';
import { resetAvLoad } from '../../src/data/decode/video/av_addon';

export const OPENCV_DOC = '/usr/share/doc/opencv-doc';
export const VTEST = path.join(OPENCV_DOC, 'examples/data/vtest.avi');
export const HAVE_OPENCV = fs.existsSync(VTEST);
export const withOpencv = HAVE_OPENCV ? test : test.skip;

/** Finds `<name>.gz` under opencv-doc and gunzips it into `dir`; returns the path. */
export function gunzipSample(name: string, dir: string): string {
  const found = execFileSync('find', [OPENCV_DOC, '-name', `${name}.gz`], { encoding: 'utf8' }).split('\n')[0];
  const out = path.join(dir, name);
  fs.writeFileSync(out, gunzipSync(fs.readFileSync(found)));
  return out;
}

/** Runs ffmpeg quietly; throws with its stderr on failure. */
export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/**
 * Runs `fn` with only ffmpeg visible (no ffprobe beside it or on PATH) and the process decoder chosen, so probes fall
 * back to ffmpeg's banner and stream copy; the environment and the lookups are restored afterwards.
 */
export async function withoutFfprobe(fn: () => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-noprobe-'));
  fs.symlinkSync(requireFfmpeg().ffmpeg, path.join(dir, 'ffmpeg'));
  const saved = { PATH: process.env.PATH, COVER_FFMPEG: process.env.COVER_FFMPEG, COVER_FFPROBE: process.env.COVER_FFPROBE, COVER_DECODER: process.env.COVER_DECODER };
  process.env.COVER_FFMPEG = path.join(dir, 'ffmpeg');
  process.env.PATH = dir;
  process.env.COVER_DECODER = 'ffmpeg'; // the process path: the in-process decoder needs no ffprobe at all
  delete process.env.COVER_FFPROBE;
  resetFfmpegCache();
  resetAvLoad();
  try {
    await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetFfmpegCache();
    resetAvLoad();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every entry of a --cache-dir folder (decoded clips, one file each under a subfolder). */
export function cacheEntries(cacheDir: string): string[] {
  const entries: string[] = [];
  for (const sub of fs.readdirSync(cacheDir)) for (const f of fs.readdirSync(path.join(cacheDir, sub))) entries.push(path.join(cacheDir, sub, f));
  return entries;
}

/** Rewrites a clip-cache entry with a valid magic and a `null` header: reading it throws a TypeError, not a DecodeError. */
export function damageCacheEntry(file: string): void {
  const header = Buffer.from('null');
  const damaged = Buffer.alloc(8 + header.length);
  damaged.write('CVC1', 0);
  damaged.writeUInt32LE(header.length, 4);
  header.copy(damaged, 8);
  fs.writeFileSync(file, damaged);
}
