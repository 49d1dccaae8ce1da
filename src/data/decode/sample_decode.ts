// One sample, decoded: probe (videos; memoised per process) -> frame indices (sampling.ts) and spatial plan
// (transforms.ts) -> decode (optionally through the on-disk clip cache or the in-memory whole-video cache) -> scale,
// crop, flip, normalise in JS. A video's frames are decoded at the source's own size and scaled by resize.ts, whichever
// path they take (in-process decoder, ffmpeg process, whole video held in memory), so the paths give the same pixels;
// an image is scaled by sharp as it is decoded. The feed (feed.ts) decodes every sample of training and
// evaluation through this file, with one SampleContext per dataset for the whole feed; predict and single-file eval use
// loadSample / loadSampleViews.
//
// Every random choice for a sample comes from the rng it is given (the feed keys it by the sample's global position),
// and a retry of a temporary failure draws the same choices, so a sample is the same whatever the timing.
//
// Shapes: V views per sample (1 in training, temporal x spatial at test), T frames (1 for images), S crop size; a
// sample's views are [V, T, S, S, 3], temporal-major (clip k's crops consecutive).

import { promises as fsp } from 'fs';
import { CoverError } from '../../errors';
import { ClipCache } from './clip_cache';
import { MAX_WHOLE_CLIP_BYTES, MemoryClipCache, selectFrames, sharedMemoryCache, WholeClip } from './memory_cache';
import { decodeImageResized, imageSize } from './image/decode';
import { DEFAULT_RETRY, RetryPolicy, withRetry } from './retry';
import { Rng } from '../rng';
import { denseIndices, parseViews, segmentIndices, uniformIndices, videoStride, Views } from './sampling';
import { cropFlipNormalize, Frames, normalizeTable, planInceptionCrop, planSpatial, SpatialPlan } from './transforms';
import { scaleClip } from './resize';
import { Clip, DatasetIndex, Preprocessing, Sample, TrainAugment } from '../types';
import { decodeClip, DecodeRequest } from './video/decode';
import { ProbeOptions, probeVideo, totalFrames, VideoInfo } from './video/probe';

export interface SampleOptions {
  preprocessing: Preprocessing;
  training: boolean;
  /** Test views, 'temporal x spatial' (default '1x1'; CoVeR evaluates with '1x3'). Ignored in training. */
  views?: string;
  /** Training augmentation of MiT-style clips and images (types.ts); absent: 'fixed' and 'video'. Ignored at test. */
  augment?: TrainAugment;
  /** Folder of the decoded-clip cache (clip_cache.ts); none when absent. */
  cacheDir?: string;
  /** Size cap of the cache folder (default 4 GiB). */
  cacheMaxBytes?: number;
  /**
   * In-memory cache of whole decoded videos (memory_cache.ts), in bytes, shared by the process; 0 or absent: off.
   * Used for a dataset only when all of its videos fit in a quarter of it.
   */
  memoryCacheBytes?: number;
  /** Kill a decode that takes longer (default 30 s); each retry of a timed-out decode doubles it. */
  decodeTimeoutMs?: number;
  /** How temporary failures are retried (retry.ts; default 3 retries after 0.25, 0.5, 1 s). */
  retry?: RetryPolicy;
}



/**
 * Probe results for the whole process, keyed by path, mtime and size: every epoch and every loader (eval runs once per
 * epoch) would otherwise start one ffprobe per sample again. Failures are not kept. Bounded; oldest entries go first.
 */
const PROBES = new Map<string, Promise<VideoInfo>>();
const MAX_PROBES = 500_000;

async function probeMemo(path: string, opts: ProbeOptions): Promise<VideoInfo> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch {
    return probeVideo(path, opts); // reports the missing file
  }
  const key = `${path}\0${st.mtimeMs}\0${st.size}`;
  let p = PROBES.get(key);
  if (!p) {
    p = probeVideo(path, opts);
    PROBES.set(key, p);
    p.catch(() => PROBES.delete(key));
    if (PROBES.size > MAX_PROBES) PROBES.delete(PROBES.keys().next().value as string);
  }
  return p;
}

/** What the per-sample pipeline of one dataset shares for the life of a feed: caches, counters, options. */
export class SampleContext {
  readonly views: Views;
  readonly lut: Float32Array;
  readonly cache: ClipCache | null;
  readonly memory: MemoryClipCache | null;
  /** Whether this dataset's whole videos go to memory: decided on its first video (null until then). */
  private wholeMode: boolean | null = null;
  decoded = 0;
  cacheHits = 0;
  memoryHits = 0;
  padded = 0;
  retries = 0;

  constructor(
    readonly index: DatasetIndex,
    readonly opts: SampleOptions,
    readonly signal?: AbortSignal,
  ) {
    this.views = opts.training ? { temporal: 1, spatial: 1 } : parseViews(opts.views ?? '1x1');
    this.lut = normalizeTable(opts.preprocessing);
    this.cache = opts.cacheDir ? new ClipCache({ dir: opts.cacheDir, maxBytes: opts.cacheMaxBytes }) : null;
    this.memory = opts.memoryCacheBytes ? sharedMemoryCache(opts.memoryCacheBytes) : null;
  }

  /**
   * The whole video, decoded once at the source's own size (as every request decodes it), when this dataset fits in
   * memory; null otherwise (decode per request).
   */
  async wholeClip(path: string, info: VideoInfo): Promise<WholeClip | null> {
    if (!this.memory) return null;
    const all = totalFrames(info);
    const [w, h] = [info.width, info.height];
    const bytes = all * w * h * 3;
    if (this.wholeMode === null) {
      this.wholeMode = bytes <= MAX_WHOLE_CLIP_BYTES && bytes * this.index.samples.length <= this.memory.maxBytes / 4;
    }
    if (!this.wholeMode || bytes > MAX_WHOLE_CLIP_BYTES) return null;
    const clip = await this.memory.get(`${path}|${w}x${h}`, async () => {
      const c = await decodeClip(path, { startS: 0, numFrames: all, fps: info.fps, size: [w, h], srcSize: [info.width, info.height] }, { timeoutMs: this.opts.decodeTimeoutMs, signal: this.signal });
      this.decoded++;
      return c;
    });
    this.memoryHits++;
    return clip;
  }

  get viewCount(): number {
    return this.views.temporal * this.views.spatial;
  }

  probe(path: string, attempt = 0): Promise<VideoInfo> {
    // No abort signal: a shared probe must not fail for another loader because this one closed (probes are short).
    return probeMemo(path, { timeoutMs: this.timeoutMs(attempt) });
  }

  /** The decode timeout of a try: the configured one, doubled on each retry (undefined: the decoder's default). */
  timeoutMs(attempt: number): number | undefined {
    if (attempt === 0) return this.opts.decodeTimeoutMs;
    return (this.opts.decodeTimeoutMs ?? 30_000) * 2 ** attempt;
  }

  /** Through the clip cache when there is one; cache write failures never fail a sample. */
  async cached(path: string, request: unknown, decode: () => Promise<Frames & { repeatedLast: number }>): Promise<Frames> {
    const hit = this.cache ? await this.cache.get(path, request) : null;
    if (hit) {
      this.cacheHits++;
      return hit;
    }
    const clip = await decode();
    this.decoded++;
    if (clip.repeatedLast > 0) this.padded++;
    if (this.cache) await this.cache.put(path, request, clip).catch(() => undefined);
    return clip;
  }
}

/** Frame indices of temporal view k, in the sample's window of a video at `fps`. */
function frameIndices(ctx: SampleContext, total: number, fps: number, k: number, rng: Rng): number[] {
  const { numFrames, samplingRate, targetFps } = ctx.opts.preprocessing;
  const training = ctx.opts.training;
  switch (ctx.index.sampling) {
    case 'dense':
      return denseIndices(total, numFrames, videoStride(samplingRate, fps, targetFps), training ? 'random' : k, ctx.views.temporal, rng);
    case 'segments':
      return segmentIndices(total, numFrames, training, rng);
    case 'uniform':
      return training && ctx.opts.augment?.uniform === 'segments' ? segmentIndices(total, numFrames, true, rng) : uniformIndices(total, numFrames);
    default: {
      const never: never = ctx.index.sampling;
      throw new Error(`unknown sampling scheme ${String(never)}`);
    }
  }
}

/** One decoded temporal clip of a sample, already scaled to plan.resize, and the crops/flip still to apply. */
export interface ViewSource {
  frames: Frames;
  plan: SpatialPlan;
}

/**
 * Decode what a sample's views need: one ViewSource per temporal clip (an image counts as one frame). Kept as uint8
 * until the batch is assembled, so the read-ahead holds bytes (1.6 MB per 8x298x224 clip), not float32 views (4.8 MB
 * each, x3 at test).
 */
async function decodeSample(sample: Sample, ctx: SampleContext, rng: Rng, attempt = 0): Promise<ViewSource[]> {
  const planOpts = {
    cropSize: ctx.opts.preprocessing.cropSize,
    training: ctx.opts.training,
    flipAllowed: ctx.index.flipAllowed,
    inverseUniform: ctx.index.sampling === 'segments', // SSv2 recipe: INV_UNIFORM_SAMPLE
    spatialCrops: ctx.views.spatial,
  };
  const source = async (frames: Frames, plan: SpatialPlan): Promise<ViewSource> => ({ frames: await scaleClip(frames, ...plan.resize), plan });

  if (sample.kind === 'image') {
    const [w, h] = await imageSize(sample.path);
    const plan =
      ctx.opts.training && ctx.opts.augment?.images === 'inception'
        ? planInceptionCrop(w, h, planOpts.cropSize, planOpts.flipAllowed, rng.fork('spatial'))
        : planSpatial(w, h, planOpts, rng.fork('spatial'));
    const frames = await ctx.cached(sample.path, { image: plan.resize }, async () => ({
      ...(await decodeImageResized(sample.path, plan.resize)),
      frames: 1,
      repeatedLast: 0,
    }));
    const view = await source(frames, plan);
    return Array.from({ length: ctx.views.temporal }, () => view); // an image's temporal views are all the same
  }

  const info = await ctx.probe(sample.path, attempt);
  const all = totalFrames(info);
  // The sample's window in frames (a manifest's start/end), then indices inside it.
  const first = sample.start ? Math.min(all - 1, Math.round(sample.start * info.fps)) : 0;
  const last = sample.end ? Math.min(all, Math.round(sample.end * info.fps)) : all;
  const total = Math.max(1, last - first);
  const whole = await ctx.wholeClip(sample.path, info);
  const views = Array.from({ length: ctx.views.temporal }, (_, k) => ({
    idx: frameIndices(ctx, total, info.fps, k, rng.fork('time', k)),
    plan: planSpatial(info.width, info.height, planOpts, rng.fork('spatial', k)),
  }));
  if (whole) return Promise.all(views.map(({ idx, plan }) => source(selectFrames(whole, idx.map((i) => first + i)), plan)));
  // Every temporal view in one request, so one pass over the file serves them all (4x3 at test: one seek, not four).
  // The views' frames come back one view after another, at the source's size.
  const flat = views.flatMap((v) => v.idx);
  const i0 = Math.min(...flat);
  const req: DecodeRequest = {
    startS: (first + i0) / info.fps,
    frameIndices: flat.map((i) => i - i0),
    numFrames: flat.length,
    fps: info.fps,
    size: [info.width, info.height],
    srcSize: [info.width, info.height],
  };
  const frames = await ctx.cached(sample.path, req, () => decodeClip(sample.path, req, { timeoutMs: ctx.timeoutMs(attempt), signal: ctx.signal }));
  let at = 0;
  return Promise.all(
    views.map(({ idx, plan }) => {
      const view = source(sliceFrames(frames, at, idx.length), plan);
      at += idx.length;
      return view;
    }),
  );
}

/** Frames [from, from + count) of a clip, without a copy. */
function sliceFrames(f: Frames, from: number, count: number): Frames {
  if (from === 0 && count === f.frames) return f;
  const bytes = f.width * f.height * 3;
  return { data: f.data.subarray(from * bytes, (from + count) * bytes), frames: count, width: f.width, height: f.height };
}

/**
 * decodeSample, with temporary failures retried (retry.ts). Every try draws the same random choices (the rng's forks do
 * not advance it), so a sample that succeeds on a retry is the sample it would have been: exact resume holds.
 */
export function decodeSampleRetrying(sample: Sample, ctx: SampleContext, rng: Rng): Promise<ViewSource[]> {
  return withRetry((k) => decodeSample(sample, ctx, rng, k), ctx.opts.retry ?? DEFAULT_RETRY, {
    signal: ctx.signal,
    onRetry: () => ctx.retries++,
  });
}

/** One line for a sample that failed: a cover error's own line, anything else named with the file. */
export function sampleProblem(sample: Sample, err: unknown): string {
  if (err instanceof CoverError) return err.oneLine();
  const e = err as Error;
  return `${sample.path}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}

/** Views of a sample: temporal-major, clip k's crops consecutive. */
export function viewCount(sources: ViewSource[]): number {
  return sources.reduce((n, s) => n + s.plan.crops.length, 0);
}

/** Crop, flip and normalise every view of a sample into `out` at `offset`: [V, T, S, S, 3]. */
export function writeViews(sources: ViewSource[], lut: Float32Array, out: Float32Array, offset: number): void {
  for (const { frames, plan } of sources) {
    for (const box of plan.crops) {
      cropFlipNormalize(frames, box, plan.flip, lut, out, offset);
      offset += frames.frames * box.size * box.size * 3;
    }
  }
}

function toClips(sources: ViewSource[], lut: Float32Array): Clip[] {
  return sources.flatMap(({ frames, plan }) =>
    plan.crops.map((box) => ({
      data: cropFlipNormalize(frames, box, plan.flip, lut),
      shape: [frames.frames, box.size, box.size, 3] as [number, number, number, 3],
    })),
  );
}

/**
 * One sample as a single clip, for predict and eval of single files: in training a random view drawn from `rng`, at
 * test the first temporal clip's center crop.
 * @example
 * const clip = await loadSample(index.samples[0], index, {preprocessing, training: false}, createRng(0));
 * clip.shape // [8, 224, 224, 3]
 */
export async function loadSample(sample: Sample, index: DatasetIndex, opts: SampleOptions, rng: Rng): Promise<Clip> {
  const views = await loadSampleViews(sample, index, { ...opts, views: '1x1' }, rng);
  return views[0];
}

/** Every test view of one sample (opts.views, e.g. '1x3' -> 3 clips), temporal-major; temporary failures retried. */
export async function loadSampleViews(sample: Sample, index: DatasetIndex, opts: SampleOptions, rng: Rng): Promise<Clip[]> {
  const ctx = new SampleContext(index, opts);
  return toClips(await decodeSampleRetrying(sample, ctx, rng), ctx.lut);
}
