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
import { createProgress, interruptSignal } from '../progress';
import { duration } from '../render';
import { runConfigFrom, TrainCliOptions } from '../train_options';
import { engineRequest } from '../options';
import { getPreset } from '../../config/presets';

export async function trainAction(kind: RunKind, datasetNames: string[], o: TrainCliOptions): Promise<TrainResult> {
  const progress = createProgress({ json: o.json });
  const out = o.out ?? path.join('runs', kind);
  checkRunDir(out, { resume: o.resume, overwrite: o.overwrite, inputs: [o.init] }); // before any work; the trainer claims it before its first write
  const settings = runConfigFrom(kind, o, { datasets: [], data: {}, out });
  const backend = await initBackend({
    ...engineRequest(o),
    backend: backendForTraining({ ...o, ...settings, fromCheckpoint: o.resume || (o.init !== undefined && !o.init.endsWith('.safetensors')) }),
  });
  const { parseDataPaths } = await import('../../data/datasets/registry');
  // A resumed run reads its datasets and settings from its checkpoint; nothing is resolved again.
  const resolved = o.resume
    ? { datasets: [], data: {}, demo: undefined }
    : await resolveRunDatasets(datasetNames, parseDataPaths(o.data), { demoDir: o.demoDir, demoSize: o.demo, log: progress.line });
  const cfg = { ...settings, datasets: resolved.datasets, data: resolved.data };
  if (!o.resume) progress.line(
    `cover ${kind}: ${cfg.datasets.map((d) => d.name).join(' + ')}${resolved.demo ? ` (demo suite ${resolved.demo})` : ''} | preset ${cfg.preset} | backend ${backend.name}${backend.device ? ` (${backend.device}, ${backend.precision})` : ''}` +
      `${backend.threads > 1 ? ` x${backend.threads} threads` : ''} | ${cfg.epochs ? `${cfg.epochs} epochs` : `${cfg.steps} steps`} of ${cfg.batchSize} clips | ` +
      `${cfg.optimizer} lr ${cfg.lr} ${cfg.schedule} | out ${out}`,
  );
  progress.line(`accelerator: ${backend.accel.active ? backend.accel.reason : `not in use (${backend.accel.reason})`}`);
  const interrupt = interruptSignal(progress.line);
  let result: TrainResult;
  try {
    result = await runTraining(cfg, { resume: o.resume, overwrite: o.overwrite, extendSteps: o.steps, log: progress.line, progress: progress.step, signal: interrupt.signal });
  } finally {
    interrupt.dispose();
    progress.done();
  }
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
  if (result.badSamples.length > 0) process.stdout.write(`skipped ${result.badSamples.length} unreadable samples: ${result.badSamples.slice(0, 5).map((b) => b.path).join(', ')}\n`);
  process.stdout.write(`checkpoint: ${result.checkpoint}\nlog: ${path.join(out, 'log.jsonl')}\nreport: ${path.join(out, 'report.html')}\n`);
  return result;
}
