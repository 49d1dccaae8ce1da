// Decode a few frames of a video into uint8 RGB. Two decoders give the same frames (bench/decode.ts and
// test/data/av_decode.test.ts measure and check it):
//   - in process (av/, av_addon.ts), where it is built: seek to the keyframe at or before the first wanted frame,
//     decode forward, convert and scale only the wanted frames, straight into the clip's buffer, on cover's decode pool;
//   - one ffmpeg process per clip otherwise (docs/notes/engine-probe.md §5, recipe C, ~50-100 ms for 8 frames at 224):
//     `-ss` before `-i` (keyframe seek, then accurate decode forward), `select` of the wanted frames *before* `scale`, the
//     scale and the RGB conversion inside ffmpeg, `-frames:v N` to stop after the last wanted frame, rgb24 on a pipe.
// Frame n of a request is the n-th frame at or after startS - half a frame (the in-process decoder finds it by its
// timestamp: the same frame in a constant-rate video).
//
// Output: [frames, height, width, 3] uint8, row-major, in the order the frames were asked for (repeats allowed).

import { execFile, spawn } from 'child_process';
import { DecodeError } from '../../../errors';
import { requireFfmpeg } from './find_ffmpeg';
import { AvAddon, decodeDevice, loadAv, settleWithin } from './av_addon';
import { assertReadableFile, avFailure, ffmpegInput, firstErrorLine, probeVideo } from './probe';
import { shortSideSize } from '../transforms';

export interface DecodeRequest {
  /** Time of the first wanted frame, seconds from the start of the file. */
  startS: number;
  /** Frames to return, counted from the frame at startS (0 = that frame); any order, repeats allowed. */
  frameIndices?: number[];
  /** Frames to return; with frameIndices it must equal their count. */
  numFrames: number;
  /** Without frameIndices: every stride-th frame from startS (default 1). */
  stride?: number;
  /** The stream's frame rate (probeVideo): the seek lands half a frame early so rounding never loses the first frame. */
  fps: number;
  /** Scale so that the short side is this (long side floored, as the reference). */
  scaleShort?: number;
  /** Scale to exactly [w, h] (wins over scaleShort). */
  size?: [number, number];
  /** [w, h] of the source (probeVideo); probed when needed and absent. */
  srcSize?: [number, number];
}

export interface DecodedClip {
  /** [frames, height, width, 3] uint8 RGB. */
  data: Uint8Array;
  frames: number;
  width: number;
  height: number;
  /** How many of the returned frames are copies of the last decoded one because the video ended first (0 normally). */
  repeatedLast: number;
}

export interface DecodeOptions {
  /** Give the clip up after this long (default 30 s): ffmpeg is killed, an in-process decode's result dropped. */
  timeoutMs?: number;
  /** Give the clip up the same way when the consumer no longer needs it. */
  signal?: AbortSignal;
  /** 'ffmpeg': one ffmpeg process even where the in-process decoder is built (the bench and the tests compare both). */
  decoder?: 'auto' | 'ffmpeg';
}

const BAD_FILE_FIX = 're-download or re-encode the file, or remove it from the dataset';

/** The frames a request wants, in order. */
export function wantedFrames(req: DecodeRequest): number[] {
  const wanted = req.frameIndices ?? Array.from({ length: req.numFrames }, (_, i) => i * (req.stride ?? 1));
  if (wanted.length !== req.numFrames) {
    throw new Error(`decodeClip: numFrames ${req.numFrames} but ${wanted.length} frameIndices`);
  }
  if (wanted.length === 0 || wanted.some((i) => !Number.isInteger(i) || i < 0)) {
    throw new Error(`decodeClip: frame indices must be whole numbers >= 0, got [${wanted.join(', ')}]`);
  }
  return wanted;
}

/** ffmpeg `select` expression for a sorted list of distinct frame numbers. */
export function selectExpr(unique: number[]): string {
  const last = unique[unique.length - 1];
  const step = unique.length > 1 ? unique[1] - unique[0] : 1;
  const isProgression = unique[0] === 0 && unique.every((v, i) => v === i * step);
  if (isProgression) return step === 1 ? `lte(n\\,${last})` : `not(mod(n\\,${step}))*lte(n\\,${last})`;
  return unique.map((i) => `eq(n\\,${i})`).join('+');
}

const syncFlagCache = new Map<string, Promise<string[]>>();

/**
 * `-fps_mode passthrough` on ffmpeg >= 5.1, else `-vsync 0` (the only spelling older builds know): one frame out per
 * frame selected, no duplicates or drops. Asked once per ffmpeg binary.
 */
export function passthroughFlags(ffmpeg: string): Promise<string[]> {
  let p = syncFlagCache.get(ffmpeg);
  if (!p) {
    p = new Promise((resolve) => {
      execFile(ffmpeg, ['-hide_banner', '-h', 'long'], { timeout: 10_000, maxBuffer: 4 << 20 }, (_err, stdout) => {
        resolve(/-fps_mode\b/.test(String(stdout)) ? ['-fps_mode', 'passthrough'] : ['-vsync', '0']);
      });
    });
    syncFlagCache.set(ffmpeg, p);
  }
  return p;
}

/** The ffmpeg argument list for a request (exported for tests and the benchmark). */
export function ffmpegArgs(
  path: string,
  req: DecodeRequest,
  unique: number[],
  out: [number, number],
  scale: boolean,
  syncFlags: string[],
): string[] {
  const seek = Math.max(0, req.startS - 0.5 / req.fps);
  const filters = [`select=${selectExpr(unique)}`];
  if (scale) filters.push(`scale=${out[0]}:${out[1]}:flags=fast_bilinear`);
  filters.push('format=rgb24');
  return [
    '-nostdin',
    '-v', 'error',
    ...(seek > 0 ? ['-ss', seek.toFixed(6)] : []),
    '-i', ffmpegInput(path),
    '-map', '0:v:0',
    '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    ...syncFlags,
    '-frames:v', String(unique.length),
    '-f', 'rawvideo',
    '-pix_fmt', 'rgb24',
    'pipe:1',
  ];
}

/** Run ffmpeg, streaming stdout into `buf`; resolves with the byte count. Kills the process on timeout or abort. */
function runInto(ffmpeg: string, args: string[], buf: Uint8Array, path: string, opts: DecodeOptions): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new DecodeError('decode aborted', { path }));
      return;
    }
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let got = 0;
    let stderr = '';
    let failure: DecodeError | null = null;
    const kill = (why: DecodeError): void => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () =>
        kill(
          new DecodeError(`ffmpeg took longer than ${timeoutMs} ms and was stopped`, {
            path,
            suggestion: 'check the file; raise the decode timeout for very long seeks',
          }),
        ),
      timeoutMs,
    );
    const onAbort = (): void => kill(new DecodeError('decode aborted', { path }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // On EMFILE/ENFILE Node gives no stdio streams (and emits 'error'): nothing to read, the 'error' handler reports it.
    child.stdout?.on('data', (chunk: Buffer) => {
      const n = Math.min(chunk.length, buf.length - got);
      if (n > 0) buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), got);
      got += n;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString('utf8');
    });
    child.on('error', (e) => {
      failure ??= new DecodeError(`cannot run ffmpeg (${(e as NodeJS.ErrnoException).code ?? e.message})`, {
        path,
        suggestion: 'check the ffmpeg install (cover doctor)',
        cause: e,
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else if (code !== 0) {
        reject(new DecodeError(`ffmpeg cannot decode it: ${firstErrorLine(stderr, path)}`, { path, suggestion: BAD_FILE_FIX }));
      } else resolve(got);
    });
  });
}

interface Decoded {
  /** [U, H, W, 3] for the unique wanted frames, in ascending order; the first `decoded` are filled. */
  buf: Uint8Array;
  decoded: number;
}

async function decodeWithFfmpeg(path: string, req: DecodeRequest, unique: number[], out: [number, number], scale: boolean, opts: DecodeOptions): Promise<Decoded> {
  const { ffmpeg } = await requireFfmpeg();
  const frameBytes = out[0] * out[1] * 3;
  const buf = new Uint8Array(unique.length * frameBytes); // [U, H, W, 3]
  const args = ffmpegArgs(path, req, unique, out, scale, await passthroughFlags(ffmpeg));
  const bytes = await runInto(ffmpeg, args, buf, path, opts);
  return { buf, decoded: Math.floor(bytes / frameBytes) };
}

async function decodeInProcess(av: AvAddon, path: string, req: DecodeRequest, unique: number[], out: [number, number], opts: DecodeOptions): Promise<Decoded> {
  const times = unique.map((f) => req.startS + f / req.fps);
  const work = av.decode(path, { times, width: out[0], height: out[1], device: decodeDevice() }).catch((e: unknown) => {
    // A file that yields no frame at all is worded below, as for the ffmpeg path.
    if ((e as { code?: string }).code === 'noframe') return { data: new Uint8Array(0), filled: 0 };
    throw avFailure(e, path);
  });
  const r = await settleWithin(work, path, 'decode', opts);
  return { buf: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength), decoded: r.filled };
}

/**
 * Decode the frames a request names into uint8 RGB, scaled by the decoder.
 * A video that ends before the last wanted frame repeats its last decoded frame (counted in `repeatedLast`); one that
 * yields no frame at all, or that ffmpeg cannot read, is a DecodeError.
 * @example
 * await decodeClip(vtest, {startS: 10, numFrames: 8, stride: 4, fps: 10, size: [224, 224]})
 * // { data: Uint8Array(1204224), frames: 8, width: 224, height: 224, repeatedLast: 0 }
 */
export async function decodeClip(path: string, req: DecodeRequest, opts: DecodeOptions = {}): Promise<DecodedClip> {
  const wanted = wantedFrames(req);
  if (!(req.fps > 0)) throw new Error(`decodeClip: fps must be > 0, got ${req.fps}`);
  await assertReadableFile(path);
  const av = opts.decoder === 'ffmpeg' ? null : loadAv().addon;

  let src = req.srcSize;
  if (!req.size && !src) {
    const info = await probeVideo(path, opts);
    src = [info.width, info.height];
  }
  const out: [number, number] = req.size ?? (req.scaleShort ? shortSideSize(src![0], src![1], req.scaleShort) : src!);
  const scale = !src || out[0] !== src[0] || out[1] !== src[1];

  const unique = [...new Set(wanted)].sort((a, b) => a - b);
  const frameBytes = out[0] * out[1] * 3;
  const { buf, decoded } = av ? await decodeInProcess(av, path, req, unique, out, opts) : await decodeWithFfmpeg(path, req, unique, out, scale, opts);
  if (decoded === 0) {
    throw new DecodeError(`no frame decoded at ${req.startS.toFixed(2)} s (the file is shorter than its header says, or truncated)`, {
      path,
      suggestion: BAD_FILE_FIX,
    });
  }

  // Frame k of `unique` is at k*frameBytes when k < decoded; later ones repeat the last decoded frame.
  const slot = new Map(unique.map((f, k) => [f, Math.min(k, decoded - 1)]));
  const repeatedLast = wanted.filter((f) => unique.indexOf(f) >= decoded).length;
  const inOrder = decoded === unique.length && wanted.length === unique.length && wanted.every((f, i) => f === unique[i]);
  let data = buf;
  if (!inOrder) {
    data = new Uint8Array(wanted.length * frameBytes);
    wanted.forEach((f, i) => {
      const k = slot.get(f)!;
      data.set(buf.subarray(k * frameBytes, (k + 1) * frameBytes), i * frameBytes);
    });
  }
  return { data, frames: wanted.length, width: out[0], height: out[1], repeatedLast };
}
