// `cover predict`'s library side: the top-k labels of one video or image for each dataset head of a checkpoint.
//
// A video is cut into windows, each one test clip as the checkpoint was trained on: numFrames frames spread over
// numFrames*samplingRate frames at the checkpoint's targetFps (Kinetics-style dense sampling, sampling.ts), short side
// scaled to 256/224 of the crop size, center crop (TimeSformer's test transform with 1 spatial crop, transforms.ts). Windows slide over the whole
// video with a stride (default: the window length, so they tile it); when the stride leaves a tail uncovered, a last
// window is aligned to the end of the video. Each window's probabilities are the softmax of the head's logits; the
// overall prediction is their mean over windows. A video cut short (a broken download: fewer frames in the file than
// its header declares, probe.ts) is read only as far as it decodes, and the prediction says so (`partial`). An image
// (jpg, png, ...) is a single-frame clip (T = 1, docs/notes/cover-spec.md §2.3) and gives one window.
//
// Decoding: the windows of one forward batch are decoded together, at the source's size, by one decode (the union of
// their frame indices), except where a wide stride leaves a gap longer than a window (then a seek is cheaper than
// decoding the gap), then scaled as training and evaluation scale (resize.ts).
// The next batch decodes while the model runs on the current one.
//
// Shapes: B windows per batch, T frames per clip, S crop size, C classes of a head.

import * as tf from '@tensorflow/tfjs-core';
import { basename } from 'path';
import { IMAGE_EXT } from '../data/datasets/common';
import { shownLabels } from '../data/datasets/label_names';
import { decodeImageResized, imageSize } from '../data/decode/image/decode';
import { scaleClip } from '../data/decode/resize';
import { denseIndices, videoStride } from '../data/decode/sampling';
import { cropFlipNormalize, Frames, normalizeTable, planSpatial, SpatialPlan } from '../data/decode/transforms';
import { Preprocessing } from '../data/types';
import { decodeClip } from '../data/decode/video/decode';
import { probeVideo, totalFrames, VideoInfo } from '../data/decode/video/probe';
import { UsageError } from '../errors';
import type { NonFiniteReport } from '../checkpoint/finite';
import { loadModel } from '../checkpoint/load_model';
import { TimeSformer } from '../model/timesformer';

export interface LabelProb {
  /** The class's shown name (the first synset name where the checkpoint has names, else the label). */
  label: string;
  /** The class id (ImageNet synset) when `label` is a display name. */
  id?: string;
  /** Softmax probability in [0, 1]. */
  prob: number;
}

/** Top-k per head, best first. */
export type HeadTopK = Record<string, LabelProb[]>;

export interface PredictWindow {
  startS: number;
  endS: number;
  heads: HeadTopK;
}

export interface Prediction {
  path: string;
  /** Seconds (0 for an image). */
  durationS: number;
  kind: 'video' | 'image';
  /** Heads predicted, in order. */
  heads: string[];
  /** The video's frame rate; null for an image. */
  fps: number | null;
  /** Window length and stride in seconds (0 for an image). */
  windowS: number;
  strideS: number;
  /** Frames fed to the model per window (1 for an image). */
  clipFrames: number;
  windows: PredictWindow[];
  /** Mean of the window probabilities, top-k. */
  overall: HeadTopK;
  /** Set when the file decodes only in part (cut short): windows cover 0..decodedS only. Null otherwise. */
  partial: PartialVideo | null;
}

export interface PartialVideo {
  decodedFrames: number;
  declaredFrames: number;
  decodedS: number;
  declaredS: number;
  /** One line: `note: clip.mp4 decodes only 0.9 s of its declared 9.0 s; predictions cover 0-0.9 s`. */
  note: string;
}

export interface PredictOptions {
  /** Heads to predict with; 'all' = every head of the model. */
  heads: string[] | 'all';
  /** Labels per head (capped at the head's class count). */
  top: number;
  /** Window length in seconds; default one training clip, numFrames*samplingRate frames at the checkpoint's targetFps. */
  windowS?: number;
  /** Seconds between window starts; default the window length. */
  strideS?: number;
  /** Windows per forward pass (default: up to 8, fewer for big clips). */
  batchSize?: number;
  decodeTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/** One window in frames: [start, end) of the video and the frame indices the clip takes. */
export interface WindowPlan {
  start: number;
  end: number;
  indices: number[];
}

/**
 * Windows of `windowFrames` frames every `strideFrames` over a video of `total` frames, each sampled to `numFrames`
 * indices (dense sampling: evenly spread, truncated, clamped to the video). The last window is aligned to the video's
 * end when the stride leaves frames uncovered; a video shorter than one window gives one window (its last frame repeated).
 * @example
 * planWindows(20, 2, 8, 8).map((w) => [w.start, w.end, w.indices]) // [[0, 8, [0, 7]], [8, 16, [8, 15]], [12, 20, [12, 19]]]
 */
export function planWindows(total: number, numFrames: number, windowFrames: number, strideFrames: number): WindowPlan[] {
  if (!(total >= 1 && windowFrames >= 1 && strideFrames >= 1 && numFrames >= 1)) {
    throw new Error(`planWindows: bad sizes total=${total} numFrames=${numFrames} window=${windowFrames} stride=${strideFrames}`);
  }
  const at = (start: number): WindowPlan => ({
    start,
    end: Math.min(total, start + windowFrames),
    // denseIndices over the frames from `start` on: clip 0 of 1 starts at their first frame.
    indices: denseIndices(total - start, numFrames, windowFrames / numFrames, 0, 1).map((i) => i + start),
  });
  if (total <= windowFrames) return [at(0)];
  const out: WindowPlan[] = [];
  for (let s = 0; s + windowFrames <= total; s += strideFrames) out.push(at(s));
  if (out[out.length - 1].end < total) out.push(at(total - windowFrames));
  return out;
}

/** The k best labels of one probability row, ties to the smaller class id. */
export function topK(probs: ArrayLike<number>, labels: string[], k: number, ids?: string[]): LabelProb[] {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  return order
    .slice(0, Math.min(k, probs.length))
    .map((c) => (ids && ids[c] !== labels[c] ? { label: labels[c], id: ids[c], prob: probs[c] } : { label: labels[c], prob: probs[c] }));
}

function resolveHeads(model: TimeSformer, heads: string[] | 'all'): string[] {
  const all = model.heads.names();
  const names = heads === 'all' ? all : heads;
  if (names.length === 0) throw new UsageError('no head to predict with', { suggestion: `use --head with one of: ${all.join(', ')}, or all` });
  for (const h of names) {
    if (!all.includes(h)) {
      throw new UsageError(`the checkpoint has no head '${h}'`, { suggestion: `use --head with one of: ${all.join(', ')}, or all` });
    }
  }
  return names;
}

function checkOptions(opts: PredictOptions): void {
  if (!Number.isInteger(opts.top) || opts.top < 1) {
    throw new UsageError(`top ${opts.top} is not a whole number of at least 1`, { suggestion: 'give e.g. --top 5' });
  }
  for (const [flag, v] of [['--window', opts.windowS], ['--stride', opts.strideS]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new UsageError(`${flag} ${v} is not a positive number of seconds`, { suggestion: `give e.g. ${flag} 3.2` });
    }
  }
}

/** A batch of clips ready for the model. */
interface ClipBatch {
  x: Float32Array; // [B, T, S, S, 3]
  shape: [number, number, number, number, 3];
}

/** Copies frames `picks` (positions in `src`) into a new Frames, in that order. */
function pickFrames(src: Frames, picks: number[]): Frames {
  const fb = src.width * src.height * 3;
  const data = new Uint8Array(picks.length * fb); // [T, H, W, 3]
  picks.forEach((p, i) => data.set(src.data.subarray(p * fb, (p + 1) * fb), i * fb));
  return { data, frames: picks.length, width: src.width, height: src.height };
}

/** Windows that one ffmpeg process decodes together: consecutive ones with gaps no longer than a window. */
function decodeGroups(windows: WindowPlan[]): WindowPlan[][] {
  const groups: WindowPlan[][] = [];
  for (const w of windows) {
    const g = groups[groups.length - 1];
    const prev = g?.[g.length - 1];
    if (prev && w.start - prev.end <= prev.end - prev.start) g.push(w);
    else groups.push([w]);
  }
  return groups;
}

/** Decodes and normalises the windows of one batch into [B, T, S, S, 3]. */
async function videoBatch(
  path: string,
  info: VideoInfo,
  windows: WindowPlan[],
  plan: SpatialPlan,
  lut: Float32Array,
  timeoutMs: number | undefined,
): Promise<ClipBatch> {
  const T = windows[0].indices.length;
  const S = plan.crops[0].size;
  const clipSize = T * S * S * 3;
  const x = new Float32Array(windows.length * clipSize);
  let b = 0;
  for (const group of decodeGroups(windows)) {
    const union = [...new Set(group.flatMap((w) => w.indices))].sort((p, q) => p - q);
    const first = union[0];
    // At the source's size, then scaled as training and evaluation scale every clip (resize.ts).
    const decoded = await decodeClip(
      path,
      {
        startS: first / info.fps,
        frameIndices: union.map((i) => i - first),
        numFrames: union.length,
        fps: info.fps,
        size: [info.width, info.height],
        srcSize: [info.width, info.height],
      },
      { timeoutMs },
    );
    const clip = await scaleClip(decoded, ...plan.resize);
    const slot = new Map(union.map((f, k) => [f, k]));
    for (const w of group) {
      const frames = pickFrames(clip, w.indices.map((i) => slot.get(i)!));
      cropFlipNormalize(frames, plan.crops[0], false, lut, x, b * clipSize);
      b += 1;
    }
  }
  return { x, shape: [windows.length, T, S, S, 3] };
}

/** Softmax probabilities of every head, [B, sum of C] row-major, heads side by side in `heads` order. */
async function headProbs(model: TimeSformer, batch: ClipBatch, heads: string[]): Promise<Float32Array> {
  const probs = tf.tidy(() => {
    const x = tf.tensor(batch.x, batch.shape); // [B, T, S, S, 3]
    const feats = model.forwardFeatures(x); // [B, D]
    return tf.concat(heads.map((h) => tf.softmax(model.forwardHead(feats, h))), 1); // [B, sum C]
  });
  try {
    return (await probs.data()) as Float32Array;
  } finally {
    probs.dispose();
  }
}

/** Clips per forward pass: up to 8, fewer when one clip is large (about 32 MiB of input per batch). */
function defaultBatch(clipFloats: number): number {
  return Math.max(1, Math.min(8, Math.floor((8 << 20) / clipFloats)));
}

/**
 * Top-k labels of a video (per window and overall) or an image, for each head.
 * @example
 * const { model, checkpoint } = await loadModel('runs/cotrain/checkpoint'); // small preset, demo suite, 251 steps
 * const p = await predictVideo(model, checkpoint.preprocessing, 'vtest.avi', { heads: ['k400'], top: 1 });
 * p.windows.length // 25 (79.5 s in windows of 8 frames x 4 at 10 fps = 3.2 s)
 * p.overall.k400 // [{ label: 'sandal', prob: 0.23546260476112366 }]
 */
export async function predictVideo(model: TimeSformer, preprocessing: Preprocessing, path: string, opts: PredictOptions): Promise<Prediction> {
  checkOptions(opts);
  const heads = resolveHeads(model, opts.heads);
  const infos = heads.map((h) => model.heads.get(h));
  const shown = infos.map((h) => shownLabels(h));
  const lut = normalizeTable(preprocessing);
  const S = preprocessing.cropSize;
  const planOpts = { cropSize: S, training: false, flipAllowed: false, spatialCrops: 1 as const };
  const sums = infos.map((h) => new Float64Array(h.numClasses));
  const windows: PredictWindow[] = [];

  /** Splits one batch's probabilities into per-head top-k and adds them to the sums. */
  const collect = (probs: Float32Array, times: Array<[number, number]>) => {
    const width = infos.reduce((n, h) => n + h.numClasses, 0);
    times.forEach(([startS, endS], b) => {
      const perHead: HeadTopK = {};
      let off = b * width;
      infos.forEach((h, i) => {
        const row = probs.subarray(off, off + h.numClasses);
        for (let c = 0; c < h.numClasses; c++) sums[i][c] += row[c];
        perHead[h.name] = topK(row, shown[i], opts.top, h.labels);
        off += h.numClasses;
      });
      windows.push({ startS, endS, heads: perHead });
    });
  };
  const overall = (): HeadTopK =>
    Object.fromEntries(infos.map((h, i) => [h.name, topK(Array.from(sums[i], (s) => s / windows.length), shown[i], opts.top, h.labels)]));

  if (IMAGE_EXT.test(path)) {
    // An image: one single-frame clip, [1, 1, S, S, 3].
    const plan = planSpatial(...(await imageSize(path)), planOpts);
    const img = await decodeImageResized(path, plan.resize);
    const x = cropFlipNormalize({ ...img, frames: 1 }, plan.crops[0], false, lut);
    collect(await headProbs(model, { x, shape: [1, 1, S, S, 3] }, heads), [[0, 0]]);
    opts.onProgress?.(1, 1);
    return { path, durationS: 0, kind: 'image', heads, fps: null, windowS: 0, strideS: 0, clipFrames: 1, windows, overall: overall(), partial: null };
  }

  const info = await probeVideo(path, { timeoutMs: opts.decodeTimeoutMs });
  const total = totalFrames(info);
  const T = preprocessing.numFrames;
  const windowFrames = opts.windowS ? Math.max(1, Math.round(opts.windowS * info.fps)) : Math.max(1, Math.round(T * videoStride(preprocessing.samplingRate, info.fps, preprocessing.targetFps)));
  const strideFrames = opts.strideS ? Math.max(1, Math.round(opts.strideS * info.fps)) : windowFrames;
  const plans = planWindows(total, T, windowFrames, strideFrames);
  const plan = planSpatial(info.width, info.height, planOpts);
  const B = opts.batchSize ?? defaultBatch(T * S * S * 3);
  const batches: WindowPlan[][] = [];
  for (let i = 0; i < plans.length; i += B) batches.push(plans.slice(i, i + B));

  const decode = (i: number) => videoBatch(path, info, batches[i], plan, lut, opts.decodeTimeoutMs);
  let next: Promise<ClipBatch> | null = decode(0);
  try {
    for (let i = 0; i < batches.length; i++) {
      const batch: ClipBatch = await next!;
      next = i + 1 < batches.length ? decode(i + 1) : null; // decodes while the model runs
      const times = batches[i].map((w): [number, number] => [w.start / info.fps, Math.min(info.durationS, w.end / info.fps)]);
      collect(await headProbs(model, batch, heads), times);
      opts.onProgress?.(windows.length, plans.length);
    }
  } finally {
    // A failure mid-way leaves a decode in flight: let it finish quietly.
    next?.catch(() => undefined);
  }
  return {
    path,
    durationS: info.durationS,
    kind: 'video',
    heads,
    fps: info.fps,
    windowS: windowFrames / info.fps,
    strideS: strideFrames / info.fps,
    clipFrames: T,
    windows,
    overall: overall(),
    partial: partialVideo(path, info),
  };
}

export interface CheckpointPrediction extends Prediction {
  /** The NaN and Inf in the weights predicted with anyway (allowNonFinite). */
  nonFiniteWeights?: NonFiniteReport;
  /** Probabilities (windows and overall) that are not numbers; --json writes them as null. */
  nanScores?: number;
}

/**
 * predictVideo with the model of a checkpoint folder, loaded and disposed here. Weights holding NaN or Inf are refused
 * unless `allowNonFinite`; then the result names them, and counts the scores that came out as NaN.
 * @example
 * const p = await predictWithCheckpoint('runs/cotrain/checkpoint', 'vtest.avi', { heads: ['k400'], top: 1 });
 * p.nanScores // undefined (every score is a number)
 */
export async function predictWithCheckpoint(
  checkpoint: string,
  path: string,
  opts: PredictOptions & { allowNonFinite?: boolean },
): Promise<CheckpointPrediction> {
  const { model, checkpoint: ck } = await loadModel(checkpoint, { allowNonFinite: opts.allowNonFinite });
  try {
    const p = await predictVideo(model, ck.preprocessing, path, opts);
    const nan = [p.overall, ...p.windows.map((w) => w.heads)].reduce(
      (n, heads) => n + Object.values(heads).reduce((m, top) => m + top.filter((lp) => Number.isNaN(lp.prob)).length, 0),
      0,
    );
    return { ...p, ...(ck.nonFinite ? { nonFiniteWeights: ck.nonFinite } : {}), ...(nan > 0 ? { nanScores: nan } : {}) };
  } finally {
    model.dispose();
  }
}

/** What a video cut short holds against what it declares, with the one-line note; null for a whole video. */
export function partialVideo(path: string, info: VideoInfo): PartialVideo | null {
  if (!info.declared) return null;
  const s = info.durationS.toFixed(1);
  return {
    decodedFrames: totalFrames(info),
    declaredFrames: info.declared.frames,
    decodedS: info.durationS,
    declaredS: info.declared.durationS,
    note: `note: ${basename(path)} decodes only ${s} s of its declared ${info.declared.durationS.toFixed(1)} s; predictions cover 0-${s} s`,
  };
}
