// decodeClip on real videos (Debian opencv-doc's vtest.avi, cup.mp4, box.mp4; clips generated with lavfi testsrc) and
// decodeImage / decodeImageResized on real images: sizes, distinct frames, seek accuracy (a frame of a clip equals the
// same frame decoded from the start of the file without seeking), short videos, broken files, timeout and abort.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { DecodeError } from '../../src/errors';
import { decodeClip, DecodedClip, DecodeOptions, DecodeRequest, passthroughFlags, selectExpr } from '../../src/data/decode/video/decode';
import { loadAv } from '../../src/data/decode/video/av_addon';
import { probeVideo } from '../../src/data/decode/video/probe';
import { decodeImage, decodeImageResized } from '../../src/data/decode/image/decode';
import { ffmpeg, gunzipSample, HAVE_OPENCV, OPENCV_DOC, VTEST, withOpencv } from '../helpers/media';


let tmp: string;
/** 'auto' is the in-process decoder where it is built (.ci/run requires it there: COVER_EXPECT_AV). */
const DECODERS: Array<'auto' | 'ffmpeg'> = loadAv().addon ? ['auto', 'ffmpeg'] : ['ffmpeg'];
const files: Record<string, string> = {};



/** Frame i of a clip: [H, W, 3]. */
const frame = (c: DecodedClip, i: number): Uint8Array => c.data.subarray(i * c.width * c.height * 3, (i + 1) * c.width * c.height * 3);

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

async function decodeError(p: Promise<unknown>): Promise<DecodeError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DecodeError);
  return e as DecodeError;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-decode-'));
  if (HAVE_OPENCV) {
    files.cup = gunzipSample('cup.mp4', tmp);
    files.box = gunzipSample('box.mp4', tmp);
  } else {
    console.warn(`opencv-doc is not installed (${VTEST} missing): skipping the vtest/cup/box/image cases; .ci/run installs it`);
  }
  files.gen = path.join(tmp, 'gen.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', files.gen]);
  // A file whose header promises 4 s but whose data stops half-way (index at the front, so it still probes).
  files.fast = path.join(tmp, 'fast.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', files.fast]);
  const fast = fs.readFileSync(files.fast);
  files.cut = path.join(tmp, 'cut.mp4');
  fs.writeFileSync(files.cut, fast.subarray(0, Math.floor(fast.length / 2)));
  const gen = fs.readFileSync(files.gen);
  files.nomoov = path.join(tmp, 'nomoov.mp4');
  fs.writeFileSync(files.nomoov, gen.subarray(0, Math.floor(gen.length / 2)));
  files.empty = path.join(tmp, 'empty.mp4');
  fs.writeFileSync(files.empty, Buffer.alloc(0));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Every decodeClip case runs through both decoders: the in-process one (av/, where built) and an ffmpeg process per clip.
describe.each(DECODERS)('%s decoder', (decoder) => {
  const dec = (p: string, req: DecodeRequest, opts: DecodeOptions = {}): Promise<DecodedClip> => decodeClip(p, req, { ...opts, decoder });
describe(`decodeClip: 8 frames at 224x224 from real videos (${decoder})`, () => {
  // box.mp4's h264 stream is not reordered by the decoder (it prints "non-intra slice in an IDR NAL unit" and emits
  // frames with pts going backwards every few frames), so counting frames from the start and counting them after a
  // seek disagree there: only the seek-vs-seek check applies to it.
  const cases: Array<[string, () => string, number, boolean]> = [
    ['vtest.avi (msmpeg4, 4 keyframes in 795 frames)', () => VTEST, 20, true],
    ['cup.mp4 (h264)', () => files.cup, 3.1, true],
    ['box.mp4 (h264, frames out of order)', () => files.box, 7.3, false],
  ];
  (HAVE_OPENCV ? test.each(cases) : test.skip.each(cases))('%s: size, distinct frames, each frame = the same frame decoded alone', async (_n, file, startS, ordered) => {
    const f = file();
    const info = await probeVideo(f);
    const first = Math.round(startS * info.fps);
    const size: [number, number] = [224, 224];
    const clip = await dec(f, { startS: first / info.fps, numFrames: 8, stride: 4, fps: info.fps, size });
    expect(clip).toMatchObject({ frames: 8, width: 224, height: 224, repeatedLast: 0 });
    expect(clip.data.length).toBe(8 * 224 * 224 * 3);
    for (let i = 1; i < 8; i++) expect(meanAbsDiff(frame(clip, i), frame(clip, i - 1))).toBeGreaterThan(1);
    // Each frame decoded alone, with its own seek.
    for (let i = 0; i < 8; i++) {
      const alone = await dec(f, { startS: (first + 4 * i) / info.fps, numFrames: 1, fps: info.fps, size });
      expect(meanAbsDiff(frame(clip, i), frame(alone, 0))).toBeLessThan(0.5);
    }
    if (!ordered) return;
    // The same absolute frames selected counting from frame 0, no seek at all: the seek lands on the right frame.
    const ref = await dec(f, {
      startS: 0,
      frameIndices: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => first + 4 * i),
      numFrames: 8,
      fps: info.fps,
      size,
    });
    for (let i = 0; i < 8; i++) expect(meanAbsDiff(frame(clip, i), frame(ref, i))).toBeLessThan(0.5);
  });

  test('a generated clip: the seek lands on the frame counted from the start, at every start', async () => {
    const all = await dec(files.gen, { startS: 0, numFrames: 100, fps: 25, size: [64, 48] });
    for (const first of [1, 13, 24, 25, 26, 51, 97]) {
      const c = await dec(files.gen, { startS: first / 25, numFrames: 2, stride: 2, fps: 25, size: [64, 48] });
      expect(frame(c, 0)).toEqual(frame(all, first));
      expect(frame(c, 1)).toEqual(frame(all, Math.min(first + 2, 99)));
    }
  });

  withOpencv('scaleShort keeps the aspect ratio (long side floored); no scaling keeps the source size', async () => {
    const a = await dec(VTEST, { startS: 1, numFrames: 2, fps: 10, scaleShort: 224 });
    expect([a.width, a.height, a.data.length]).toEqual([298, 224, 2 * 298 * 224 * 3]);
    const b = await dec(files.cup, { startS: 0, numFrames: 1, fps: 26.777, srcSize: [640, 480] });
    expect([b.width, b.height]).toEqual([640, 480]);
  });
});

describe(`decodeClip on generated clips (${decoder})`, () => {
  test('frames in any order, with repeats, match the sorted decode', async () => {
    const sorted = await dec(files.gen, { startS: 1, frameIndices: [0, 2, 6], numFrames: 3, fps: 25, size: [64, 48] });
    const mixed = await dec(files.gen, { startS: 1, frameIndices: [6, 0, 6, 2], numFrames: 4, fps: 25, size: [64, 48] });
    expect(mixed.frames).toBe(4);
    expect(frame(mixed, 0)).toEqual(frame(sorted, 2));
    expect(frame(mixed, 1)).toEqual(frame(sorted, 0));
    expect(frame(mixed, 2)).toEqual(frame(sorted, 2));
    expect(frame(mixed, 3)).toEqual(frame(sorted, 1));
  });

  test('a stream with a 90-degree rotation decodes upright, at the size probeVideo reports', async () => {
    const rotated = path.join(tmp, 'rotated.mp4');
    ffmpeg(['-i', files.gen, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    const info = await probeVideo(rotated);
    expect([info.width, info.height]).toEqual([120, 160]);
    const up = await dec(rotated, { startS: 0, numFrames: 1, fps: 25, srcSize: [info.width, info.height] });
    const flat = await dec(files.gen, { startS: 0, numFrames: 1, fps: 25, srcSize: [160, 120] });
    expect([up.width, up.height]).toEqual([120, 160]);
    // Display rotation 90 = the stored frame turned counter-clockwise: up(x, y) = flat(W-1-y, x), W = 160.
    let diff = 0;
    for (let y = 0; y < 160; y++)
      for (let x = 0; x < 120; x++)
        for (let c = 0; c < 3; c++) diff += Math.abs(up.data[(y * 120 + x) * 3 + c] - flat.data[(x * 160 + (159 - y)) * 3 + c]);
    expect(diff / up.data.length).toBeLessThan(0.5);
  });

  test("names that start with '-' (Kinetics ids) or hold ':' are files, not options or protocols", async () => {
    for (const name of ['--07WQ2iBlw_000001_000011.mp4', 'cam:1.mp4']) {
      const f = path.join(tmp, name);
      fs.copyFileSync(files.gen, f);
      const rel = path.relative(process.cwd(), f);
      expect((await probeVideo(rel)).frames).toBe(100);
      expect((await dec(rel, { startS: 1, numFrames: 2, fps: 25, size: [32, 24] })).frames).toBe(2);
    }
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      expect((await probeVideo('--07WQ2iBlw_000001_000011.mp4')).width).toBe(160);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a clip running past the end repeats the last frame and says so', async () => {
    // 100 frames; from frame 90 with stride 4: 90, 94, 98 exist, 102..118 do not.
    const c = await dec(files.gen, { startS: 90 / 25, numFrames: 8, stride: 4, fps: 25, size: [64, 48] });
    expect(c.frames).toBe(8);
    expect(c.repeatedLast).toBe(5);
    for (let i = 3; i < 8; i++) expect(frame(c, i)).toEqual(frame(c, 2));
    expect(meanAbsDiff(frame(c, 2), frame(c, 1))).toBeGreaterThan(1);
  });

  test('the select expression: a progression from 0 uses mod, anything else a sum of eq', () => {
    expect(selectExpr([0, 4, 8])).toBe('not(mod(n\\,4))*lte(n\\,8)');
    expect(selectExpr([0, 1, 2])).toBe('lte(n\\,2)');
    expect(selectExpr([1, 5])).toBe('eq(n\\,1)+eq(n\\,5)');
  });

  test('Debian ffmpeg 5.1 takes -fps_mode passthrough', async () => {
    expect(await passthroughFlags('ffmpeg')).toEqual(['-fps_mode', 'passthrough']);
  });
});

describe(`decodeClip failures are DecodeErrors naming the file (${decoder})`, () => {
  test('empty, index-less (truncated) and cut-short files', async () => {
    const req = { startS: 0, numFrames: 4, fps: 25, size: [64, 48] as [number, number] };
    expect((await decodeError(dec(files.empty, req))).oneLine()).toBe(
      `${files.empty}: video file is empty (0 bytes) (fix: re-download or re-encode the file, or remove it from the dataset)`,
    );
    const nomoov = await decodeError(dec(files.nomoov, req));
    expect(nomoov.path).toBe(files.nomoov);
    expect(nomoov.message).toMatch(/moov atom not found/);
    // The cut file still probes as 4 s, but nothing is left at 3 s.
    const late = await decodeError(dec(files.cut, { ...req, startS: 3.5 }));
    expect(late.message).toMatch(/no frame decoded at 3.50 s/);
    expect(late.oneLine()).not.toMatch(/\n/);
    const missing = await decodeError(dec(path.join(tmp, 'nope.mp4'), req));
    expect(missing.message).toBe('video file not found');
  });

  test('timeout stops the decode; so does an abort', async () => {
    const long = { startS: 0, numFrames: 100, fps: 25, size: [160, 120] as [number, number] };
    const t = await decodeError(dec(files.gen, long, { timeoutMs: 1 }));
    expect(t.message).toMatch(/took longer than 1 ms and was stopped/);
    const ac = new AbortController();
    const p = dec(files.gen, long, { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    expect((await decodeError(p)).message).toBe('decode aborted');
  });

  test('bad requests are programming errors, not DecodeErrors', async () => {
    await expect(dec(files.gen, { startS: 0, numFrames: 2, frameIndices: [1], fps: 25 })).rejects.toThrow(/numFrames 2 but 1/);
    await expect(dec(files.gen, { startS: 0, numFrames: 1, frameIndices: [-1], fps: 25 })).rejects.toThrow(/>= 0/);
  });
});

});

describe('decodeImage', () => {
  withOpencv('a real JPEG and a grey PNG decode to RGB', async () => {
    const jpg = await decodeImage(path.join(OPENCV_DOC, 'examples/data/baboon.jpg'));
    expect([jpg.width, jpg.height, jpg.data.length]).toEqual([512, 512, 512 * 512 * 3]);
    const grey = await decodeImage(path.join(OPENCV_DOC, 'examples/data/box.png')); // 8-bit grayscale
    expect([grey.width, grey.height, grey.data.length]).toEqual([324, 223, 324 * 223 * 3]);
    expect(grey.data[3000]).toBe(grey.data[3001]); // R = G = B
  });

  test('pixels come back as written; resize by short side or to a size', async () => {
    const w = 40;
    const h = 30;
    const raw = Buffer.alloc(w * h * 3);
    for (let i = 0; i < w * h; i++) raw.set([i % 256, (i * 3) % 256, 200], i * 3);
    const png = path.join(tmp, 'ramp.png');
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(png);
    const img = await decodeImage(png);
    expect(Buffer.from(img.data)).toEqual(raw);
    const small = await decodeImageResized(png, 20);
    expect([small.width, small.height]).toEqual([26, 20]); // floor(40/30*20)
    const exact = await decodeImageResized(png, [8, 6]);
    expect([exact.width, exact.height, exact.data.length]).toEqual([8, 6, 8 * 6 * 3]);
  });

  test('a truncated JPEG and a missing image are DecodeErrors', async () => {
    const raw = Buffer.alloc(64 * 64 * 3, 128);
    const jpg = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    const cut = path.join(tmp, 'cut.jpg');
    fs.writeFileSync(cut, jpg.subarray(0, Math.floor(jpg.length / 2)));
    const e = await decodeError(decodeImage(cut));
    expect(e.path).toBe(cut);
    expect(e.message).toMatch(/cannot be read as an image: .*premature end/i);
    expect((await decodeError(decodeImageResized(path.join(tmp, 'none.jpg'), 32))).message).toBe('image file not found');
  });
});
