// The action shared by `cover pretrain` and `cover cotrain`: resolve the run configuration (recipe, then the options
// given) and the datasets (demo suite by default), start the backend, print the resolved configuration and recipe, run
// the training with progress and Ctrl-C handling, print the results and their facts (eval/facts.ts).

import * as path from 'path';
import { describeDrops } from '../../data/datasets/drops';
import { initBackend } from '../../engine/backend';
import { backendForTraining } from '../../train/auto_backend';
import { resolveRunDatasets } from '../../run/run_datasets';
import { RunKind } from '../../run/run_config';
import { checkRunDir } from '../../run/run_dir';
import { runTraining, TrainResult } from '../../train/trainer';
import { runEvalFacts } from '../../eval/facts';
import { renderEvals } from '../eval_render';
import { createProgress, interruptSignal, Progress } from '../progress';
import { backendForJob, currentJob, joinJob } from '../../dist/job';
import { readLaunchEnv } from '../../dist/launch_env';
import { launchRanks, withoutNproc } from '../../dist/launcher';
import { UsageError } from '../../errors';
import { checkEvenShares } from '../../data/feed/shard';
import { duration } from '../render';
import { runConfigFrom, settingsFrom, TrainCliOptions } from '../train_options';
import { presetForInit } from '../../train/given_settings';
import { engineRequest } from '../options';
import { getPreset } from '../../config/presets';
import { printable } from '../../errors';

export async function trainAction(kind: RunKind, datasetNames: string[], o: TrainCliOptions): Promise<TrainResult | null> {
  if (o.nproc !== undefined && o.nproc > 1) {
    process.exitCode = await startRanks(kind, o.nproc, o);
    return null;
  }
  // A rank of a data-parallel job (torchrun, srun, --nproc): rank 0 talks and writes, the others train quietly.
  const job = currentJob();
  const quiet = job !== null && job.rank > 0;
  const progress = quiet ? silentProgress() : createProgress({ json: o.json });
  const out = o.out ?? path.join('runs', kind);
  if (!quiet) checkRunDir(out, { resume: o.resume, overwrite: o.overwrite, inputs: [o.init] }); // before any work; the trainer claims it before its first write
  const given = settingsFrom(o);
  const settings = runConfigFrom(kind, { ...o, preset: o.resume ? o.preset : presetForInit(o.init, o.preset) }, { datasets: [], data: {}, out });
  // Every rank would say it: the batch must split into equal shares (a resumed run's was checked when it started).
  if (job && !o.resume) checkEvenShares(settings.batchSize, { rank: job.rank, world: job.world });
  const backend = await initBackend({
    ...engineRequest(o),
    backend: job
      ? backendForJob(job.world, o.backend, job.launcher)
      : backendForTraining({ ...o, ...settings, fromCheckpoint: o.resume || (o.init !== undefined && !o.init.endsWith('.safetensors')) }),
  });
  const interrupt = interruptSignal(progress.line);
  const dist = job ? joinJob(job, interrupt.signal) : undefined;
  const { parseDataPaths } = await import('../../data/datasets/registry');
  // A resumed run reads its datasets and settings from its checkpoint; nothing is resolved again. In a job, rank 0
  // resolves first (it may generate the demo suite), then the others read what it made.
  const resolve = async () => o.resume
    ? { datasets: [], data: {}, demo: undefined }
    : await resolveRunDatasets(datasetNames, parseDataPaths(o.data), { demoDir: o.demoDir, demoSize: o.demo, log: progress.line });
  const resolved = dist ? await dist.writerFirst(resolve) : await resolve();
  const cfg = { ...settings, datasets: resolved.datasets, data: resolved.data };
  if (!o.resume) progress.line(
    `cover ${kind}: ${cfg.datasets.map((d) => d.name).join(' + ')}${resolved.demo ? ` (demo suite ${resolved.demo})` : ''} | preset ${cfg.preset} | backend ${backend.name}${backend.device ? ` (${backend.device}, ${backend.precision})` : ''}` +
      `${backend.threads > 1 ? ` x${backend.threads} threads` : ''} | ${cfg.epochs ? `${cfg.epochs} epochs` : `${cfg.steps} steps`} of ${cfg.batchSize} clips | ` +
      `${cfg.optimizer} lr ${cfg.lr} ${cfg.schedule} | out ${out}`,
  );
  progress.line(`accelerator: ${backend.accel.active ? backend.accel.reason : `not in use (${backend.accel.reason})`}`);
  if (dist) progress.line(`data parallel: ${dist.pg.world} ranks (${job!.launcher}, ${dist.pg.backend} at ${job!.addr}:${job!.port}); batch ${cfg.batchSize} = ${dist.pg.world} x ${cfg.batchSize / dist.pg.world} clips`);
  let result: TrainResult;
  try {
    const hooks = { resume: o.resume, overwrite: o.overwrite, extendSteps: o.steps, given, log: progress.line, progress: progress.step };
    if (dist) {
      result = await dist.guard(() => runTraining(cfg, { ...hooks, dist, signal: dist.signal }));
      dist.finish();
    } else {
      result = await runTraining(cfg, { ...hooks, signal: interrupt.signal });
    }
  } finally {
    interrupt.dispose();
    progress.done();
  }
  if (result.interrupted) process.exitCode = interrupt.exitCode ?? 130;
  if (quiet) return result;
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  if (result.interrupted) {
    process.stdout.write(`stopped at step ${result.steps} of ${result.config.steps}; checkpoint ${result.checkpoint}. Continue with: cover ${kind} --resume --out ${out}\n`);
    return result;
  }
  const model = getPreset(result.config.preset);
  process.stdout.write(`\nfinished ${result.steps} steps in ${duration(result.seconds)}; last loss ${result.lastLoss.toFixed(3)}\n`);
  if (result.evals.length > 0) {
    const facts = runEvalFacts(
      { evals: result.evals, views: result.config.evalViews, frames: model.numFrames, resolution: model.imgSize, datasets: result.config.datasets },
      { demo: !!resolved.demo },
    );
    process.stdout.write(`${renderEvals(result.evals, facts, 'Validation')}\n`);
  }
  for (const d of result.dropped.filter((r) => r.split === 'train' && r.dropped > 0)) {
    process.stdout.write(`training data: ${d.dataset}: ${describeDrops(d)}; trained on the ${d.kept} others\n`);
  }
  if (result.badSamples.length > 0) process.stdout.write(`skipped ${result.badSamples.length} unreadable samples: ${result.badSamples.slice(0, 5).map((b) => printable(b.path)).join(', ')}\n`);
  process.stdout.write(`checkpoint: ${result.checkpoint}\nlog: ${path.join(out, 'log.jsonl')}\nreport: ${path.join(out, 'report.html')}\n`);
  return result;
}

/** `--nproc N`: checks the backend first (one line instead of N), then starts the ranks and waits for them. */
async function startRanks(kind: RunKind, nproc: number, o: TrainCliOptions): Promise<number> {
  const inJob = readLaunchEnv();
  if (inJob) {
    throw new UsageError(`--nproc ${nproc}: this process is already rank ${inJob.rank} of ${inJob.world}, started by ${inJob.launcher}`, {
      suggestion: 'let either the launcher or --nproc start the ranks, not both',
    });
  }
  backendForJob(nproc, o.backend, `--nproc ${nproc}`);
  if (!o.resume) checkEvenShares(runConfigFrom(kind, o, { datasets: [], data: {}, out: '' }).batchSize, { rank: 0, world: nproc });
  return launchRanks({ nproc, args: [process.argv[1], ...withoutNproc(process.argv.slice(2))] });
}

function silentProgress(): Progress {
  return { line: () => {}, step: () => {}, done: () => {} };
}
