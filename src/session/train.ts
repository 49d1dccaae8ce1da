// `train()`: one training run as the library does it, from one request to one result, what `cover pretrain` and
// `cover cotrain` call. It owns every decision between the options and the training loop (trainer.ts): the run's
// folder checked before any work, the settings resolved (recipe, explicit settings, an --init checkpoint's preset),
// the backend chosen, the data-parallel job joined when a launcher started this process, the datasets resolved (the
// demo suite when none is given), the run's header handed out as data, and the run itself. Log lines, progress and
// stopping come in as hooks, so the CLI only parses and renders, and a library user gets the same run.
//
// @example
// import { train } from '@cover-video/cover';
// const { result } = await train({ kind: 'cotrain', datasets: ['k400', 'imnet'], demo: { size: 'tiny' },
//   settings: { preset: 'tiny', steps: 20 }, out: 'runs/lib' }, { log: console.log });
// result.evals.map((e) => [e.head, e.top1]) // [['k400', 0.5], ['imnet', 0.75]]

import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_FILE, readCheckpointConfig } from '../checkpoint/checkpoint';
import { initBackend } from '../engine/backend';
import { backendForJob, currentJob, joinJob } from '../dist/job';
import { readLaunchEnv } from '../dist/launch_env';
import { launchRanks } from '../dist/launcher';
import { checkEvenShares } from '../data/feed/shard';
import { UsageError } from '../errors';
import { resolveRunDatasets } from '../run/run_datasets';
import { CHECKPOINT_DIR, checkRunDir } from '../run/run_dir';
import { RunConfig, RunKind, savedRunConfig } from '../run/run_config';
import { backendForTraining } from '../train/auto_backend';
import { presetForInit } from '../train/given_settings';
import { resolveRunConfig } from '../train/recipes';
import { runTraining, TrainHooks, TrainResult } from '../train/trainer';
import { SessionRequest } from './request';

/** One training run; `settings.steps` with `resume` lengthens the run. Default `out`: `runs/<kind>`. */
export interface TrainRequest extends SessionRequest {
  kind: Extract<RunKind, 'pretrain' | 'cotrain'>;
  /** Dataset names: k400, k600, k700, ssv2, mit, imnet, or names given in `data`. */
  datasets: string[];
  /** Continue the run in `out` from its checkpoint, with its saved settings. */
  resume?: boolean;
}

/** The run's first lines, as data: what it trains, on what, with which backend, and where it writes. */
export interface RunHeader {
  kind: RunKind;
  datasets: string[];
  /** The demo suite's folder when the run uses it. */
  demo?: string;
  resumed: boolean;
  preset: string;
  backend: { name: string; device?: string; precision?: string; threads: number };
  accel: { active: boolean; reason: string };
  steps: number;
  epochs?: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  schedule: string;
  out: string;
  /** This process's job when a launcher started several ranks. */
  dist?: { world: number; launcher: string; backend: string; addr: string; port: number };
}

export interface TrainSessionHooks extends Pick<TrainHooks, 'log' | 'progress' | 'signal'> {
  /** The header, once the backend and the data are known, before the first step. */
  header?: (h: RunHeader) => void;
}

export interface TrainOutcome {
  result: TrainResult;
  header: RunHeader;
  /** Rank 0 of a job, or the only process: the one that writes the run's files and speaks for it. */
  writer: boolean;
}

/**
 * Runs (or, with `resume`, continues) one training run. In a data-parallel job (a launcher's variables are set) this
 * process trains its rank's share; rank 0 writes.
 */
export async function train(req: TrainRequest, hooks: TrainSessionHooks = {}): Promise<TrainOutcome> {
  const log = hooks.log ?? (() => {});
  const job = currentJob();
  const writer = job === null || job.rank === 0;
  const out = req.out ?? path.join('runs', req.kind);
  const given = req.settings ?? {};
  if (writer) checkRunDir(out, { resume: req.resume, overwrite: req.overwrite, inputs: [given.init] }); // before any work
  const settings = resolveSettings(req, out);
  // Every rank would say it: the batch must split into equal shares (a resumed run's was checked when it started).
  if (job && !req.resume) checkEvenShares(settings.batchSize, { rank: job.rank, world: job.world });
  const requested = req.engine?.backend ?? 'auto';
  const fromCheckpoint = !!req.resume || (given.init !== undefined && !given.init.endsWith('.safetensors'));
  const backend = await initBackend({
    ...req.engine,
    backend: job ? backendForJob(job.world, requested, job.launcher) : backendForTraining({ ...settings, backend: requested, fromCheckpoint }),
  });
  const dist = job ? joinJob(job, hooks.signal) : undefined;
  // A resumed run reads its datasets and settings from its checkpoint; nothing is resolved again. In a job, rank 0
  // resolves first (it may generate the demo suite), then the others read what it made.
  const resolve = async () => req.resume
    ? { datasets: [], data: {}, demo: undefined }
    : await resolveRunDatasets(req.datasets, req.data ?? {}, { demoDir: req.demo?.dir, demoSize: req.demo?.size ?? 'small', log });
  const resolved = dist ? await dist.writerFirst(resolve) : await resolve();
  const cfg: RunConfig = { ...settings, datasets: resolved.datasets, data: resolved.data };
  const header: RunHeader = {
    kind: cfg.kind,
    datasets: cfg.datasets.map((d) => d.name),
    ...(resolved.demo ? { demo: resolved.demo } : {}),
    resumed: !!req.resume,
    preset: cfg.preset,
    backend: { name: backend.name, device: backend.device, precision: backend.precision, threads: backend.threads },
    accel: { active: backend.accel.active, reason: backend.accel.reason },
    steps: cfg.steps,
    ...(cfg.epochs ? { epochs: cfg.epochs } : {}),
    batchSize: cfg.batchSize,
    optimizer: cfg.optimizer,
    lr: cfg.lr,
    schedule: cfg.schedule,
    out,
    ...(dist ? { dist: { world: dist.pg.world, launcher: job!.launcher, backend: dist.pg.backend, addr: job!.addr, port: job!.port } } : {}),
  };
  hooks.header?.(header);
  const trainHooks = { resume: req.resume, overwrite: req.overwrite, extendSteps: given.steps, given, log, progress: hooks.progress };
  let result: TrainResult;
  if (dist) {
    result = await dist.guard(() => runTraining(cfg, { ...trainHooks, dist, signal: dist.signal }));
    dist.finish();
  } else {
    result = await runTraining(cfg, { ...trainHooks, signal: hooks.signal });
  }
  return { result, header, writer };
}

/**
 * `--nproc N`: checks the backend and the batch first (one line, not N), then starts N ranks of `args` (a cover
 * command line without --nproc) on this machine and waits for them; returns the job's exit code.
 */
export async function startRanks(req: TrainRequest, nproc: number, args: string[]): Promise<number> {
  const inJob = readLaunchEnv();
  if (inJob) {
    throw new UsageError(`--nproc ${nproc}: this process is already rank ${inJob.rank} of ${inJob.world}, started by ${inJob.launcher}`, {
      suggestion: 'let either the launcher or --nproc start the ranks, not both',
    });
  }
  backendForJob(nproc, req.engine?.backend ?? 'auto', `--nproc ${nproc}`);
  if (!req.resume) checkEvenShares(resolveSettings(req, '').batchSize, { rank: 0, world: nproc });
  return launchRanks({ nproc, args });
}

/**
 * The run's settings before its datasets are known: a resumed run's saved ones (a longer --steps extends it; the
 * trainer checks the rest), else the recipe's, then the explicit ones, with the preset of an --init checkpoint.
 */
function resolveSettings(req: TrainRequest, out: string): RunConfig {
  const given = req.settings ?? {};
  const saved = req.resume ? savedSettings(path.join(out, CHECKPOINT_DIR)) : null;
  if (saved) return { ...saved, steps: Math.max(saved.steps, given.steps ?? 0), out };
  const preset = req.resume ? given.preset : presetForInit(given.init, given.preset);
  return resolveRunConfig({ kind: req.kind, datasets: [], data: {}, out, recipe: req.recipe, settings: { ...given, preset } });
}

/** The settings a checkpoint's run was saved with, or null (none there yet: the trainer says so in its own words). */
function savedSettings(ckDir: string): RunConfig | null {
  if (!fs.existsSync(path.join(ckDir, CONFIG_FILE))) return null;
  const run = (readCheckpointConfig(ckDir).extra as { run?: { config?: RunConfig } } | undefined)?.run;
  return run?.config ? savedRunConfig(run.config) : null;
}
