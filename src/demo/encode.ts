// Writing demo files: raw RGB frames piped into ffmpeg (H.264 mp4 or VP9 webm), JPEGs with sharp, text files; each
// written to `<file>.tmp-<pid>` and renamed, so an interrupted run leaves no half-written file. The encoder settings
// are bit-exact and single-threaded, so the same frames always give the same bytes (the suite's SHA256SUMS rely on it).

import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import sharp from 'sharp';
import { DecodeError } from '../errors';

export type VideoCodec = 'h264' | 'vp9';

export interface EncodeSpec {
  width: number;
  height: number;
  fps: number;
  codec: VideoCodec;
  /** Keyframe interval in frames: small, so that seeking to a clip start is cheap. */
  gop: number;
}

function codecArgs(spec: EncodeSpec): string[] {
  switch (spec.codec) {
    case 'h264':
      return ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-f', 'mp4'];
    case 'vp9':
      return ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '0', '-crf', '30', '-row-mt', '0', '-pix_fmt', 'yuv420p', '-f', 'webm'];
    default: {
      const never: never = spec.codec;
      throw new Error(`unknown codec ${String(never)}`);
    }
  }
}

/** One clip of a batch: its [T, H, W, 3] rgb24 frames and the file to write. */
export interface ClipFrames {
  frames: Uint8Array;
  out: string;
}

/**
 * The ffmpeg arguments that encode several clips, concatenated on stdin, into one file each: a `split` then a `trim`
 * per clip (frame ranges), each output with its own encoder. One process for a batch saves ffmpeg's start-up
 * (~50-100 ms with Debian's shared build), which dominates 16-32 frame clips.
 */
export function encodeArgs(spec: EncodeSpec, frameCounts: number[], outs: string[]): string[] {
  const input = ['-nostdin', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${spec.width}x${spec.height}`, '-r', String(spec.fps), '-i', '-'];
  const perOutput = [...codecArgs(spec), '-g', String(spec.gop), '-threads', '1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-map_metadata', '-1'];
  if (outs.length === 1) return [...input, '-map', '0:v', ...perOutput, outs[0]];
  const graph = [`[0:v]split=${outs.length}${outs.map((_, i) => `[s${i}]`).join('')}`];
  let start = 0;
  frameCounts.forEach((n, i) => {
    graph.push(`[s${i}]trim=start_frame=${start}:end_frame=${start + n},setpts=PTS-STARTPTS[o${i}]`);
    start += n;
  });
  return [...input, '-filter_complex', graph.join(';'), ...outs.flatMap((o, i) => ['-map', `[o${i}]`, ...perOutput, o])];
}

/** Encodes clips of the same size and rate with one ffmpeg process, each file written atomically. */
export async function encodeVideos(ffmpeg: string, clips: ClipFrames[], spec: EncodeSpec): Promise<void> {
  const frameBytes = spec.width * spec.height * 3;
  const counts = clips.map((c) => {
    if (c.frames.length === 0 || c.frames.length % frameBytes !== 0) throw new Error(`encodeVideos: ${c.out}: ${c.frames.length} bytes is not whole ${spec.width}x${spec.height} frames`);
    return c.frames.length / frameBytes;
  });
  const tmps = clips.map((c) => `${c.out}.tmp-${process.pid}`);
  const stderr: Buffer[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const p = spawn(ffmpeg, encodeArgs(spec, counts, tmps), { stdio: ['pipe', 'ignore', 'pipe'] });
    p.stderr.on('data', (d: Buffer) => stderr.push(d));
    p.on('error', reject);
    p.on('close', (c) => resolve(c ?? 1));
    p.stdin.on('error', () => undefined); // EPIPE when ffmpeg dies early; its exit code tells why.
    clips.forEach((c) => p.stdin.write(c.frames));
    p.stdin.end();
  }).catch((err: NodeJS.ErrnoException) => {
    throw new DecodeError(`cannot run ffmpeg to encode: ${err.code ?? err.message}`, { path: ffmpeg, suggestion: 'check the ffmpeg install (cover doctor)', cause: err });
  });
  if (code !== 0) {
    await Promise.all(tmps.map((t) => fs.rm(t, { force: true })));
    const msg = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] || `exit code ${code}`;
    throw new DecodeError(`ffmpeg could not encode ${spec.codec}: ${msg}`, {
      path: clips[0].out,
      suggestion: 'use an ffmpeg built with libx264 and libvpx (Debian: apt-get install ffmpeg)',
    });
  }
  for (let i = 0; i < clips.length; i++) await fs.rename(tmps[i], clips[i].out);
}

/** Writes [H, W, 3] rgb24 pixels as a JPEG, atomically. */
export async function writeJpeg(rgb: Uint8Array, width: number, height: number, out: string): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(tmp);
  await fs.rename(tmp, out);
}

/** Writes a text file atomically. */
export async function writeText(out: string, text: string): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, out);
}

/** Runs jobs with at most `concurrency` in flight, in order; after a failure starts no more, waits for the running
 * ones (so nothing still writes when the caller cleans up) and rethrows the first error. */
export async function runPool(jobs: Array<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  let firstError: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !firstError) {
      const job = jobs[next++];
      try {
        await job();
      } catch (err) {
        firstError ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  if (firstError) throw (firstError as { err: unknown }).err;
}
