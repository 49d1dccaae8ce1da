// probeVideo on real files: Debian opencv-doc's sample videos (vtest.avi, cup.mp4, box.mp4) and clips generated here
// with ffmpeg's lavfi testsrc; plus the files that must fail: missing, empty, truncated, not a video, a folder.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DecodeError } from '../../src/errors';
import { requireFfmpeg } from '../../src/data/decode/video/find_ffmpeg';
import { parseFfmpegBanner, probeVideo, totalFrames } from '../../src/data/decode/video/probe';
import { ffmpeg, gunzipSample, HAVE_OPENCV, VTEST, withOpencv, withoutFfprobe } from '../helpers/media';


let tmp: string;
const opencv: Record<string, string> = {};



beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-probe-'));
  if (HAVE_OPENCV) {
    opencv.cup = gunzipSample('cup.mp4', tmp);
    opencv.box = gunzipSample('box.mp4', tmp);
  } else {
    console.warn(`opencv-doc is not installed (${VTEST} missing): skipping the vtest/cup/box cases; .ci/run installs it`);
  }
  // 3 s of testsrc at 10 fps, 64x48: h264 in mp4 (moov at the end) and VP8 in webm (no frame count in the header).
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=3', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', path.join(tmp, 'a.mp4')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=48x64:rate=12:duration=2', '-c:v', 'libvpx', '-deadline', 'realtime', path.join(tmp, 'b.webm')]);
  // The same stream with a 90-degree display rotation (a phone video held upright): ffmpeg decodes it 48x64.
  ffmpeg(['-i', path.join(tmp, 'a.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path.join(tmp, 'rotated.mp4')]);
  const whole = fs.readFileSync(path.join(tmp, 'a.mp4'));
  fs.writeFileSync(path.join(tmp, 'truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 2)));
  fs.writeFileSync(path.join(tmp, 'empty.mp4'), Buffer.alloc(0));
  fs.writeFileSync(path.join(tmp, 'notes.mp4'), 'this is a text file, not a video\n');
  fs.mkdirSync(path.join(tmp, 'folder.mp4'));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('probeVideo on real videos', () => {
  withOpencv('vtest.avi: msmpeg4v3 768x576, 10 fps, 795 frames', async () => {
    expect(await probeVideo(VTEST)).toEqual({ durationS: 79.5, fps: 10, width: 768, height: 576, frames: 795, codec: 'msmpeg4v3' });
  });

  withOpencv('cup.mp4 and box.mp4: h264 640x480 (the video stream, not the audio one)', async () => {
    const cup = await probeVideo(opencv.cup);
    expect(cup).toMatchObject({ width: 640, height: 480, frames: 217, codec: 'h264' });
    expect(cup.fps).toBeCloseTo(26.777, 3);
    expect(cup.durationS).toBeCloseTo(8.104, 3);
    const box = await probeVideo(opencv.box);
    expect(box).toMatchObject({ width: 640, height: 480, frames: 456, codec: 'h264' });
    expect(totalFrames(box)).toBe(456);
  });

  test('generated mp4 and webm (a webm header states no frame count: its packets are counted)', async () => {
    expect(await probeVideo(path.join(tmp, 'a.mp4'))).toEqual({ durationS: 3, fps: 10, width: 64, height: 48, frames: 30, codec: 'h264' });
    const webm = await probeVideo(path.join(tmp, 'b.webm'));
    expect(webm).toMatchObject({ fps: 12, width: 48, height: 64, frames: 24, codec: 'vp8' });
    expect(totalFrames(webm)).toBe(24);
  });

  test('a rotated stream reports the size its frames decode to', async () => {
    expect(await probeVideo(path.join(tmp, 'rotated.mp4'))).toMatchObject({ width: 48, height: 64, frames: 30 });
  });

  test("without ffprobe, ffmpeg's banner gives the same facts", async () => {
    const files = [path.join(tmp, 'a.mp4'), path.join(tmp, 'b.webm'), path.join(tmp, 'rotated.mp4'), ...(HAVE_OPENCV ? [VTEST, opencv.cup] : [])];
    for (const f of files) {
      const banner = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-i', f], { encoding: 'utf8' }).stderr;
      const fromBanner = parseFfmpegBanner(banner, f);
      const fromProbe = await probeVideo(f);
      expect(fromBanner.width).toBe(fromProbe.width);
      expect(fromBanner.height).toBe(fromProbe.height);
      expect(fromBanner.codec).toBe(fromProbe.codec);
      expect(fromBanner.fps).toBeCloseTo(fromProbe.fps, 1); // the banner rounds to 2 decimals
      expect(Math.abs(fromBanner.durationS - fromProbe.durationS)).toBeLessThan(0.05);
      expect(fromBanner.frames).toBeNull();
    }
    expect(() => parseFfmpegBanner(`${tmp}/x.mp4: Invalid data found when processing input\n`, `${tmp}/x.mp4`)).toThrow(
      /cannot be read as a video: Invalid data found/,
    );
  });
});

describe('probeVideo without ffprobe', () => {
  test("finds no ffprobe beside or on PATH, and reads ffmpeg's banner instead", async () => {
    await withoutFfprobe(async () => {
      expect(requireFfmpeg().ffprobe).toBeNull();
      // Copying the stream to nowhere counts its packets, as ffprobe -count_packets does.
      expect(await probeVideo(path.join(tmp, 'a.mp4'))).toEqual({ durationS: 3, fps: 10, width: 64, height: 48, frames: 30, codec: 'h264' });
      expect(await probeVideo(path.join(tmp, 'b.webm'))).toMatchObject({ frames: 24 });
      expect(await probeVideo(path.join(tmp, 'rotated.mp4'))).toMatchObject({ width: 48, height: 64 });
      await expect(probeVideo(path.join(tmp, 'truncated.mp4'))).rejects.toThrow(/cannot be read as a video: moov atom not found/);
    });
  });
});

describe('probeVideo on bad files: one DecodeError line naming the file', () => {
  const cases: Array<[string, RegExp]> = [
    ['missing.mp4', /video file not found/],
    ['empty.mp4', /empty \(0 bytes\)/],
    ['truncated.mp4', /cannot be read as a video: moov atom not found/],
    ['notes.mp4', /cannot be read as a video: \S/],
    ['folder.mp4', /is not a video file/],
  ];
  test.each(cases)('%s', async (name, message) => {
    const file = path.join(tmp, name);
    const err = await probeVideo(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DecodeError);
    const e = err as DecodeError;
    expect(e.path).toBe(file);
    expect(e.message).toMatch(message);
    expect(e.oneLine()).not.toMatch(/\n/);
    expect(e.oneLine().startsWith(`${file}: `)).toBe(true);
    expect(e.suggestion).toBeTruthy();
  });
});

describe('a file that is no video is not called cut short; a symlink loop is not a permission problem', () => {
  const decoders = ['auto', 'ffmpeg'] as const; // the in-process decoder where built, and ffprobe
  test.each(decoders)('text renamed .mp4 / .mkv, and a binary file (decoder %s): not a video file FFmpeg can read (invalid data)', async (decoder) => {
    for (const ext of ['mp4', 'mkv']) {
      const file = path.join(tmp, `readme-${decoder}.${ext}`);
      fs.writeFileSync(file, 'version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 42\n');
      const e = (await probeVideo(file, { decoder }).catch((x: unknown) => x)) as DecodeError;
      expect([ext, e.message]).toEqual([ext, "cannot be read as a video: not a video file FFmpeg can read (invalid data: it is text, beginning 'version https://git-lfs.github.com/spec/...')"]);
      expect(e.suggestion).toMatch(/^download the video again \(an error page or a Git LFS pointer/);
    }
    const bin = path.join(tmp, `random-${decoder}.mp4`);
    fs.writeFileSync(bin, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    const e = (await probeVideo(bin, { decoder }).catch((x: unknown) => x)) as DecodeError;
    expect(e.message).toMatch(/^cannot be read as a video: not a video file FFmpeg can read \(invalid data: /);
    expect(e.oneLine()).not.toMatch(/cut short/);
  });

  test('an mp4 cut before its index is still cut short; one whose first bytes are zero says so', async () => {
    await expect(probeVideo(path.join(tmp, 'truncated.mp4'))).rejects.toThrow(/moov atom not found \(its index, kept at the end of an mp4, is missing: the file is cut short\)/);
    const zeros = path.join(tmp, 'zeros.mp4');
    fs.writeFileSync(zeros, Buffer.alloc(4096));
    await expect(probeVideo(zeros)).rejects.toMatchObject({ message: 'cannot be read as a video: its first bytes are all zero (a download that stopped before writing them)' });
  });

  test('a file symlink loop (ELOOP): says so, and the fix is the link, not the permissions', async () => {
    const loop = path.join(tmp, 'loop.mp4');
    fs.symlinkSync('loop.mp4', loop);
    const e = (await probeVideo(loop).catch((x: unknown) => x)) as DecodeError;
    expect(e.oneLine()).toBe(`${loop}: cannot read the video file: is a symbolic link that loops (ELOOP) (fix: remove the link, or point it at the real file)`);
  });
});
