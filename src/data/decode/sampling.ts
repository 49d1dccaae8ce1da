// Which frames and which spatial views a clip is made of, as pure functions on indices (docs/notes/cover-spec.md
// §1.10). Ported from facebookresearch/SlowFast slowfast/datasets/decoder.py (get_start_end_idx, temporal_sampling,
// used by TimeSformer's kinetics.py), TimeSformer timesformer/datasets/ssv2.py (get_seq_frames) and
// slowfast/datasets/transform.py (uniform_crop). Frame indices are 0-based positions in the video at its own frame rate.

import { ConfigError } from '../../errors';
import { Rng } from '../rng';

/** Which temporal clip to take: 'random' in training, else clip k of numClips (0-based) at test. */
export type ClipChoice = 'random' | number;

/** numpy's np.round: halves go to the even neighbour (2.5 -> 2, 3.5 -> 4). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torch.linspace(start, end, n) */
export function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (end - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => start + step * i);
}

function assertCounts(totalFrames: number, numFrames: number): void {
  if (!Number.isInteger(totalFrames) || totalFrames < 1) {
    throw new Error(`sampling: totalFrames must be a whole number >= 1, got ${totalFrames}`);
  }
  if (!Number.isInteger(numFrames) || numFrames < 1) {
    throw new Error(`sampling: numFrames must be a whole number >= 1, got ${numFrames}`);
  }
}

/**
 * Start and end frame (floats) of a window of clipSize frames: PySlowFast `get_start_end_idx`.
 * Training draws the start uniformly in [0, delta]; test clip k of K starts at delta*k/K (so a single test clip starts
 * at frame 0, as the reference code does, not in the middle as the paper says: docs/notes/cover-spec.md §5.8). With
 * useOffset (the reference's USE_OFFSET_SAMPLING) the K clips spread over [0, delta] and a single one is centred.
 */
export function startEndIdx(
  videoSize: number,
  clipSize: number,
  clip: ClipChoice,
  numClips: number,
  rng?: Rng,
  useOffset = false,
): [number, number] {
  const delta = Math.max(videoSize - clipSize, 0);
  let start: number;
  if (clip === 'random') {
    if (!rng) throw new Error('startEndIdx: a random clip needs an rng');
    start = rng.uniform(0, delta);
  } else {
    if (!Number.isInteger(clip) || clip < 0 || clip >= numClips) {
      throw new Error(`startEndIdx: clip ${clip} is not in 0..${numClips - 1}`);
    }
    start = useOffset
      ? numClips === 1
        ? Math.floor(delta / 2)
        : clip * Math.floor(delta / (numClips - 1))
      : (delta * clip) / numClips;
  }
  return [start, start + clipSize - 1];
}

/**
 * The stride of dense sampling in frames of a video at `fps`. The reference resamples every video to TARGET_FPS 30 and
 * takes frames SAMPLING_RATE apart there (decoder.py: clip_size = sampling_rate * num_frames / target_fps * fps), which
 * is samplingRate * fps / targetFps frames at the video's own rate. Without targetFps (checkpoints written before it),
 * samplingRate counts frames at the video's own rate.
 * @example
 * videoStride(32, 25, 30) // 26.666666666666668: 8 frames then span 8.5 s of a 25 fps video, as of a 30 fps one
 * videoStride(10, 12, 30) // 4
 */
export function videoStride(samplingRate: number, fps: number, targetFps?: number): number {
  if (!targetFps || !(fps > 0)) return samplingRate;
  return (samplingRate * fps) / targetFps;
}

/**
 * Kinetics-style dense sampling: a window of numFrames*samplingRate frames, numFrames indices spread evenly in it
 * (torch.linspace, clamped to the video, truncated to integers as `.long()` does). A video shorter than the window
 * repeats its last frame. `samplingRate` is in frames of this video (videoStride) and may be fractional.
 * @example
 * denseIndices(300, 8, 32, 0, 1) // [0, 36, 72, 109, 145, 182, 218, 255]
 */
export function denseIndices(
  totalFrames: number,
  numFrames: number,
  samplingRate: number,
  clip: ClipChoice,
  numClips = 1,
  rng?: Rng,
  useOffset = false,
): number[] {
  assertCounts(totalFrames, numFrames);
  const [start, end] = startEndIdx(totalFrames, numFrames * samplingRate, clip, numClips, rng, useOffset);
  return linspace(start, end, numFrames).map((v) => Math.trunc(Math.min(Math.max(v, 0), totalFrames - 1)));
}

/**
 * SSv2-style TSN segments (TimeSformer ssv2.py get_seq_frames): the video is cut into numFrames equal segments; training
 * takes a random frame of each (both ends included), test takes each segment's middle.
 * @example
 * segmentIndices(49, 8, false) // [3, 9, 15, 21, 27, 33, 39, 45]
 */
export function segmentIndices(totalFrames: number, numFrames: number, training: boolean, rng?: Rng): number[] {
  assertCounts(totalFrames, numFrames);
  const segSize = (totalFrames - 1) / numFrames;
  const out: number[] = [];
  for (let i = 0; i < numFrames; i++) {
    const start = roundHalfEven(segSize * i);
    const end = roundHalfEven(segSize * (i + 1));
    if (training) {
      if (!rng) throw new Error('segmentIndices: training needs an rng');
      out.push(rng.randint(start, end));
    } else {
      out.push(Math.floor((start + end) / 2));
    }
  }
  return out;
}

/**
 * Moments-in-Time style: numFrames indices spread evenly over the whole clip (3 s clips need no window).
 * @example
 * uniformIndices(90, 8) // [0, 12, 25, 38, 50, 63, 76, 89]
 */
export function uniformIndices(totalFrames: number, numFrames: number): number[] {
  assertCounts(totalFrames, numFrames);
  return linspace(0, totalFrames - 1, numFrames).map((v) => Math.trunc(v));
}

/** Test views: temporal clips x spatial crops, e.g. '1x3' (CoVeR and TimeSformer's evaluation). */
export interface Views {
  temporal: number;
  spatial: 1 | 3;
}

export function parseViews(spec: string): Views {
  const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/.exec(spec);
  const t = m ? Number(m[1]) : NaN;
  const s = m ? Number(m[2]) : NaN;
  if (!m || t < 1 || (s !== 1 && s !== 3)) {
    throw new ConfigError(`views '${spec}' is not '<temporal clips>x<spatial crops>' with crops 1 or 3`, {
      suggestion: "use e.g. '1x3' (1 clip, 3 crops: the CoVeR protocol) or '1x1'",
    });
  }
  return { temporal: t, spatial: s as 1 | 3 };
}

/**
 * Top-left corner [x, y] of spatial crop `index` of a frame: PySlowFast `uniform_crop`. With 3 crops, index 0/1/2 is
 * left/center/right along the long side (top/center/bottom for a portrait frame); with 1 crop, pass index 1 (center).
 */
export function uniformCropOffset(width: number, height: number, size: number, index: number): [number, number] {
  if (size > width || size > height) {
    throw new Error(`uniformCropOffset: crop ${size} is larger than the frame ${width}x${height}`);
  }
  let y = Math.ceil((height - size) / 2);
  let x = Math.ceil((width - size) / 2);
  if (height > width) {
    if (index === 0) y = 0;
    else if (index === 2) y = height - size;
  } else {
    if (index === 0) x = 0;
    else if (index === 2) x = width - size;
  }
  return [x, y];
}

/** The crop index list for S spatial views: [1] (center) or [0, 1, 2]. */
export function spatialCropIndices(spatial: 1 | 3): number[] {
  return spatial === 1 ? [1] : [0, 1, 2];
}
