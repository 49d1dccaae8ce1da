// Videos cut short the way downloads break, generated here from ffmpeg's testsrc (and opencv-doc's cup.mp4, the
// 217-frame file of issue 9): (a) an mp4 with its index (moov) at the start, data cut at 20% of the bytes: it opens,
// its header still declares every frame, and the probe must report what decodes; (b) an mp4 with its index at the end,
// cut anywhere: it does not open at all, and that is one DecodeError line saying the file is cut short. Then the
// loader: training and evaluation on a file cut short sample only frames that decode.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DecodeError } from '../../src/errors';
import { checkDataset } from '../../src/data/check/check';
import { createLoader, LoaderOptions } from '../../src/data/feed/loader';
import { DatasetIndex, Preprocessing } from '../../src/data/types';
import { decodeClip } from '../../src/data/decode/video/decode';
import { requireFfmpeg } from '../../src/data/decode/video/find_ffmpeg';
import { cutShortMessage, probeVideo, totalFrames, VideoInfo, withPacketCount } from '../../src/data/decode/video/probe';
import { ffmpeg, gunzipSample, withOpencv, withoutFfprobe } from '../helpers/media';

let tmp: string;
/** 9 s of testsrc at 24 fps (216 frames), h264 with B-frames, index at the start; and the same cut at 20%. */
let whole: string;
let cut: string;
/** mpeg4 (Part 2) in mp4, index at the start, cut at 20%. */
let cutMpeg4: string;
/** Default mp4 (index at the end) and copies of it cut at several places. */
let indexAtEnd: string;

function cutAt(src: string, dst: string, bytes: number): string {
  fs.writeFileSync(dst, fs.readFileSync(src).subarray(0, bytes));
  return dst;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-partial-'));
  const src = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=24:duration=9'];
  whole = path.join(tmp, 'whole.mp4');
  ffmpeg([...src, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', whole]);
  cut = cutAt(whole, path.join(tmp, 'cut.mp4'), Math.floor(fs.statSync(whole).size * 0.2));
  const m4 = path.join(tmp, 'whole-mpeg4.mp4');
  ffmpeg([...src, '-c:v', 'mpeg4', '-q:v', '5', '-movflags', '+faststart', m4]);
  cutMpeg4 = cutAt(m4, path.join(tmp, 'cut-mpeg4.mp4'), Math.floor(fs.statSync(m4).size * 0.2));
  indexAtEnd = path.join(tmp, 'index-at-end.mp4');
  ffmpeg([...src, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', indexAtEnd]);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('withPacketCount (the header corrected by the packets the file holds)', () => {
  const stated: VideoInfo = { durationS: 9, fps: 24, width: 160, height: 120, frames: 216, codec: 'h264' };
  test('every packet there: the header stands', () => {
    expect(withPacketCount(stated, 216, 'a.mp4')).toEqual(stated);
    expect(withPacketCount(stated, null, 'a.mp4')).toEqual(stated); // not counted
    // No stated count (webm): the packets are the count.
    expect(withPacketCount({ ...stated, frames: null }, 217, 'a.webm')).toEqual({ ...stated, frames: 217 });
  });
  test('cut short: the last packet is not counted, the duration is what decodes, the header is kept', () => {
    expect(withPacketCount(stated, 22, 'a.mp4')).toEqual({ ...stated, frames: 21, durationS: 21 / 24, declared: { frames: 216, durationS: 9 } });
    expect(cutShortMessage(withPacketCount(stated, 22, 'a.mp4'))).toBe('only 21 of 216 frames decode (0.9 s of 9.0 s): the file is cut short');
  });
  test('a frame or two short of a header (rounding) is not a cut, but still never counts past the end', () => {
    const nearly = withPacketCount({ ...stated, frames: null }, 215, 'a.webm');
    expect(nearly.declared).toBeUndefined();
    expect(cutShortMessage(nearly)).toBeNull();
    expect(nearly.frames).toBe(214);
  });
  test('an avi cut short states its frames but a duration guessed from its size: the declared seconds come from the frames', () => {
    const avi = withPacketCount({ ...stated, durationS: 1.9, fps: 10, frames: 795 }, 156, 'a.avi');
    expect(avi).toMatchObject({ frames: 155, durationS: 1.9, declared: { frames: 795, durationS: 79.5 } });
  });
  test('no whole frame: a DecodeError saying the file is cut short', () => {
    expect(() => withPacketCount(stated, 1, 'a.mp4')).toThrow(DecodeError);
    expect(() => withPacketCount(stated, 0, 'a.mp4')).toThrow(/holds no whole frame: the file is cut short \(its header declares 216 frames, 9\.0 s\)/);
  });
});

describe('probeVideo on mp4s cut short', () => {
  test('(a) index at the start, cut at 20%: the frames that decode, and what the header declares', async () => {
    expect(await probeVideo(whole)).toEqual({ durationS: 9, fps: 24, width: 160, height: 120, frames: 216, codec: 'h264' });
    for (const [file, codec] of [[cut, 'h264'], [cutMpeg4, 'mpeg4']]) {
      const info = await probeVideo(file);
      expect(info).toMatchObject({ fps: 24, codec, declared: { frames: 216, durationS: 9 } });
      expect(info.frames).toBeGreaterThan(5);
      expect(info.frames).toBeLessThan(216 * 0.5);
      expect(info.durationS).toBeCloseTo(info.frames! / 24, 6);
      // Every frame it reports decodes, in one pass from the start: none is a copy of the last.
      const all = totalFrames(info);
      const clip = await decodeClip(file, { startS: 0, numFrames: all, fps: info.fps, size: [32, 24] });
      expect([clip.frames, clip.repeatedLast]).toEqual([all, 0]);
      // And the last one decodes alone, through a seek (as the loader asks for it).
      const last = await decodeClip(file, { startS: (all - 1) / info.fps, numFrames: 1, fps: info.fps, size: [32, 24] });
      expect(last.repeatedLast).toBe(0);
    }
  });

  test('(b) index at the end, cut anywhere: one DecodeError line saying the file is cut short', async () => {
    const size = fs.statSync(indexAtEnd).size;
    for (const at of [0.2, 0.5, 0.9, 0.99]) {
      const file = cutAt(indexAtEnd, path.join(tmp, `end-cut-${at}.mp4`), Math.floor(size * at));
      const err = await probeVideo(file).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DecodeError);
      const line = (err as DecodeError).oneLine();
      expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot be read as a video: .*cut short.*\\(fix: download it again`));
      expect(line).not.toMatch(/\n/);
    }
  });

  test("without ffprobe, ffmpeg's stream copy counts the packets the same way", async () => {
    const withProbe = await probeVideo(cut);
    await withoutFfprobe(async () => {
      expect(requireFfmpeg().ffprobe).toBeNull();
      const banner = await probeVideo(cut);
      expect([banner.frames, banner.declared?.frames]).toEqual([withProbe.frames, 216]);
      expect(await probeVideo(whole)).toMatchObject({ frames: 216, durationS: 9 });
      await expect(probeVideo(path.join(tmp, 'end-cut-0.5.mp4'))).rejects.toThrow(/moov atom not found .*cut short/);
    });
  });

  withOpencv("opencv-doc's cup.mp4 (217 frames) with its index moved to the start, cut at 20%", async () => {
    const cup = gunzipSample('cup.mp4', tmp);
    const fast = path.join(tmp, 'cup-faststart.mp4');
    ffmpeg(['-i', cup, '-c', 'copy', '-movflags', '+faststart', fast]);
    const info = await probeVideo(cutAt(fast, path.join(tmp, 'cup-cut.mp4'), Math.floor(fs.statSync(fast).size * 0.2)));
    expect(info.declared?.frames).toBe(217);
    expect(info.declared?.durationS).toBeCloseTo(8.104, 2);
    expect(info.frames).toBeLessThan(217 * 0.5);
    expect(cutShortMessage(info)).toMatch(/^only \d+ of 217 frames decode \(\d\.\d s of 8\.1 s\): the file is cut short$/);
  });
});

describe('checkDataset and the loader on a file cut short', () => {
  const PRE: Preprocessing = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], cropSize: 32, numFrames: 8, samplingRate: 8 };
  const index = (): DatasetIndex => ({
    name: 'cut',
    format: 'manifest',
    split: 'train',
    root: tmp,
    labels: ['a', 'b'],
    samples: [
      { path: cut, label: 0, kind: 'video' },
      { path: whole, label: 1, kind: 'video' },
    ],
    problems: [],
    sampling: 'dense',
    flipAllowed: true,
  });

  test('checkDataset names it as cut-short with both numbers', async () => {
    const r = await checkDataset(index());
    expect([r.clean, r.ok, r.problemCount, r.problemsByKind['cut-short']]).toEqual([false, 1, 1, 1]);
    expect(r.problems[0]).toMatchObject({ kind: 'cut-short', path: cut });
    expect(r.problems[0].message).toMatch(/^only \d+ of 216 frames decode \(\d\.\d s of 9\.0 s\): the file is cut short \(fix: download it again\)$/);
  });

  test.each([
    ['training', { training: true, epochs: 6 }],
    ['evaluation (3 temporal clips)', { training: false, views: '3x1' }],
  ])('%s samples only frames that decode: no bad sample, no repeated frame', async (_name, over) => {
    const opts: LoaderOptions = { preprocessing: PRE, batchSize: 2, seed: 1, concurrency: 1, maxBad: 100, ...over } as LoaderOptions;
    const loader = createLoader(index(), opts);
    let batches = 0;
    for await (const b of loader) batches += b.labels.length > 0 ? 1 : 0;
    const s = loader.stats();
    expect(batches).toBeGreaterThan(0);
    expect(s.bad.count).toBe(0);
    expect(s.padded).toBe(0);
  });
});
