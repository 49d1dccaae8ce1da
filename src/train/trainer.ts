// The training loop behind `cover pretrain`, `cover cotrain` and the fine-tuning stage of `cover transfer`: one
// TimeSformer, one head per dataset, CoVeR batches mixed in proportion to dataset size (mixed_feed.ts), a step with
// micro-batches (train_step.ts), periodic evaluation, a JSONL log, and checkpoints written atomically every N steps.
//
// Resume is exact: a checkpoint holds the weights, the optimizer's slots and step, and the run config; the data feed is
// replayed to the checkpoint's step and every random choice of step s is seeded by (seed, s), so a run killed at any
// point and resumed with `--resume` produces the same weights as one that never stopped.
//
// Nothing is lost in silence: the rows each dataset reader dropped (missing files, unknown labels, bad lines) are counted
// by reason, logged at the start, checked against --max-bad before the first step, and kept in result.json; a NaN or
// infinite loss or gradient norm stops the run before the weights change and before anything is saved, so the last
// checkpoint stays the last good one.

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { importWeights } from '../checkpoint/import';
import { CONFIG_FILE, LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint';
import { writeAtomically } from '../checkpoint/safetensors';
import { getPreset } from '../config/presets';
import { ModelConfig } from '../config/model_config';
import { checkDrops, describeDrops, describeLimit, DropReport, dropReport } from '../data/datasets/drops';
import { openDataset } from '../data/datasets/registry';
import { createRng, hashKeys } from '../data/rng';
import { DatasetIndex, Preprocessing } from '../data/types';
import { CheckpointError, ConfigError, DatasetError } from '../errors';
import { HeadEval, evaluateHead } from '../eval/evaluate';
import { HeadInfo } from '../model/heads';
import { TimeSformer } from '../model/timesformer';
import { lrAt } from '../train/lr_schedule';
import { renderReport, ReportLogEntry } from '../report/html_report';
import type { DataParallel } from '../dist/data_parallel';
import { FeedBatch, FeedGroup, MixedFeed } from './mixed_feed';
import { assertTrainingFits } from './memory_preflight';
import { mixup } from './mixup';
import { DEFAULT_OPTIMIZER, Optimizer } from './optimizer';
import { CHECKPOINT_DIR, claimRunDir, LOG_FILE, REPORT_FILE, RESULT_FILE } from './run_dir';
import { RunConfig, validateRunConfig } from './run_config';
import { HeadBatch, NonFiniteStepError, trainStep } from './train_step';


export interface StepProgress {
  step: number;
  steps: number;
  loss: number;
  perHead: Record<string, number>;
  lr: number;
  clipsPerSec: number;
  etaSeconds: number;
}

export interface TrainHooks {
  /** A line for the user (run header, evaluations, checkpoints). */
  log?: (line: string) => void;
  /** After every step. */
  progress?: (p: StepProgress) => void;
  /** Aborting it stops the run after the current step, with a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  /** Data parallel (src/dist): this rank's share of each batch, gradients averaged over ranks, rank 0 writes. */
  dist?: DataParallel;
}

export interface TrainResult {
  out: string;
  checkpoint: string;
  config: RunConfig;
  /** Steps done in total (resumed runs included). */
  steps: number;
  startedAt: number;
  interrupted: boolean;
  seconds: number;
  lastLoss: number;
  evals: HeadEval[];
  /** Samples skipped in training because they could not be read (and were not read since). */
  badSamples: { path: string; problem: string }[];
  /** Rows the dataset readers dropped, per dataset and split (train, and val where there is one), by reason. */
  dropped: DropReport[];
}

/** The state saved in a checkpoint's config.json `extra.run`. */
interface SavedRun {
  config: RunConfig;
  step: number;
  optimizerStep: number;
}

export interface RunData {
  train: Map<string, DatasetIndex>;
  val: Map<string, DatasetIndex | null>;
  /** What the readers dropped: train and val split of each dataset (unlabelled rows included). */
  dropped: Map<string, { train: DropReport; val: DropReport | null }>;
}

/** Opens the train (and, where there is one, val) split of every dataset of a run. */
export async function openRunData(cfg: RunConfig): Promise<RunData> {
  const train = new Map<string, DatasetIndex>();
  const val = new Map<string, DatasetIndex | null>();
  const dropped = new Map<string, { train: DropReport; val: DropReport | null }>();
  for (const d of cfg.datasets) {
    const index = await openDataset(d.spec, { split: 'train', data: cfg.data, name: d.name });
    const labelled = index.samples.filter((s) => s.label >= 0);
    if (labelled.length === 0) {
      throw new DatasetError(`dataset '${d.name}' has no labelled training sample`, {
        path: index.root,
        suggestion: 'check the annotation files (run `cover data check`)',
      });
    }
    if (new Set(labelled.map((s) => s.kind)).size > 1) {
      throw new DatasetError(`dataset '${d.name}' mixes images and videos, which cannot share a batch`, {
        path: index.root,
        suggestion: 'split it into an image dataset and a video dataset',
      });
    }
    train.set(d.name, { ...index, samples: labelled });
    let v: DatasetIndex | null = null;
    try {
      v = await openDataset(d.spec, { split: 'val', data: cfg.data, name: d.name });
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
    }
    val.set(d.name, v);
    dropped.set(d.name, { train: dropReport(index, { labelledOnly: true }), val: v && dropReport(v, { labelledOnly: true }) });
  }
  return { train, val, dropped };
}

/**
 * Says what the readers dropped, and stops before the first step when a split lost more rows than --max-bad allows
 * (the same limit then covers the samples that turn out unreadable during training).
 */
export function checkRunData(data: RunData, cfg: Pick<RunConfig, 'datasets' | 'maxBad'>, log: (s: string) => void): void {
  for (const d of cfg.datasets) {
    const drops = data.dropped.get(d.name);
    if (!drops) continue;
    for (const [report, index] of [[drops.train, data.train.get(d.name)], [drops.val, data.val.get(d.name)]] as const) {
      if (!report || !index || report.dropped === 0) continue;
      checkDrops(report, cfg.maxBad, index);
      log(`  ${d.name}: ${describeDrops(report)}, within ${describeLimit(cfg.maxBad, report.rows)}; first: ${report.examples[0]}`);
    }
  }
}

/** Every drop report of a run, train then val per dataset. */
function dropList(data: RunData): DropReport[] {
  return [...data.dropped.values()].flatMap((d) => (d.val ? [d.train, d.val] : [d.train]));
}

export function headsFor(train: Map<string, DatasetIndex>): HeadInfo[] {
  return [...train.entries()].map(([name, index]) => ({ name, numClasses: index.labels.length, labels: [...index.labels], ...(index.displayNames ? { displayNames: [...index.displayNames] } : {}) }));
}

export function preprocessingFor(model: ModelConfig, cfg: Pick<RunConfig, 'mean' | 'std' | 'samplingRate'>): Preprocessing {
  return { mean: cfg.mean, std: cfg.std, cropSize: model.imgSize, numFrames: model.numFrames, samplingRate: cfg.samplingRate };
}

function sameLabels(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The model a run starts from: a fresh preset, a cover checkpoint (its backbone, and the heads whose name and labels
 * match), or imported weights (reference TimeSformer, HF, timm ViT). Heads of the run that the source lacks start fresh.
 */
export async function buildModel(cfg: RunConfig, heads: HeadInfo[], log: (s: string) => void): Promise<TimeSformer> {
  const withDropPath = (m: ModelConfig): ModelConfig => ({ ...m, dropPathRate: cfg.dropPath });
  if (!cfg.init) return new TimeSformer(withDropPath(getPreset(cfg.preset)), heads, cfg.seed);
  const isCheckpoint = fs.existsSync(path.join(cfg.init, CONFIG_FILE));
  if (isCheckpoint) {
    const ck = await loadCheckpoint(cfg.init, { trainState: false });
    try {
      const model = new TimeSformer(withDropPath(ck.model), heads, cfg.seed);
      const keep = new Map<string, tf.Tensor>();
      for (const [name, t] of ck.weights) {
        if (!name.startsWith('heads.')) keep.set(name, t);
      }
      for (const h of ck.heads) {
        const mine = heads.find((x) => x.name === h.name);
        if (mine && sameLabels(mine.labels, h.labels)) {
          keep.set(`heads.${h.name}.weight`, ck.weights.get(`heads.${h.name}.weight`)!);
          keep.set(`heads.${h.name}.bias`, ck.weights.get(`heads.${h.name}.bias`)!);
          log(`  head ${h.name}: from ${cfg.init}`);
        } else if (mine) {
          log(`  head ${h.name}: new (the checkpoint's head has other labels)`);
        }
      }
      model.params.assign(keep);
      log(`  backbone: from checkpoint ${cfg.init}`);
      return model;
    } finally {
      ck.weights.forEach((t) => t.dispose());
      ck.state?.forEach((t) => t.dispose());
    }
  }
  const modelCfg = withDropPath(getPreset(cfg.preset));
  const { weights, report } = await importWeights(cfg.init, { model: modelCfg, heads }, { seed: cfg.seed });
  const model = new TimeSformer(modelCfg, heads, cfg.seed);
  model.params.assign(weights);
  weights.forEach((t) => t.dispose());
  log(`  backbone: imported ${report.source} weights from ${cfg.init} (${report.copied.length} copied, ${report.seeded.length} seeded, ${report.initialised.length} initialised)`);
  return model;
}

/** Appends one JSON line to the run's log. */
function appendEntry(file: string, entry: object): void {
  fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** Keeps the log lines up to `step` (a resumed run rewrites what the steps after its checkpoint had logged). */
function truncateLog(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        const e = JSON.parse(l) as { step?: number };
        return typeof e.step !== 'number' || e.step <= step;
      } catch {
        return false;
      }
    });
  writeAtomically(file, (fd) => fs.writeSync(fd, keep.map((l) => `${l}\n`).join('')));
}

export function readLog(file: string): ReportLogEntry[] {
  if (!fs.existsSync(file)) return [];
  const out: ReportLogEntry[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as ReportLogEntry & { type?: string };
      if (e.type === 'step') out.push({ step: e.step, loss: e.loss, perHead: e.perHead, lr: e.lr });
      else if (e.type === 'eval' && out.length > 0) {
        const last = out[out.length - 1];
        last.evals = { ...(last.evals ?? {}), ...(e.evals ?? {}) };
      }
    } catch {
      // a line cut by a kill: ignore it
    }
  }
  return out;
}

/** The parameters a step trains, in the model's order (the same list on every rank). */
function trainedParams(model: TimeSformer, trainable?: (name: string) => boolean): { name: string; shape: number[] }[] {
  return [...model.namedWeights()].filter(([name, v]) => v.trainable && (!trainable || trainable(name))).map(([name, v]) => ({ name, shape: v.shape }));
}

/** TEMPORARY until the feed's shard option: rank r's contiguous rows of the global batch. */
function shareOfBatch(batch: FeedBatch, shard: { rank: number; world: number }): FeedBatch {
  const n = batch.groups.reduce((k, g) => k + g.labels.length, 0);
  const lo = Math.floor((shard.rank * n) / shard.world);
  const hi = Math.floor(((shard.rank + 1) * n) / shard.world);
  const groups = [];
  let at = 0;
  for (const g of batch.groups) {
    const b = g.labels.length;
    const a = Math.max(lo, at) - at;
    const e = Math.min(hi, at + b) - at;
    at += b;
    if (e <= a) continue;
    const per = g.x.length / b;
    groups.push({ ...g, x: g.x.subarray(a * per, e * per), shape: [e - a, ...g.shape.slice(1)] as FeedGroup['shape'], labels: g.labels.subarray(a, e), paths: g.paths.slice(a, e) });
  }
  return { ...batch, groups };
}

/** Turns a feed batch into per-head tensors, applying mixup where asked. The caller disposes `x`. */
function toHeadBatches(batch: FeedBatch, model: TimeSformer, cfg: RunConfig): HeadBatch[] {
  return batch.groups.map((g) => {
    let targets: Float32Array | undefined;
    if (cfg.mixup > 0 && g.labels.length > 1) {
      const per = g.x.length / g.labels.length;
      targets = mixup(g.x, per, g.labels, model.heads.get(g.dataset).numClasses, cfg.mixup, createRng(cfg.seed, 'mixup', batch.step, g.dataset));
    }
    return { head: g.dataset, x: tf.tensor(g.x, g.shape), labels: g.labels, targets };
  });
}

/**
 * Runs (or, with `resume`, continues) training. On resume the saved run config is used as it is; `extendSteps` (a
 * --steps given on the command line) can only lengthen the run.
 */
export async function runTraining(input: RunConfig, opts: TrainHooks & { resume?: boolean; overwrite?: boolean; extendSteps?: number } = {}): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const dist = opts.dist;
  /** Rank 0 alone writes the run's files; every rank reads them on resume. */
  const writes = !dist || dist.isWriter;
  const appendLog = (file: string, entry: object) => writes && appendEntry(file, entry);
  const ckDir = path.join(input.out, CHECKPOINT_DIR);
  let saved: LoadedCheckpoint | null = null;
  let cfg = input;
  if (opts.resume) {
    if (!fs.existsSync(path.join(ckDir, CONFIG_FILE))) {
      throw new CheckpointError('there is no checkpoint to resume from', { path: ckDir, suggestion: 'start the run without --resume' });
    }
    saved = await loadCheckpoint(ckDir);
    const run = (saved.extra as { run?: SavedRun } | undefined)?.run;
    if (!run || !saved.state) {
      saved.weights.forEach((t) => t.dispose());
      throw new CheckpointError('this checkpoint holds no training state to resume', { path: ckDir, suggestion: 'start a new run with --init pointing at it' });
    }
    // The saved settings win, so the resumed run is the same run; only a longer --steps extends it.
    cfg = { ...run.config, steps: Math.max(run.config.steps, opts.extendSteps ?? 0), out: input.out };
  }
  validateRunConfig(cfg);
  const data = await openRunData(cfg);
  checkRunData(data, cfg, log);
  if (cfg.epochs && !saved) {
    const total = [...data.train.values()].reduce((n, d) => n + d.samples.length, 0);
    cfg = { ...cfg, steps: Math.max(1, Math.ceil((cfg.epochs * total) / cfg.batchSize)) };
    validateRunConfig(cfg); // the steps that --epochs makes are held to the same bound as --steps
  }
  const heads = headsFor(data.train);
  assertTrainingFits(cfg, heads, saved?.model); // before any weight is allocated: one line when it cannot fit
  // Only now, with every check passed, is the folder claimed: refused if it holds another run, or (asked to) cleared.
  if (writes) {
    claimRunDir(cfg.out, { ...opts, inputs: [cfg.init] });
    fs.mkdirSync(cfg.out, { recursive: true });
  }
  const logFile = path.join(cfg.out, LOG_FILE);
  let model: TimeSformer;
  const optimizer = new Optimizer({ ...DEFAULT_OPTIMIZER[cfg.optimizer], weightDecay: cfg.weightDecay });
  let startStep = 0;
  if (saved) {
    const run = (saved.extra as { run: SavedRun }).run;
    for (const h of heads) {
      const s = saved.heads.find((x) => x.name === h.name);
      if (!s || !sameLabels(s.labels, h.labels)) {
        throw new CheckpointError(`the checkpoint's head '${h.name}' does not match the dataset's labels`, {
          path: ckDir,
          suggestion: 'resume with the same datasets, or start a new run',
        });
      }
    }
    model = new TimeSformer(saved.model, heads, cfg.seed);
    model.params.assign(saved.weights);
    saved.weights.forEach((t) => t.dispose());
    optimizer.loadState(run.optimizerStep, saved.state!, model.namedWeights());
    startStep = run.step;
    if (writes) truncateLog(logFile, startStep);
    dist?.checkpointAt(startStep, true);
    log(`resuming ${cfg.kind} from step ${startStep} of ${cfg.steps} (${ckDir})`);
  } else {
    model = await buildModel(cfg, heads, log);
  }

  const preprocessing = preprocessingFor(model.config, cfg);
  const trainable = cfg.freezeTemporal ? (name: string) => !model.params.spec(name).temporal : undefined;
  const feed = new MixedFeed(
    [...data.train.entries()].map(([name, index]) => ({
      name,
      index,
      sample: { preprocessing, training: true, cacheDir: cfg.cacheDir, memoryCacheBytes: (cfg.memoryCacheMiB ?? 0) * 2 ** 20 },
      droppedRows: data.dropped.get(name)?.train.dropped ?? 0,
    })),
    {
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      temperature: cfg.fixedCounts ? undefined : cfg.temperature,
      fixedCounts: cfg.fixedCounts,
      startStep,
      concurrency: cfg.concurrency,
      maxBad: cfg.maxBad,
    },
  );
  // Warm-up never takes more than a fifth of a short run.
  const schedule = { base: cfg.lr, warmupSteps: Math.min(cfg.warmupSteps, Math.floor(cfg.steps / 5)), totalSteps: cfg.steps, schedule: cfg.schedule };

  let lastSaved: number | null = saved ? startStep : null;
  const save = async (step: number) => {
    dist?.checkpointAt(step);
    if (!writes) {
      lastSaved = step;
      return;
    }
    const state = optimizer.stateTensors();
    try {
      await saveCheckpoint(ckDir, {
        model: model.config,
        heads: model.heads.list(),
        preprocessing,
        weights: model.namedWeights(),
        state,
        extra: { run: { config: cfg, step, optimizerStep: optimizer.step } satisfies SavedRun },
      });
    } finally {
      state.forEach((t) => t.dispose());
    }
    lastSaved = step;
  };

  let step = startStep;
  let lastLoss = NaN;
  let interrupted = false;
  const evals: HeadEval[] = [];
  const runStart = Date.now();
  try {
    if (startStep === 0) {
      appendLog(logFile, { type: 'start', step: 0, kind: cfg.kind, config: cfg, model: model.config, heads: heads.map((h) => ({ name: h.name, classes: h.numClasses, train: data.train.get(h.name)!.samples.length })), dropped: dropList(data) });
    }
    while (step < cfg.steps) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const tData = performance.now();
      const batch = await feed.next();
      const dataMs = performance.now() - tData;
      for (const b of batch.bad) log(`  skipped unreadable sample ${b.path}: ${b.problem}`);
      const lr = lrAt(step, schedule);
      const hb = toHeadBatches(dist ? shareOfBatch(batch, dist.shard) : batch, model, cfg);
      let res;
      const tStep = performance.now();
      try {
        if (hb.length === 0) throw new DatasetError(`step ${step}: every sample of the batch was unreadable`, { suggestion: 'run `cover data check`' });
        res = trainStep(model, hb, optimizer, {
          lr,
          microBatch: cfg.microBatch,
          labelSmoothing: cfg.labelSmoothing,
          clipGradNorm: cfg.clipGrad,
          seed: hashKeys([cfg.seed, 'step', step]),
          trainable,
          reduce: dist?.reducer(trainedParams(model, trainable), model.heads.names()),
        });
      } catch (err) {
        if (!(err instanceof NonFiniteStepError)) throw err;
        appendLog(logFile, { type: 'stop', step: step + 1, reason: 'non-finite', loss: String(err.loss), gradNorm: String(err.gradNorm), heads: err.heads });
        throw divergence(step + 1, err, cfg, lastSaved === null ? null : { dir: ckDir, step: lastSaved });
      } finally {
        hb.forEach((b) => b.x.dispose());
      }
      const stepMs = performance.now() - tStep;
      step += 1;
      lastLoss = res.loss;
      const perHead = Object.fromEntries(Object.entries(res.perHead).map(([k, v]) => [k, v.loss]));
      const elapsed = (Date.now() - runStart) / 1000;
      const clipsPerSec = ((step - startStep) * cfg.batchSize) / Math.max(elapsed, 1e-9);
      appendLog(logFile, { type: 'step', step, loss: res.loss, perHead, lr, gradNorm: res.gradNorm, samples: res.samples, time: Date.now(), dataMs: Math.round(dataMs), stepMs: Math.round(stepMs), ...(dist ? { allreduceMs: Math.round(dist.pg.lastAllreduceMs) } : {}) });
      opts.progress?.({ step, steps: cfg.steps, loss: res.loss, perHead, lr, clipsPerSec, etaSeconds: ((cfg.steps - step) * elapsed) / (step - startStep) });

      if (cfg.evalEvery > 0 && step % cfg.evalEvery === 0 && step < cfg.steps) {
        const quick = await evaluateAll(model, data, preprocessing, cfg, { views: '1x1', maxSamples: cfg.evalSamples });
        appendLog(logFile, { type: 'eval', step, evals: Object.fromEntries(quick.map((e) => [e.head, { top1: e.top1, top5: e.top5, n: e.n }])) });
        log(`  step ${step}: ${quick.map((e) => `${e.head} top-1 ${(100 * e.top1).toFixed(1)}% (n=${e.n})`).join(', ')}`);
      }
      if (step % cfg.checkpointEvery === 0 || step === cfg.steps || opts.signal?.aborted) await save(step);
      if (opts.signal?.aborted && step < cfg.steps) {
        interrupted = true;
        break;
      }
    }
    if (!interrupted) {
      evals.push(...(await evaluateAll(model, data, preprocessing, cfg, { views: cfg.evalViews })));
      appendLog(logFile, { type: 'eval', step, final: true, views: cfg.evalViews, evals: Object.fromEntries(evals.map((e) => [e.head, { top1: e.top1, top5: e.top5, meanClassAccuracy: e.meanClassAccuracy, n: e.n }])) });
      if (writes) writeReport(cfg, model, evals);
    }
  } finally {
    feed.close();
    optimizer.dispose();
    model.dispose();
  }
  const result: TrainResult = {
    out: cfg.out,
    checkpoint: ckDir,
    config: cfg,
    steps: step,
    startedAt: t0,
    interrupted,
    seconds: (Date.now() - t0) / 1000,
    lastLoss,
    evals,
    badSamples: [...feed.badSamples()].map(([p, problem]) => ({ path: p, problem })),
    dropped: dropList(data),
  };
  if (writes) writeAtomically(path.join(cfg.out, RESULT_FILE), (fd) => fs.writeSync(fd, `${JSON.stringify(result, null, 2)}\n`));
  return result;
}

/** The one line for a step whose loss or gradient norm is not finite: what, where, what was kept, what to change. */
function divergence(step: number, err: NonFiniteStepError, cfg: RunConfig, kept: { dir: string; step: number } | null): ConfigError {
  const keptPart = kept ? `the checkpoint of step ${kept.step} (${kept.dir}) is kept as it was` : 'no checkpoint had been written';
  return new ConfigError(`step ${step}: ${err.message}; training stopped before updating the weights, nothing saved, ${keptPart}`, {
    suggestion: `start again with a lower --lr (it was ${cfg.lr}) or ${cfg.clipGrad ? `a smaller --clip-grad (it was ${cfg.clipGrad})` : 'with --clip-grad 1 (it was off)'}; --resume would repeat the same settings`,
    cause: err,
  });
}

export async function evaluateAll(
  model: TimeSformer,
  data: RunData,
  preprocessing: Preprocessing,
  cfg: Pick<RunConfig, 'seed' | 'cacheDir' | 'memoryCacheMiB' | 'concurrency' | 'maxBad'>,
  opts: { views: string; maxSamples?: number },
): Promise<HeadEval[]> {
  const out: HeadEval[] = [];
  for (const [name, val] of data.val) {
    if (!val || val.samples.length === 0) continue;
    out.push(
      await evaluateHead(model, name, val, {
        preprocessing,
        views: opts.views,
        maxSamples: opts.maxSamples,
        seed: cfg.seed,
        cacheDir: cfg.cacheDir,
        memoryCacheBytes: (cfg.memoryCacheMiB ?? 0) * 2 ** 20,
        concurrency: cfg.concurrency,
        maxBad: cfg.maxBad >= 1 ? cfg.maxBad : Math.max(cfg.maxBad, 0.5),
      }),
    );
  }
  return out;
}

function writeReport(cfg: RunConfig, model: TimeSformer, evals: HeadEval[]): void {
  const html = renderReport({
    title: `cover ${cfg.kind}: ${cfg.datasets.map((d) => d.name).join(' + ')}`,
    config: { run: cfg, model: model.config },
    heads: model.heads.names(),
    log: readLog(path.join(cfg.out, LOG_FILE)),
    confusion: Object.fromEntries(evals.map((e) => [e.head, { labels: e.perClass.map((p) => p.label), matrix: e.confusion }])),
  });
  writeAtomically(path.join(cfg.out, REPORT_FILE), (fd) => fs.writeSync(fd, html));
}
