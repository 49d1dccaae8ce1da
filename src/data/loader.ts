// The loader that keeps training fed: an async iterator of batches over a DatasetIndex, with several decodes in flight,
// a bounded read-ahead, and batches that are identical whatever the timing.
//
// Determinism: sample positions run 0, 1, 2, ... over the epochs (position p is epoch floor(p/N), sample
// order_epoch[p mod N]); every random choice for a sample comes from rng(seed, epoch, sample index), and batches are
// filled in position order, never in completion order. So concurrency 1 or 8, a slow disk, or a resume with
// `startAt` (the `position` of the last batch consumed) all give the same batches.
//
// Bad samples (missing, empty, truncated, unreadable, or any other error of one sample): skipped, counted, their paths
// kept, and the batch is filled from the next positions; past `maxBad` the loader stops with a DatasetError listing the
// first bad paths. Temporary failures (EAGAIN, EMFILE, a decode timeout: retry.ts) are retried first, and a sample that
// still fails that way is skipped this time only, never remembered as bad.
//
// Per sample: probe (videos; memoised per process) -> frame indices (sampling.ts) and spatial plan (transforms.ts) -> decode
// with the scaling done by ffmpeg or sharp (optionally through the on-disk clip cache) -> crop, flip, normalise in JS.
//
// Shapes: B samples per batch, V views per sample (1 in training, temporal x spatial at test), T frames (1 for images),
// S crop size; x is [B*V, T, S, S, 3], sample-major (the V views of sample b are rows b*V .. b*V+V-1).

import { promises as fsp } from 'fs';
import { CoverError, DatasetError, UsageError } from '../errors';
import { ClipCache } from './clip_cache';
import { MAX_WHOLE_CLIP_BYTES, MemoryClipCache, selectFrames, sharedMemoryCache, WholeClip } from './memory_cache';
import { decodeImageResized, imageSize } from './image/decode';
import { DEFAULT_RETRY, isFatalForRun, isTransient, RetryPolicy, withRetry } from './retry';
import { createRng, permutation, Rng } from './rng';
import { denseIndices, parseViews, segmentIndices, uniformIndices, videoStride, Views } from './sampling';
import { cropFlipNormalize, Frames, jitterScales, normalizeTable, planSpatial, resizeFrames, shortSideSize, SpatialPlan } from './transforms';
import { Clip, DatasetIndex, Preprocessing, Sample } from './types';
import { decodeClip, DecodeRequest } from './video/decode';
import { ProbeOptions, probeVideo, totalFrames, VideoInfo } from './video/probe';

export interface SampleOptions {
  preprocessing: Preprocessing;
  training: boolean;
  /** Test views, 'temporal x spatial' (default '1x1'; CoVeR evaluates with '1x3'). Ignored in training. */
  views?: string;
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

export interface LoaderOptions extends SampleOptions {
  batchSize: number;
  seed: number;
  /** Decodes in flight (default 2: one per core on the reference machine). */
  concurrency?: number;
  /** Batches' worth of samples decoded ahead of the consumer (default 4). */
  prefetch?: number;
  /** Bad samples tolerated: a count (>= 1) or a fraction of the dataset (< 1); default 0.1. */
  maxBad?: number;
  /** 'shuffle' (default in training) draws a new seeded order each epoch; 'sequential' (default otherwise) keeps the index order. */
  epochOrder?: 'shuffle' | 'sequential';
  /** Samples already consumed (a batch's `position`), to resume exactly where a run stopped. */
  startAt?: number;
  /** Passes over the index (default 1; Infinity for an endless training stream). Batches may span two epochs. */
  epochs?: number;
  /** Drop a final batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Rows the dataset reader dropped (missing files, bad lines), already counted against maxBad; for the message. */
  droppedRows?: number;
}

export interface Batch {
  /** [B*V, T, S, S, 3] float32, normalised. */
  x: Float32Array;
  shape: [number, number, number, number, 3];
  /** Views per sample (V). */
  views: number;
  /** [B] class ids (-1 for unlabelled splits). */
  labels: Int32Array;
  paths: string[];
  /** Index into DatasetIndex.samples of each sample. */
  sampleIdx: number[];
  /** Epoch of the batch's first sample. */
  epoch: number;
  /** Samples consumed once this batch is (bad ones included): pass it as `startAt` to resume after this batch. */
  position: number;
}

export interface LoaderStats {
  /** Clips decoded by ffmpeg or sharp (cache misses). */
  decoded: number;
  cacheHits: number;
  /** Samples whose clips were cut from a whole video held in memory (memory_cache.ts). */
  memoryHits: number;
  /** Decodes where the video ended early and the last frame was repeated. */
  padded: number;
  bad: { count: number; paths: string[]; problems: string[] };
  /** Retries of temporary failures (EAGAIN, EMFILE, timeouts), successful or not. */
  retries: number;
  /** Of the bad samples, those whose last failure was temporary (skipped this time, decoded again when next drawn). */
  transient: number;
  /** Samples delivered in batches. */
  delivered: number;
  /** Samples delivered per second of wall time since the first batch was asked for. */
  clipsPerSec: number;
  position: number;
}

export interface Loader extends AsyncIterableIterator<Batch> {
  stats(): LoaderStats;
  /** Stop: kills the decodes in flight. Called by `for await` on break. */
  close(): Promise<void>;
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

/** What the per-sample pipeline shares: caches, counters, options. */
class SampleContext {
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
   * The whole video, decoded once at the largest size a view may need (short side = the top of the training scale
   * jitter, never above the source), when this dataset fits in memory; null otherwise (decode per request).
   */
  async wholeClip(path: string, info: VideoInfo): Promise<WholeClip | null> {
    if (!this.memory) return null;
    const all = totalFrames(info);
    const short = Math.min(Math.min(info.width, info.height), jitterScales(this.opts.preprocessing.cropSize)[1]);
    const [w, h] = shortSideSize(info.width, info.height, Math.max(short, this.opts.preprocessing.cropSize));
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
      return uniformIndices(total, numFrames);
    default: {
      const never: never = ctx.index.sampling;
      throw new Error(`unknown sampling scheme ${String(never)}`);
    }
  }
}

/** One decoded temporal clip of a sample, already scaled to plan.resize, and the crops/flip still to apply. */
interface ViewSource {
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
  // resizeFrames is a no-op when the decoder scaled, which it always does here; it guards a foreign cache entry.
  const source = (frames: Frames, plan: SpatialPlan): ViewSource => ({ frames: resizeFrames(frames, ...plan.resize), plan });

  if (sample.kind === 'image') {
    const [w, h] = await imageSize(sample.path);
    const plan = planSpatial(w, h, planOpts, rng.fork('spatial'));
    const frames = await ctx.cached(sample.path, { image: plan.resize }, async () => ({
      ...(await decodeImageResized(sample.path, plan.resize)),
      frames: 1,
      repeatedLast: 0,
    }));
    return Array.from({ length: ctx.views.temporal }, () => source(frames, plan)); // an image's temporal views are all the same
  }

  const info = await ctx.probe(sample.path, attempt);
  const all = totalFrames(info);
  // The sample's window in frames (a manifest's start/end), then indices inside it.
  const first = sample.start ? Math.min(all - 1, Math.round(sample.start * info.fps)) : 0;
  const last = sample.end ? Math.min(all, Math.round(sample.end * info.fps)) : all;
  const total = Math.max(1, last - first);
  const out: ViewSource[] = [];
  const whole = await ctx.wholeClip(sample.path, info);
  for (let k = 0; k < ctx.views.temporal; k++) {
    const idx = frameIndices(ctx, total, info.fps, k, rng.fork('time', k));
    const i0 = Math.min(...idx);
    const plan = planSpatial(info.width, info.height, planOpts, rng.fork('spatial', k));
    if (whole) {
      out.push(source(selectFrames(whole, idx.map((i) => first + i)), plan));
      continue;
    }
    const req: DecodeRequest = {
      startS: (first + i0) / info.fps,
      frameIndices: idx.map((i) => i - i0),
      numFrames: idx.length,
      fps: info.fps,
      size: plan.resize,
      srcSize: [info.width, info.height],
    };
    const frames = await ctx.cached(sample.path, req, () =>
      decodeClip(sample.path, req, { timeoutMs: ctx.timeoutMs(attempt), signal: ctx.signal }),
    );
    out.push(source(frames, plan));
  }
  return out;
}

/**
 * decodeSample, with temporary failures retried (retry.ts). Every try draws the same random choices (the rng's forks do
 * not advance it), so a sample that succeeds on a retry is the sample it would have been: exact resume holds.
 */
function decodeSampleRetrying(sample: Sample, ctx: SampleContext, rng: Rng): Promise<ViewSource[]> {
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
function viewCount(sources: ViewSource[]): number {
  return sources.reduce((n, s) => n + s.plan.crops.length, 0);
}

/** Crop, flip and normalise every view of a sample into `out` at `offset`: [V, T, S, S, 3]. */
function writeViews(sources: ViewSource[], lut: Float32Array, out: Float32Array, offset: number): void {
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

function sampleRng(seed: number, epoch: number, sampleIdx: number): Rng {
  return createRng(seed, 'sample', epoch, sampleIdx);
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

type Outcome =
  | { ok: true; position: number; sampleIdx: number; views: ViewSource[] }
  | { ok: false; position: number; sampleIdx: number; problem: string; transient: boolean };

interface BadSample {
  problem: string;
  /** The last failure was temporary: decode it again when it comes round, and forget it once it decodes. */
  transient: boolean;
}

class DataLoader implements Loader {
  private readonly n: number;
  private readonly end: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly window: number;
  private readonly maxBadCount: number;
  private readonly ctx: SampleContext;
  private readonly abort = new AbortController();
  private readonly results = new Map<number, Promise<Outcome>>();
  private readonly orders = new Map<number, number[]>();
  private readonly badSamples = new Map<number, BadSample>(); // sample index -> why it was skipped
  private nextLaunch: number;
  private consumed: number;
  private inFlight = 0;
  private delivered = 0;
  private startedAt = 0;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly index: DatasetIndex,
    private readonly opts: LoaderOptions,
  ) {
    this.n = index.samples.length;
    const epochs = opts.epochs ?? 1;
    this.end = epochs === Infinity ? Infinity : this.n * epochs;
    this.batchSize = opts.batchSize;
    this.concurrency = opts.concurrency ?? 2;
    this.window = Math.max(this.concurrency, (opts.prefetch ?? 4) * this.batchSize);
    const maxBad = opts.maxBad ?? 0.1;
    this.maxBadCount = maxBad < 1 ? Math.floor(maxBad * this.n) : maxBad;
    this.ctx = new SampleContext(index, opts, this.abort.signal);
    this.nextLaunch = this.consumed = opts.startAt ?? 0;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  stats(): LoaderStats {
    const secs = this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0;
    const bad = [...this.badSamples.entries()].sort((a, b) => a[0] - b[0]);
    return {
      decoded: this.ctx.decoded,
      cacheHits: this.ctx.cacheHits,
      memoryHits: this.ctx.memoryHits,
      padded: this.ctx.padded,
      bad: {
        count: bad.length,
        paths: bad.map(([i]) => this.index.samples[i].path),
        problems: bad.map(([, b]) => b.problem),
      },
      retries: this.ctx.retries,
      transient: bad.filter(([, b]) => b.transient).length,
      delivered: this.delivered,
      clipsPerSec: secs > 0 ? this.delivered / secs : 0,
      position: this.consumed,
    };
  }

  /** Calls are served one after the other, so a consumer may ask for the next batch before the last one arrived. */
  next(): Promise<IteratorResult<Batch>> {
    const r = this.queue.then(() => this.nextInOrder());
    this.queue = r.catch(() => undefined);
    return r;
  }

  private async nextInOrder(): Promise<IteratorResult<Batch>> {
    if (this.closed) return { done: true, value: undefined };
    if (!this.startedAt) this.startedAt = Date.now();
    try {
      const r = await this.nextBatch();
      if (r.done) await this.close();
      return r;
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async return(): Promise<IteratorResult<Batch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await Promise.allSettled([...this.results.values()]);
    this.results.clear();
  }

  private async nextBatch(): Promise<IteratorResult<Batch>> {
    const items: Array<Extract<Outcome, { ok: true }>> = [];
    let epoch = -1;
    while (items.length < this.batchSize && this.consumed < this.end) {
      this.pump();
      const p = this.consumed;
      const outcome = await this.results.get(p)!;
      this.results.delete(p);
      this.consumed++;
      if (epoch < 0) epoch = Math.floor(p / this.n);
      if (outcome.ok) items.push(outcome);
      else this.recordBad(outcome.sampleIdx, { problem: outcome.problem, transient: outcome.transient });
    }
    this.pump();
    if (items.length === 0 || (this.opts.dropLast && items.length < this.batchSize)) {
      return { done: true, value: undefined };
    }
    this.delivered += items.length;
    return { done: false, value: this.assemble(items, epoch) };
  }

  /** Launch decodes in position order: at most `concurrency` running, at most `window` positions ahead of the consumer. */
  private pump(): void {
    while (
      !this.closed &&
      this.inFlight < this.concurrency &&
      this.nextLaunch < this.end &&
      this.nextLaunch < this.consumed + this.window
    ) {
      const p = this.nextLaunch++;
      this.inFlight++;
      const task = this.load(p).finally(() => {
        this.inFlight--;
        this.pump();
      });
      task.catch(() => undefined); // awaited by nextBatch; this keeps a not-yet-awaited failure from being "unhandled"
      this.results.set(p, task);
    }
  }

  private orderOf(epoch: number): number[] {
    let order = this.orders.get(epoch);
    if (!order) {
      const shuffle = (this.opts.epochOrder ?? (this.opts.training ? 'shuffle' : 'sequential')) === 'shuffle';
      order = shuffle ? permutation(this.n, createRng(this.opts.seed, 'order', epoch)) : [...Array(this.n).keys()];
      this.orders.set(epoch, order);
      for (const e of this.orders.keys()) if (e < epoch - 1) this.orders.delete(e);
    }
    return order;
  }

  private async load(position: number): Promise<Outcome> {
    const epoch = Math.floor(position / this.n);
    const sampleIdx = this.orderOf(epoch)[position % this.n];
    const known = this.badSamples.get(sampleIdx);
    if (known && !known.transient) return { ok: false, position, sampleIdx, problem: known.problem, transient: false };
    const sample = this.index.samples[sampleIdx];
    try {
      const views = await decodeSampleRetrying(sample, this.ctx, sampleRng(this.opts.seed, epoch, sampleIdx));
      if (known) this.badSamples.delete(sampleIdx); // it was only the machine
      return { ok: true, position, sampleIdx, views };
    } catch (e) {
      // One sample's failure (a bad file, or anything odd about it) skips that sample. The machine out of memory, the
      // backend gone, or a loader being closed stop.
      if (this.closed || isFatalForRun(e)) throw e;
      return { ok: false, position, sampleIdx, problem: sampleProblem(sample, e), transient: isTransient(e) };
    }
  }

  private recordBad(sampleIdx: number, bad: BadSample): void {
    const known = this.badSamples.get(sampleIdx);
    this.badSamples.set(sampleIdx, bad);
    if (known) return;
    if (this.badSamples.size > this.maxBadCount) {
      const first = [...this.badSamples.values()].slice(0, 3).map((b) => b.problem).join('; ');
      const maxBad = this.opts.maxBad ?? 0.1;
      const limit = maxBad < 1 ? `${this.maxBadCount} (maxBad ${maxBad} of ${this.n})` : `${this.maxBadCount}`;
      const dropped = this.opts.droppedRows ? ` (besides the ${this.opts.droppedRows} rows dropped when the index was read)` : '';
      throw new DatasetError(
        `${this.badSamples.size} samples could not be decoded${dropped}, more than the ${limit} allowed; first: ${first}`,
        { path: this.index.root, suggestion: 'run `cover data check` on the dataset, fix or remove those files, or raise --max-bad' },
      );
    }
  }

  private assemble(items: Array<Extract<Outcome, { ok: true }>>, epoch: number): Batch {
    const V = this.ctx.viewCount;
    const T = items[0].views[0].frames.frames;
    const S = this.opts.preprocessing.cropSize;
    const per = T * S * S * 3;
    const x = new Float32Array(items.length * V * per); // [B*V, T, S, S, 3]
    items.forEach((it, b) => {
      if (viewCount(it.views) !== V || it.views.some((v) => v.frames.frames !== T)) {
        throw new Error(`loader: sample ${it.sampleIdx} does not have ${V} views of ${T} frames`);
      }
      writeViews(it.views, this.ctx.lut, x, b * V * per);
    });
    return {
      x,
      shape: [items.length * V, T, S, S, 3],
      views: V,
      labels: Int32Array.from(items.map((it) => this.index.samples[it.sampleIdx].label)),
      paths: items.map((it) => this.index.samples[it.sampleIdx].path),
      sampleIdx: items.map((it) => it.sampleIdx),
      epoch,
      position: this.consumed,
    };
  }
}

function checkOptions(index: DatasetIndex, opts: LoaderOptions): void {
  const where = { path: index.root };
  if (index.samples.length === 0) {
    throw new DatasetError(`dataset '${index.name}' (${index.split}) has no samples`, {
      ...where,
      suggestion: 'check the dataset root and split',
    });
  }
  const kinds = new Set(index.samples.map((s) => s.kind));
  if (kinds.size > 1) {
    throw new DatasetError(`dataset '${index.name}' mixes images and videos, which cannot share a batch`, {
      ...where,
      suggestion: 'split it into an image dataset and a video dataset',
    });
  }
  const positive = (name: string, v: number | undefined, allowInf = false): void => {
    if (v !== undefined && !(v > 0 && (Number.isInteger(v) || (allowInf && v === Infinity)))) {
      throw new UsageError(`${name} must be a whole number >= 1, got ${v}`, { suggestion: `pass a positive ${name}` });
    }
  };
  positive('batchSize', opts.batchSize);
  positive('concurrency', opts.concurrency);
  positive('prefetch', opts.prefetch);
  positive('epochs', opts.epochs, true);
  if (opts.startAt !== undefined && !(Number.isInteger(opts.startAt) && opts.startAt >= 0)) {
    throw new UsageError(`startAt must be a whole number >= 0, got ${opts.startAt}`, { suggestion: 'pass the position of a batch' });
  }
  if (opts.maxBad !== undefined && !(opts.maxBad >= 0)) {
    throw new UsageError(`maxBad must be >= 0, got ${opts.maxBad}`, { suggestion: 'pass a count (>= 1) or a fraction (< 1)' });
  }
}

/**
 * Batches over a dataset index, decoded `concurrency` at a time and read ahead by `prefetch` batches.
 * @example
 * const loader = createLoader(index, {preprocessing, training: true, batchSize: 8, seed: 0, epochs: Infinity});
 * for await (const batch of loader) { batch.shape; // [8, 8, 224, 224, 3]
 *   ...; if (done) break; }
 * loader.stats() // { decoded: 64, cacheHits: 0, padded: 0, bad: { count: 0, paths: [] }, clipsPerSec: 19.8, ... }
 */
export function createLoader(index: DatasetIndex, opts: LoaderOptions): Loader {
  checkOptions(index, opts);
  if (!opts.training) parseViews(opts.views ?? '1x1'); // fail on a bad spec now, not at the first batch
  return new DataLoader(index, opts);
}
