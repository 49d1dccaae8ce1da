// What a video file holds (duration, frame rate, size, frame count, codec), read with ffprobe's JSON output, or from
// `ffmpeg -i`'s banner when no ffprobe was found. A file that cannot be a video (missing, empty, truncated, unreadable,
// no video stream) is a DecodeError naming the file and the problem, in one line.
//
// What is really there, not what the header promises: a download cut short keeps its header (an mp4 with its index at
// the start still lists 216 frames when only the first 20% of the bytes arrived), so the frames are counted from the
// packets the file holds (ffprobe -count_packets, or `ffmpeg -c copy -f null` without ffprobe): demuxing only, no
// decode. Measured (CPU per file, ffmpeg 5.1): the probe alone ~0.27 s (process start); the count adds ~0 on a 10 s
// 340p mp4 and on vtest.avi (8 MB), 0.04 s on a 170 MB avi, where a full decode (-count_frames) adds 0.3 s and 6.3 s.
// When the file holds fewer packets than declared, its last packet is cut too (the cut lands inside it) and is not
// counted, so nothing ever samples a frame that does not decode whole; durationS and frames are then what decodes, and
// `declared` keeps the header's numbers for `cover data check` and predict.
// ffmpeg words a file that is no video at all as it words a cut one ("moov atom not found" for text renamed .mp4), so a
// file ffmpeg cannot open is called cut short only when its first bytes are those of a video container; text or
// unknown bytes are "not a video file FFmpeg can read (invalid data)".

import { execFile } from 'child_process';
import { closeSync, openSync, promises as fsp, readSync, constants as fsc } from 'fs';
import { basename, resolve as resolvePath } from 'path';
import { DecodeError } from '../../../errors';
import { errnoCode, fsProblem } from '../../../fs_problem';
import { requireFfmpeg } from './find_ffmpeg';
import { AvAddon, loadAv, settleWithin } from './av_addon';

export interface VideoInfo {
  /**
   * Seconds of video the file holds: the stream's duration (or the container's when the stream has none), or, for a
   * file cut short, the frames that decode / fps.
   */
  durationS: number;
  /** Average frame rate (frames per second). */
  fps: number;
  /** Frame size as decoded frames come out: swapped for a stream rotated by 90 or 270 degrees (ffmpeg auto-rotates). */
  width: number;
  height: number;
  /**
   * Frames the file holds, counted from its packets (at most what the header states); null when they could not be
   * counted (then durationS x fps is used).
   */
  frames: number | null;
  /** ffmpeg's codec name, e.g. `h264`, `msmpeg4v3`, `vp9`. */
  codec: string;
  /** Only for a file that holds clearly less than its header declares (cut short): the header's frames and seconds. */
  declared?: { frames: number; durationS: number };
}

export interface ProbeOptions {
  /** Kill ffprobe after this long (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** 'ffmpeg': ffprobe even where the in-process decoder is built (the bench and the tests compare both). */
  decoder?: 'auto' | 'ffmpeg';
}

const BAD_FILE_FIX = 're-download or re-encode the file, or remove it from the dataset';
export const CUT_FIX = 'download it again';

/** What ffmpeg says about a file that ends before its data or its index does (a download cut short). */
const CUT_SIGNS = /moov atom not found|partial file|ended prematurely|end of file|contradictionary STSC and STCO|truncat/i;

/**
 * Box types an ISO media file (mp4, mov, 3gp) may start with, then the first bytes of Matroska/WebM, AVI, MPEG-PS/ES,
 * FLV, Ogg and ASF: a file that starts like this is a video container, whatever ffmpeg then says.
 */
const MP4_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'styp', 'uuid']);
const CONTAINER_MAGIC = [[0x1a, 0x45, 0xdf, 0xa3], [0x52, 0x49, 0x46, 0x46], [0x00, 0x00, 0x01], [0x46, 0x4c, 0x56], [0x4f, 0x67, 0x67, 0x53], [0x30, 0x26, 0xb2, 0x75]];

/** The first bytes of a file (enough for an MPEG-TS sync byte at 188), or null when they cannot be read. */
function readHead(path: string): Buffer | null {
  const head = Buffer.alloc(192);
  try {
    const fd = openSync(path, 'r');
    try {
      return head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** What a file's first bytes say it is. */
function headKind(b: Buffer): 'container' | 'zeros' | 'text' | 'other' {
  if (b.length >= 8 && MP4_BOXES.has(b.toString('latin1', 4, 8))) return 'container';
  if (CONTAINER_MAGIC.some((m) => m.every((x, i) => b[i] === x)) || (b[0] === 0x47 && b[188] === 0x47)) return 'container';
  if (b.every((x) => x === 0)) return 'zeros';
  return b.every((x) => x === 0x09 || x === 0x0a || x === 0x0d || x >= 0x20) ? 'text' : 'other';
}

/** The first line of a text file, printable ASCII only and short, to quote in a message. */
function textStart(b: Buffer): string {
  const line = b.toString('latin1', 0, 40).split(/[\r\n]/)[0].replace(/[^\x20-\x7e]/g, '?');
  return b.length > 40 && line.length === 40 ? `${line}...` : line;
}

/** The DecodeError for a file ffmpeg cannot open, saying so when its messages point at a file cut short. */
export function unreadable(stderr: string, path: string): DecodeError {
  const head = readHead(path);
  const kind = head && headKind(head);
  if (kind === 'text') {
    return new DecodeError(`cannot be read as a video: not a video file FFmpeg can read (invalid data: it is text, beginning '${textStart(head!)}')`, {
      path,
      suggestion: 'download the video again (an error page or a Git LFS pointer saved in its place looks like this), or remove it from the dataset',
    });
  }
  if (kind === 'zeros') {
    return new DecodeError('cannot be read as a video: its first bytes are all zero (a download that stopped before writing them)', {
      path,
      suggestion: `${CUT_FIX}, or remove it from the dataset`,
    });
  }
  if (kind === 'other') {
    return new DecodeError(`cannot be read as a video: not a video file FFmpeg can read (invalid data: ${firstErrorLine(stderr, path)})`, { path, suggestion: BAD_FILE_FIX });
  }
  const cut = CUT_SIGNS.test(stderr);
  const why = /moov atom not found/i.test(stderr) ? ' (its index, kept at the end of an mp4, is missing: the file is cut short)' : cut ? ' (the file looks cut short)' : '';
  return new DecodeError(
    `cannot be read as a video: ${firstErrorLine(stderr, path)}${why}`,
    { path, suggestion: cut ? `${CUT_FIX}, or remove it from the dataset` : BAD_FILE_FIX },
  );
}

/** The frame count to sample from: the frames the file holds, else duration x fps (at least 1). */
export function totalFrames(info: VideoInfo): number {
  return Math.max(1, info.frames ?? Math.round(info.durationS * info.fps));
}

/** Frames a file may lack before it counts as cut short: 1, or 1% of a long video (a header's rounding, not a cut). */
export function cutSlack(declaredFrames: number): number {
  return Math.max(1, Math.floor(declaredFrames / 100));
}

/**
 * The facts a header states, corrected by the packets the file really holds (see the top of this file). Fewer packets
 * than declared: the last one is cut and not counted, durationS becomes frames / fps, and beyond cutSlack the header's
 * numbers are kept in `declared`. A file that holds no whole frame is a DecodeError.
 * @example
 * withPacketCount({ durationS: 9, fps: 24, width: 160, height: 120, frames: 216, codec: 'h264' }, 22, 'clip.mp4')
 * // { durationS: 0.875, fps: 24, width: 160, height: 120, frames: 21, codec: 'h264', declared: { frames: 216, durationS: 9 } }
 */
export function withPacketCount(stated: VideoInfo, packets: number | null, path: string): VideoInfo {
  if (packets === null || !Number.isInteger(packets) || packets < 0) return stated;
  const declared = stated.frames ?? Math.max(1, Math.round(stated.durationS * stated.fps));
  if (packets >= declared) return { ...stated, frames: stated.frames === null ? packets : declared };
  const frames = packets - 1; // the cut lands inside the last packet
  if (frames < 1) {
    throw new DecodeError(
      `holds no whole frame: the file is cut short (its header declares ${declared} frames, ${stated.durationS.toFixed(1)} s)`,
      { path, suggestion: CUT_FIX },
    );
  }
  const cut = { ...stated, frames, durationS: Math.min(stated.durationS, frames / stated.fps) };
  // An avi cut short states its full frame count but a duration guessed from its size: the count is the header's word.
  const declaredS = stated.frames === null ? stated.durationS : Math.max(stated.durationS, declared / stated.fps);
  return declared - packets > cutSlack(declared) ? { ...cut, declared: { frames: declared, durationS: declaredS } } : cut;
}

/** One line for a file cut short: `only 21 of 216 frames decode (0.9 s of 9.0 s): the file is cut short`. */
export function cutShortMessage(info: VideoInfo): string | null {
  if (!info.declared) return null;
  const frames = info.frames ?? Math.round(info.durationS * info.fps);
  return `only ${frames} of ${info.declared.frames} frames decode (${info.durationS.toFixed(1)} s of ${info.declared.durationS.toFixed(1)} s): the file is cut short`;
}

/** Fails with a one-line DecodeError unless `path` is a non-empty, readable regular file. */
export async function assertReadableFile(path: string, what = 'video'): Promise<void> {
  let st;
  try {
    st = await fsp.stat(path);
    await fsp.access(path, fsc.R_OK);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      throw new DecodeError(`${what} file not found`, { path, suggestion: 'check the path and the dataset root' });
    }
    const { message, suggestion } = fsProblem(e, 'file');
    throw new DecodeError(`cannot read the ${what} file: ${message}`, { path, suggestion, cause: e });
  }
  if (!st.isFile()) throw new DecodeError(`is not a ${what} file`, { path, suggestion: `point at a ${what} file` });
  if (st.size === 0) throw new DecodeError(`${what} file is empty (0 bytes)`, { path, suggestion: BAD_FILE_FIX });
}

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runTool(cmd: string, args: string[], path: string, opts: ProbeOptions): Promise<ToolResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', signal: opts.signal, maxBuffer: 16 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ABORT_ERR') {
          reject(new DecodeError('probe aborted', { path, cause: err }));
        } else if (err && err.killed) {
          reject(
            new DecodeError(`${cmd} took longer than ${timeoutMs} ms and was stopped`, {
              path,
              suggestion: 'check the file; raise the decode timeout for very large files',
            }),
          );
        } else if (err && err.signal) {
          // Killed by a signal cover did not send (the machine's: an OOM kill, a loaded system): not the file's fault.
          reject(new DecodeError(`${basename(cmd)} was killed by ${err.signal}`, { path, suggestion: 'check the machine (memory, load) and run again', cause: { code: 'ESIGNAL' } }));
        } else if (err && typeof err.code === 'string') {
          reject(new DecodeError(`cannot run ${cmd}: ${err.code}`, { path, suggestion: 'check the ffmpeg install (cover doctor)', cause: err }));
        } else {
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
        }
      },
    );
  });
}

/**
 * A path as an ffmpeg/ffprobe input: absolute, behind the `file:` protocol, so a name that starts with '-' (Kinetics ids
 * do: `--07WQ2iBlw_000001_000011.mp4`) or holds a ':' is never read as an option or a protocol.
 */
export function ffmpegInput(path: string): string {
  return `file:${resolvePath(path)}`;
}

/** The first meaningful line of a tool's stderr, without the file name it repeats. */
export function firstErrorLine(stderr: string, path: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const line = lines.find((l) => /invalid|error|not found|truncat|corrupt|no such|unknown|unsupported/i.test(l)) ?? lines[0];
  if (!line) return 'no details from ffmpeg';
  return line
    .split(`${ffmpegInput(path)}: `)
    .join('')
    .split(`${path}: `)
    .join('')
    .replace(/^\[[^\]]+\]\s*/, '');
}

/** "30000/1001" -> 29.97; "0/0" -> NaN */
function parseRate(rate: string | undefined): number {
  if (!rate) return NaN;
  const [n, d] = rate.split('/').map(Number);
  return d === undefined ? n : d === 0 ? NaN : n / d;
}

function finite(...xs: Array<number | undefined>): number | undefined {
  return xs.find((x) => x !== undefined && Number.isFinite(x) && x > 0);
}

interface FfprobeStream {
  [key: string]: unknown;
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

/** Packets of the first video stream read by -count_packets (null when absent). */
function readPackets(json: string): number | null {
  try {
    const n = Number((JSON.parse(json) as FfprobeJson).streams?.[0]?.nb_read_packets);
    return Number.isInteger(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

/** The last `frame=  N` of ffmpeg's progress output (frames a `-c copy -f null` run passed on); null when none. */
export function copiedFrames(stderr: string): number | null {
  const all = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  return all.length ? Number(all[all.length - 1][1]) : null;
}

interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { duration?: string };
}

/** True when a rotation (degrees, any sign) turns the frame on its side. */
function quarterTurn(deg: number): boolean {
  return Math.abs(Math.round(deg / 90)) % 2 === 1;
}

/** What a file's header states about its first video stream, as ffprobe and the in-process decoder both read it. */
export interface StatedFacts {
  codec: string;
  /** Coded size, before rotation. */
  width: number;
  height: number;
  /** Degrees of the display matrix's turn, any sign. */
  rotation: number;
  /** Candidate frame rates, the first usable one wins (average, then base rate). */
  rates: number[];
  /** The header's frame count (not an integer > 0: not stated). */
  declaredFrames: number;
  /** Candidate durations in seconds, the first usable one wins (the stream's, then the container's). */
  durations: number[];
}

/** The VideoInfo a header states (no packet count yet), or a DecodeError naming what is missing. */
export function statedInfo(s: StatedFacts, path: string): VideoInfo {
  const fps = finite(...s.rates);
  const frames = Number.isInteger(s.declaredFrames) && s.declaredFrames > 0 ? s.declaredFrames : null;
  const durationS = finite(...s.durations, frames && fps ? frames / fps : undefined);
  const [width, height] = quarterTurn(s.rotation) ? [s.height, s.width] : [s.width, s.height];
  if (!fps || !durationS || !(width > 0) || !(height > 0)) {
    throw new DecodeError(
      `video stream has no usable ${!fps ? 'frame rate' : !durationS ? 'duration' : 'frame size'}`,
      { path, suggestion: BAD_FILE_FIX },
    );
  }
  return { durationS, fps, width, height, frames, codec: s.codec };
}

/** Parse ffprobe's `-print_format json` for the first video stream. */
export function parseFfprobeJson(json: string, path: string): VideoInfo {
  let parsed: FfprobeJson;
  if (json.trim() === '') {
    // ffprobe's JSON writer prints at least `{}`, even for a broken file: no output at all is the run, not the file.
    throw new DecodeError('ffprobe printed nothing', { path, suggestion: 'check the machine (memory, load) and run again', cause: { code: 'ESIGNAL' } });
  }
  try {
    parsed = JSON.parse(json) as FfprobeJson;
  } catch (e) {
    throw new DecodeError('ffprobe printed something that is not JSON', { path, suggestion: BAD_FILE_FIX, cause: e });
  }
  const s = parsed.streams?.[0];
  if (!s) throw new DecodeError('has no video stream', { path, suggestion: 'give a video file (or an image under an image dataset)' });
  return statedInfo(
    {
      codec: String(s.codec_name ?? 'unknown'),
      width: Number(s.width),
      height: Number(s.height),
      rotation: Number(s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? s.tags?.rotate ?? 0),
      rates: [parseRate(String(s.avg_frame_rate ?? '')), parseRate(String(s.r_frame_rate ?? ''))],
      declaredFrames: Number(s.nb_frames),
      durations: [Number(s.duration), Number(parsed.format?.duration)],
    },
    path,
  );
}

/** Parse the banner `ffmpeg -i FILE` prints on stderr (used when there is no ffprobe). */
export function parseFfmpegBanner(stderr: string, path: string): VideoInfo {
  const dur = /Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  const vid = /Stream #\d+:\d+[^:]*: Video: ([\w-]+)[^\n]*?, (\d{2,5})x(\d{2,5})[^\n]*?(?:, ([\d.]+)(k?) fps|, ([\d.]+)(k?) tbr)/.exec(stderr);
  if (!vid) {
    if (/Stream #/.test(stderr)) throw new DecodeError('has no video stream', { path, suggestion: BAD_FILE_FIX });
    throw unreadable(stderr, path);
  }
  const rate = Number(vid[4] ?? vid[6]) * ((vid[5] ?? vid[7]) === 'k' ? 1000 : 1);
  const durationS = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : NaN;
  if (!(rate > 0) || !(durationS > 0)) {
    throw new DecodeError(`video stream has no usable ${rate > 0 ? 'duration' : 'frame rate'}`, { path, suggestion: BAD_FILE_FIX });
  }
  // The stream's rotation, printed in its metadata block: `displaymatrix: rotation of -90.00 degrees` (ffmpeg >= 5) or
  // `rotate : 90` (older).
  const block = stderr.slice(vid.index).split(/\n\s*Stream #/)[0];
  const rot = /rotation of (-?[\d.]+) degrees|rotate\s*:\s*(-?\d+)/.exec(block);
  const turned = rot ? quarterTurn(Number(rot[1] ?? rot[2])) : false;
  const [w, h] = [Number(vid[2]), Number(vid[3])];
  return { durationS, fps: rate, width: turned ? h : w, height: turned ? w : h, frames: null, codec: vid[1] };
}

/**
 * Duration, frame rate, size, frame count and codec of a video file.
 * @example
 * await probeVideo('/usr/share/doc/opencv-doc/examples/data/vtest.avi')
 * // { durationS: 79.5, fps: 10, width: 768, height: 576, frames: 795, codec: 'msmpeg4v3' }
 */
export async function probeVideo(path: string, opts: ProbeOptions = {}): Promise<VideoInfo> {
  await assertReadableFile(path);
  const av = opts.decoder === 'ffmpeg' ? null : loadAv().addon;
  if (av) return probeInProcess(av, path, opts);
  const tools = await requireFfmpeg();
  if (tools.ffprobe) {
    const r = await runTool(
      tools.ffprobe,
      ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_streams', '-show_format', '-print_format', 'json', ffmpegInput(path)],
      path,
      opts,
    );
    if (r.code !== 0) throw unreadable(r.stderr, path);
    return withPacketCount(parseFfprobeJson(r.stdout, path), readPackets(r.stdout), path);
  }
  // No ffprobe: `ffmpeg -i FILE` prints the same facts on stderr, and copying the video stream to nowhere counts its
  // packets (the last `frame=` of the progress line).
  const r = await runTool(
    tools.ffmpeg,
    ['-hide_banner', '-nostdin', '-i', ffmpegInput(path), '-map', '0:v:0?', '-c', 'copy', '-f', 'null', '-'],
    path,
    opts,
  );
  return withPacketCount(parseFfmpegBanner(r.stderr, path), r.code === 0 ? copiedFrames(r.stderr) : null, path);
}

/** probeVideo through the in-process decoder: the same facts from the same libraries, in one open kept for the decodes. */
async function probeInProcess(av: AvAddon, path: string, opts: ProbeOptions): Promise<VideoInfo> {
  const f = await settleWithin(av.probe(path).catch((e: unknown) => Promise.reject(avFailure(e, path))), path, 'probe', opts);
  const stated = statedInfo(
    {
      codec: f.codec,
      width: f.width,
      height: f.height,
      rotation: f.rotation,
      rates: [f.fps],
      declaredFrames: f.declaredFrames,
      durations: [f.streamDurationS, f.formatDurationS],
    },
    path,
  );
  return withPacketCount(stated, f.packets, path);
}

/** The DecodeError for a failure of the in-process decoder, worded as the ffmpeg path words the same failure. */
export function avFailure(err: unknown, path: string): DecodeError {
  if (err instanceof DecodeError) return err;
  const e = err as { code?: string; message?: string; log?: string };
  // The machine's, not the file's: out of descriptors or memory for a moment is retried (retry.ts), never a bad file.
  const errno = /Too many open files/i.test(e.message ?? '') ? 'EMFILE' : /Cannot allocate memory/i.test(e.message ?? '') || e.code === 'nomem' ? 'ENOMEM' : null;
  if (errno) return new DecodeError(`cannot open it now: ${e.message}`, { path, suggestion: 'raise the open-file limit (ulimit -n) or lower --concurrency', cause: { code: errno } });
  switch (e.code) {
    case 'open':
      return unreadable(`${e.log ?? ''}\n${e.message ?? ''}`, path);
    case 'nostream':
      return new DecodeError('has no video stream', { path, suggestion: 'give a video file (or an image under an image dataset)' });
    case 'cuda':
      return new DecodeError(String(e.message), { path, suggestion: 'decode on the CPU (--decode-device cpu), or run where an NVIDIA GPU and driver are' });
    default:
      return new DecodeError(`cannot decode it: ${e.message ?? String(err)}`, { path, suggestion: BAD_FILE_FIX, cause: err });
  }
}
