// The training loop behind `cover pretrain`, `cover cotrain` and the fine-tuning stage of `cover transfer`: one
// TimeSformer, one head per dataset, CoVeR batches mixed in proportion to dataset size (run_data.ts, mixed_feed.ts), a
// step with micro-batches (train_step.ts), periodic evaluation, a JSONL log (run/run_log.ts), and checkpoints written
// atomically every N steps.
//
// Resume is exact: a checkpoint holds the weights, the optimizer's slots and step, the run config and the batch
// sampler's position after its step; the feed continues from that position and every random choice of step s is seeded
// by (seed, s), so a run killed at any point and resumed with `--resume` produces the same weights as one that never
// stopped.
//
// Data parallel (src/dist, when a launcher started several ranks): the feed reads this rank's share of every batch and
// of every evaluation (data/feed/shard.ts); the step's gradients and losses are averaged over the ranks before clipping and
// the update; each evaluation is gathered so every rank holds the whole split's metrics; rank 0 alone writes the
// checkpoint, log, report and result, and every rank resumes from them.
//
// Nothing is lost in silence: the rows each dataset reader dropped (missing files, unknown labels, bad lines) are counted
// by reason, logged at the start, checked against --max-bad before the first step, and kept in result.json; samples that
// turn out unreadable are skipped, counted by reason against the same limit, and listed in result.json; a NaN or
// infinite loss or gradient norm stops the run before the weights change and before anything is saved, so the last
// checkpoint stays the last good one.

import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { CONFIG_FILE, LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint';
import { writeAtomically } from '../checkpoint/safetensors';
import { BadReason } from '../data/feed/bad_samples';
import { DropReport } from '../data/datasets/drops';
import { createRng, hashKeys } from '../data/rng';
import { Shard } from '../data/feed/shard';
import { Preprocessing } from '../data/types';
import { CheckpointError, ConfigError, DatasetError } from '../errors';
import { HeadEval, evaluateHead } from '../eval/evaluate';
import { predictionsCsv } from '../eval/predictions';
import { TimeSformer } from '../model/timesformer';
import { renderReport } from '../report/html_report';
import { TensorBoardWriter } from '../run/tensorboard';
import { lrAt } from '../run/lr_schedule';
import { CHECKPOINT_DIR, claimRunDir, LOG_FILE, PREDICTIONS_FILE, REPORT_FILE, RESULT_FILE, TB_DIR } from '../run/run_dir';
import { RunConfig, RunSettings, savedRunConfig, validateRunConfig } from '../run/run_config';
import { lockRunDir } from '../run/run_lock';
import { recoverFolder } from '../checkpoint/folder';
import { checkResumeSettings, dataLoadingGiven } from './given_settings';
import { appendLog as appendEntry, readLog, truncateLog } from '../run/run_log';
import { fitTraining } from './memory_preflight';
import { describeRecipe } from './recipes';
import { MixedFeed, TrainBatch } from '../data/feed/mixed_feed';
import { MixSamplerState } from '../data/feed/mix_sampler';
import { buildModel, resumeModel } from './model_source';
import { mixup } from './mixup';
import { DEFAULT_OPTIMIZER, Optimizer } from './optimizer';
import { checkRunData, dropList, headsFor, openRunData, openTrainFeed, preprocessingFor, RunData } from './run_data';
import { BatchGradients, HeadBatch, NonFiniteStepError, trainStep } from './train_step';

export interface StepProgress {
  step: number;
  steps: number;
  loss: number;
  perHead: Record<string, number>;
  lr: number;
  clipsPerSec: number;
  etaSeconds: number;
}

/** What the trainer needs from a data-parallel job (src/dist/data_parallel.ts is the one there is). */
export interface DataParallelRun {
  /** This rank and the world size: the feed reads this share of every batch and evaluation. */
  readonly shard: Shard;
  /** Rank 0: it alone writes the run's files. */
  readonly isWriter: boolean;
  /** Milliseconds inside the last step's all-reduce (logged with the step). */
  readonly allreduceMs: number;
  /** StepOptions.reduce: the step's gradients and losses from this rank's (averaged over the ranks). */
  reducer(params: { name: string; shape: number[] }[], heads: string[]): (local: BatchGradients) => BatchGradients;
  /** A checkpoint of `step` is being written (by rank 0), or was found on resume (`done`). */
  checkpointAt(step: number, done?: boolean): void;
  /** Every rank's value, in rank order (a collective). */
  gatherJson<T>(value: T): T[];
}

export interface TrainHooks {
  /** A line for the user (run header, evaluations, checkpoints). */
  log?: (line: string) => void;
  /** After every step. */
  progress?: (p: StepProgress) => void;
  /** Aborting it stops the run after the current step, with a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Data parallel (src/dist): this rank's share (rank and world size) of every batch and evaluation, the gradient
   * averaging, the gathering of evaluations; rank 0 writes.
   */
  dist?: DataParallelRun;
}

export interface TrainOptions extends TrainHooks {
  /** Continue the run in `out` from its checkpoint (`--resume`). */
  resume?: boolean;
  /** Replace the run in `out` (`--overwrite`): cover's files of it only. */
  overwrite?: boolean;
  /** A --steps given with `resume`: lengthens the run. */
  extendSteps?: number;
  /** The settings the user gave explicitly: with `resume`, one that differs from the saved run is refused. */
  given?: Partial<RunSettings>;
  /** Write the final evaluation's verdict on every val clip to predictions.csv in the run folder (a study's arms). */
  predictions?: boolean;
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
  /** Samples skipped in training because they could not be read (and were not read since), with the reason. */
  badSamples: { path: string; problem: string; reason: BadReason; dataset: string }[];
  /** Rows the dataset readers dropped, per dataset and split (train, and val where there is one), by reason. */
  dropped: DropReport[];
}

/** The state saved in a checkpoint's config.json `extra.run`. */
interface SavedRun {
  config: RunConfig;
  step: number;
  optimizerStep: number;
  /** The batch sampler after `step` batches (absent from checkpoints written before cover stored it: replayed then). */
  sampler?: MixSamplerState;
}

/** The parameters a step trains, in the model's order (the same list on every rank). */
function trainedParams(model: TimeSformer, trainable?: (name: string) => boolean): { name: string; shape: number[] }[] {
  return [...model.namedWeights()].filter(([name, v]) => v.trainable && (!trainable || trainable(name))).map(([name, v]) => ({ name, shape: v.shape }));
}

/** Turns a feed batch into per-head tensors, applying mixup where asked. The caller disposes `x`. */
function toHeadBatches(batch: TrainBatch, model: TimeSformer, cfg: RunConfig): HeadBatch[] {
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
export async function runTraining(input: RunConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  // One run per folder: rank 0 locks it before reading or writing anything there; a second run is refused.
  const lock = !opts.dist || opts.dist.isWriter ? lockRunDir(input.out, opts.log) : null;
  try {
    return await train(input, opts);
  } finally {
    lock?.release();
  }
}

async function train(input: RunConfig, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const dist = opts.dist;
  /** Rank 0 alone writes the run's files; every rank reads them on resume. */
  const writes = !dist || dist.isWriter;
  let tb: TensorBoardWriter | undefined; // RUN/tb/, opened once the folder is claimed; fed the log's entries
  const appendLog = (file: string, entry: object) => {
    if (!writes) return;
    appendEntry(file, entry);
    tb?.logEntry(entry);
  };
  const ckDir = path.join(input.out, CHECKPOINT_DIR);
  if (writes) recoverFolder(ckDir, log); // a save killed half-way: the checkpoint it was replacing, or its new one
  let saved: LoadedCheckpoint | null = null;
  let cfg = input;
  if (opts.resume) {
    if (!fs.existsSync(path.join(ckDir, CONFIG_FILE))) {
      const early = fs.existsSync(path.join(input.out, LOG_FILE));
      throw new CheckpointError(`there is no checkpoint to resume from${early ? ' (the run stopped before its first checkpoint)' : ''}`, {
        path: ckDir,
        suggestion: early ? 'start the run again with --overwrite' : 'start the run without --resume',
      });
    }
    saved = await loadCheckpoint(ckDir);
    const stored = (saved.extra as { run?: SavedRun } | undefined)?.run;
    const run = stored && { ...stored, config: savedRunConfig(stored.config) };
    if (!run || !saved.state) {
      saved.weights.forEach((t) => t.dispose());
      throw new CheckpointError('this checkpoint holds no training state to resume', { path: ckDir, suggestion: 'start a new run with --init pointing at it' });
    }
    try {
      checkResumeSettings(opts.given ?? {}, run.config, ckDir);
    } catch (err) {
      saved.weights.forEach((t) => t.dispose());
      saved.state.forEach((t) => t.dispose());
      throw err;
    }
    // The saved settings win, so the resumed run is the same run; only a longer --steps extends it, and how data is
    // fetched may change.
    cfg = { ...run.config, ...dataLoadingGiven(opts.given ?? {}), steps: Math.max(run.config.steps, opts.extendSteps ?? 0), out: input.out };
  }
  validateRunConfig(cfg);
  const data = await openRunData(cfg);
  checkRunData(data, cfg, log);
  if (cfg.epochs && !saved) {
    const total = [...data.train.values()].reduce((n, d) => n + d.samples.length, 0);
    cfg = { ...cfg, steps: Math.max(1, Math.ceil((cfg.epochs * total) / cfg.batchSize)) };
    validateRunConfig(cfg); // the steps that --epochs makes are held to the same bound as --steps
  }
  const sampling = [...data.train.entries()].map(([name, index]) => ({ name, sampling: index.sampling, images: index.samples.every((x) => x.kind === 'image') }));
  describeRecipe(cfg, sampling).forEach((line) => log(line));
  const heads = headsFor(data.train);
  // Before any weight is allocated: one line when it cannot fit; an unset (auto) micro-batch and recompute are fixed
  // here, said in the run's first lines, and saved.
  const fit = fitTraining(cfg, heads, saved?.model);
  fit.notes.forEach((line) => log(line));
  if (fit.notes.length === 0 && fit.microBatch < cfg.batchSize) log(`micro-batch ${fit.microBatch}: gradients accumulate over ${Math.ceil(cfg.batchSize / fit.microBatch)} passes to the batch of ${cfg.batchSize}`);
  cfg = { ...cfg, microBatch: fit.microBatch, recompute: fit.recompute ? 'blocks' : 'off' };
  // Only now, with every check passed, is the folder claimed: refused if it holds another run, or (asked to) cleared.
  if (writes) {
    claimRunDir(cfg.out, { ...opts, inputs: [cfg.init] });
    fs.mkdirSync(cfg.out, { recursive: true });
  }
  const logFile = path.join(cfg.out, LOG_FILE);
  let model: TimeSformer;
  const optimizer = new Optimizer({ ...DEFAULT_OPTIMIZER[cfg.optimizer], weightDecay: cfg.weightDecay, decayAll: cfg.decayAll ?? false });
  let startStep = 0;
  let lastLoss = NaN;
  let resumeSampler: MixSamplerState | undefined;
  if (saved) {
    const run = (saved.extra as { run: SavedRun }).run;
    model = resumeModel(saved, heads, cfg, ckDir);
    optimizer.loadState(run.optimizerStep, saved.state!, model.namedWeights());
    startStep = run.step;
    resumeSampler = run.sampler;
    if (writes) truncateLog(logFile, startStep);
    dist?.checkpointAt(startStep, true);
    lastLoss = readLog(logFile).filter((e) => e.step <= startStep).at(-1)?.loss ?? NaN;
    log(startStep < cfg.steps
      ? `resuming ${cfg.kind} from step ${startStep} of ${cfg.steps} (${ckDir})`
      : `the run had finished its ${cfg.steps} steps (${ckDir}): evaluating it again (a larger --steps trains it longer)`);
  } else {
    model = await buildModel(cfg, heads, log);
  }

  const preprocessing = preprocessingFor(model.config, cfg);
  const trainable = cfg.freezeTemporal ? (name: string) => !model.params.spec(name).temporal : undefined;
  let feed: MixedFeed;
  try {
    feed = openTrainFeed(data, cfg, preprocessing, { resume: resumeSampler ?? { batches: startStep }, resumeSource: ckDir, shard: dist?.shard });
  } catch (err) {
    optimizer.dispose();
    model.dispose();
    throw err;
  }
  // Warm-up never takes more than a fifth of a short run.
  const schedule = { base: cfg.lr, warmupSteps: Math.min(cfg.warmup, Math.floor(cfg.steps / 5)), totalSteps: cfg.steps, schedule: cfg.schedule };

  let lastSaved: number | null = saved ? startStep : null;
  const save = async (step: number, sampler: MixSamplerState) => {
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
        extra: { run: { config: cfg, step, optimizerStep: optimizer.step, sampler } satisfies SavedRun },
      });
    } finally {
      state.forEach((t) => t.dispose());
    }
    lastSaved = step;
  };

  let step = startStep;
  let interrupted = false;
  const evals: HeadEval[] = [];
  const runStart = Date.now();
  if (writes) tb = TensorBoardWriter.open(path.join(cfg.out, TB_DIR), startStep > 0 ? { restartAt: startStep + 1 } : {});
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
      const hb = toHeadBatches(batch, model, cfg);
      let res;
      const tStep = performance.now();
      try {
        // In a job, a rank whose share was all unreadable still takes part (zero gradients); data_parallel.ts stops
        // when the whole batch was.
        if (hb.length === 0 && !dist) throw new DatasetError(`step ${step}: every sample of the batch was unreadable`, { suggestion: 'run `cover data check`' });
        res = trainStep(model, hb, optimizer, {
          lr,
          microBatch: cfg.microBatch,
          recompute: cfg.recompute === 'blocks',
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
      appendLog(logFile, { type: 'step', step, loss: res.loss, perHead, lr, gradNorm: res.gradNorm, samples: res.samples, time: Date.now(), dataMs: Math.round(dataMs), stepMs: Math.round(stepMs), ...(dist ? { allreduceMs: Math.round(dist.allreduceMs) } : {}) });
      opts.progress?.({ step, steps: cfg.steps, loss: res.loss, perHead, lr, clipsPerSec, etaSeconds: ((cfg.steps - step) * elapsed) / (step - startStep) });

      if (cfg.evalEvery > 0 && step % cfg.evalEvery === 0 && step < cfg.steps) {
        const quick = await evaluateAll(model, data, preprocessing, cfg, { views: '1x1', maxSamples: cfg.evalSamples, dist });
        appendLog(logFile, { type: 'eval', step, evals: Object.fromEntries(quick.map((e) => [e.head, { top1: e.top1, top5: e.top5, n: e.n }])) });
        log(`  step ${step}: ${quick.map((e) => `${e.head} top-1 ${(100 * e.top1).toFixed(1)}% (n=${e.n})`).join(', ')}`);
      }
      if (step % cfg.checkpointEvery === 0 || step === cfg.steps || opts.signal?.aborted) await save(step, batch.sampler);
      if (opts.signal?.aborted && step < cfg.steps) {
        interrupted = true;
        break;
      }
    }
    if (!interrupted) {
      const final = await evaluateAll(model, data, preprocessing, cfg, { views: cfg.views, dist, keepClips: opts.predictions });
      if (writes && opts.predictions) writeAtomically(path.join(cfg.out, PREDICTIONS_FILE), (fd) => fs.writeSync(fd, predictionsCsv(final)));
      evals.push(...final.map(({ clips: _c, ...e }) => e));
      appendLog(logFile, { type: 'eval', step, final: true, views: cfg.views, evals: Object.fromEntries(evals.map((e) => [e.head, { top1: e.top1, top5: e.top5, meanClassAccuracy: e.meanClassAccuracy, n: e.n }])) });
      if (writes) writeReport(cfg, model, evals);
    }
  } finally {
    await feed.close();
    optimizer.dispose();
    model.dispose();
    tb?.close();
  }
  // Every rank's unreadable training samples, in rank order (a job's last collective before finish()).
  const mine = feed.badSamples().map((b) => ({ path: b.path, problem: b.problem, reason: b.reason, dataset: b.dataset }));
  const badSamples = dist ? dist.gatherJson(mine).flat() : mine;
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
    badSamples,
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
  cfg: Pick<RunConfig, 'seed' | 'cacheDir' | 'memoryCache' | 'concurrency' | 'maxBad'>,
  opts: { views: string; maxSamples?: number; dist?: DataParallelRun; keepClips?: boolean },
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
        memoryCacheBytes: (cfg.memoryCache ?? 0) * 2 ** 20,
        concurrency: cfg.concurrency,
        maxBad: cfg.maxBad,
        shard: opts.dist?.shard,
        keepClips: opts.keepClips,
        gather: opts.dist && ((part) => opts.dist!.gatherJson(part)),
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
