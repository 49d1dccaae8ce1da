// Real media for the data tests: Debian opencv-doc's sample videos (vtest.avi; cup.mp4 and box.mp4 ship gzipped), and
// ffmpeg for clips the tests generate. Cases that need opencv-doc skip, saying so, where it is not installed.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';

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
