// The addon's API (src/addon.cc). probe, decode and scale run on the addon's own decode pool (setWorkers; default: the
// machine's cores) and settle on the JS thread. A file is opened once and kept open between its probe and its decodes
// while it is unchanged. Failures reject with an Error whose `code` says what went wrong and whose `log` holds the
// lines FFmpeg logged about the file. Wrong argument types throw a TypeError, values out of range a RangeError.

export interface AvInfo {
  version: string;
  /** The FFmpeg release the libraries come from, e.g. '5.1.9-0+deb12u1'. */
  ffmpeg: string;
  libavformat: string;
  libavcodec: string;
  libswscale: string;
  /** Hardware device types this FFmpeg knows ('cuda' where it can use NVDEC). */
  hardware: string[];
  workers: number;
}

/** What the file states and holds, in ffprobe's terms. */
export interface AvFacts {
  codec: string;
  /** Coded size, before rotation. */
  width: number;
  height: number;
  /** 0, 90, 180 or 270: how the display matrix turns the picture (decode returns it turned). */
  rotation: number;
  /** Average frame rate, else the stream's base rate; 0 when neither is stated. */
  fps: number;
  /** NaN when not stated. */
  streamDurationS: number;
  formatDurationS: number;
  /** The header's frame count (0 when not stated). */
  declaredFrames: number;
  /** Packets of the stream the file really holds. */
  packets: number;
}

export interface AvDecodeRequest {
  /** Seconds from the start of the file, strictly ascending: for each, the first frame at or after t - half a frame. */
  times: number[];
  /** Output size in the displayed orientation; frames are scaled with fast bilinear, as ffmpeg's scale filter. */
  width: number;
  height: number;
  /** 'cuda': decode with NVDEC, copying only the sampled frames back (default 'cpu'). */
  device?: 'cpu' | 'cuda';
  /** The codec's own threads for this clip (default 1: the pool runs one clip per worker). */
  codecThreads?: number;
}

export interface AvDecoded {
  /** [filled, height, width, 3] uint8 RGB (room for times.length frames). */
  data: Buffer;
  /** Frames filled, in order; fewer than asked when the video ends first (the last one is then its last frame). */
  filled: number;
  width: number;
  height: number;
}

export type AvErrorCode = 'open' | 'nostream' | 'nodecoder' | 'noframe' | 'cuda' | 'nomem' | 'internal';

export function info(): AvInfo;
/** Why NVDEC decoding cannot run here, or an empty string when it can (opens the CUDA device once). */
export function cudaProblem(): string;
/** Sets the decode pool's size; returns it. */
export function setWorkers(n: number): number;
export function probe(path: string, opts?: { device?: 'cpu' | 'cuda'; codecThreads?: number }): Promise<AvFacts>;
export function decode(path: string, req: AvDecodeRequest): Promise<AvDecoded>;
/**
 * `frames` RGB frames [frames, height, width, 3] scaled to toWidth x toHeight with cover's scaler (src/scale.h: the same
 * bytes as src/data/decode/resize.ts in JS). Copies `data` before it returns. Absent from builds before it was added.
 */
export function scale(data: Uint8Array, size: { frames: number; width: number; height: number; toWidth: number; toHeight: number }): Promise<AvDecoded>;
