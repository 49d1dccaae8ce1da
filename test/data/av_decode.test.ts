// The in-process decoder (av/) against an ffmpeg process per clip, on real files: the same probe facts and the same
// frames, byte for byte, on h264 mp4, VP9 webm (SSv2's container) and msmpeg4 avi (vtest.avi), including clips that
// skip ahead over keyframes and one whose views span the file; its failures and arguments; and GPU decoding, which on
// a machine without an NVIDIA GPU must fail in one line. CI builds the addon and sets COVER_EXPECT_AV=1: then a
// missing build fails here instead of skipping.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeDevice, loadAv, setDecodeDevice } from '../../src/data/decode/video/av_addon';
import { decodeClip } from '../../src/data/decode/video/decode';
import { probeVideo, totalFrames } from '../../src/data/decode/video/probe';
import { DecodeError, UsageError } from '../../src/errors';
import { ffmpeg, HAVE_OPENCV, VTEST } from '../helpers/media';

const av = loadAv().addon;
const withAv = av ? test : test.skip;
let tmp: string;
const files: string[] = [];

test('the addon is built where CI expects it', () => {
  if (process.env.COVER_EXPECT_AV === '1') expect(loadAv().error).toBeNull();
});

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-av-'));
  const mp4 = path.join(tmp, 'gop.mp4'); // B-frames, a keyframe every 30 frames: skipping ahead is exercised
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=6', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', mp4]);
  const webm = path.join(tmp, 'gop.webm');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=12:duration=6', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '24', webm]);
  files.push(mp4, webm);
  if (HAVE_OPENCV) files.push(VTEST);
});

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let m = a.length === b.length ? 0 : 255;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

withAv('probe: the same facts as ffprobe', async () => {
  for (const f of files) expect(await probeVideo(f)).toEqual(await probeVideo(f, { decoder: 'ffmpeg' }));
});

withAv('decode: the same frames as the ffmpeg process, byte for byte, scaled or not, near and far apart', async () => {
  for (const f of files) {
    const info = await probeVideo(f);
    const total = totalFrames(info);
    const cases = [
      { start: 0, indices: [0, 1, 2, 3] },
      { start: Math.floor(total / 3), indices: [0, 7, 40, 41] }, // 40 frames on: past a keyframe, so it seeks ahead
      { start: Math.floor(total / 2), indices: [0, 3, 6, 9] },
    ];
    for (const c of cases) {
      for (const size of [[112, 84], [info.width, info.height]] as Array<[number, number]>) {
        const req = { startS: c.start / info.fps, frameIndices: c.indices, numFrames: c.indices.length, fps: info.fps, size, srcSize: [info.width, info.height] as [number, number] };
        const mine = await decodeClip(f, req);
        const theirs = await decodeClip(f, req, { decoder: 'ffmpeg' });
        expect([path.basename(f), c.start, size, mine.repeatedLast]).toEqual([path.basename(f), c.start, size, theirs.repeatedLast]);
        expect([path.basename(f), c.start, size, maxAbsDiff(mine.data, theirs.data)]).toEqual([path.basename(f), c.start, size, 0]);
      }
    }
  }
});

withAv('a clip past the end repeats its last frame, as the process path does', async () => {
  const info = await probeVideo(files[0]);
  const req = { startS: (totalFrames(info) - 3) / info.fps, numFrames: 4, stride: 2, fps: info.fps, size: [64, 48] as [number, number] };
  const mine = await decodeClip(files[0], req);
  const theirs = await decodeClip(files[0], req, { decoder: 'ffmpeg' });
  expect(mine.repeatedLast).toBe(2);
  expect(Buffer.from(mine.data).equals(Buffer.from(theirs.data))).toBe(true);
});

withAv('not a video, and no NVIDIA GPU: one-line DecodeErrors naming the file', async () => {
  const text = path.join(tmp, 'notes.mp4');
  fs.writeFileSync(text, 'not a video\n');
  const e = await probeVideo(text).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(DecodeError);
  expect((e as DecodeError).oneLine()).toMatch(/^.*notes\.mp4: cannot be read as a video: .*\(fix: .*\)$/);
  const gpu = await av!.decode(files[0], { times: [0], width: 32, height: 24, device: 'cuda' }).catch((err: { code: string; message: string }) => err);
  expect((gpu as { code: string }).code).toBe('cuda');
  expect((gpu as { message: string }).message).toMatch(/CUDA|NVDEC/);
  expect((gpu as { message: string }).message).not.toMatch(/\n/);
});

withAv('arguments: wrong types and ranges are thrown at once', () => {
  // (The addon's errors come from Node's own realm, not jest's: matched by message.)
  expect(() => av!.decode(files[0], { times: [], width: 32, height: 24 })).toThrow(/1 to 100000 entries/);
  expect(() => av!.decode(files[0], { times: [1, 0.5], width: 32, height: 24 })).toThrow(/ascending/);
  expect(() => av!.decode(files[0], { times: [0], width: 0, height: 24 })).toThrow(/width must be a whole number/);
  expect(() => av!.setWorkers(0)).toThrow(/from 1 to 256/);
  expect(av!.info().workers).toBeGreaterThanOrEqual(1);
});

test('--decode-device cuda without an NVIDIA GPU is a one-line usage error at once, and decoding stays on the CPU', () => {
  let err: unknown = null;
  try {
    setDecodeDevice('cuda');
  } catch (e) {
    err = e;
  }
  // On a machine with a GPU and a CUDA-enabled FFmpeg this would pass: the device checks are the GPU script's.
  if (err === null) return void setDecodeDevice('cpu');
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).oneLine()).toMatch(/^--decode-device cuda(: .*(CUDA|NVIDIA)| needs the in-process decoder).*\(fix: use --decode-device cpu/);
  expect((err as UsageError).oneLine()).not.toMatch(/\n/);
  expect(decodeDevice()).toBe('cpu');
});
