// The action shared by `cover pretrain` and `cover cotrain`: the options become one training request for the library's
// train() (src/train/session.ts), whose header, progress and results are rendered here; --nproc starts the ranks.

import * as path from 'path';
import { describeDrops } from '../../data/datasets/drops';
import { parseDataPaths } from '../../data/datasets/registry';
import { RunKind } from '../../run/run_config';
import { TrainResult } from '../../train/trainer';
import { RunHeader, startRanks, train, TrainOutcome, TrainRequest } from '../../session/train';
import { runEvalFacts } from '../../eval/facts';
import { renderEvals } from '../eval_render';
import { createProgress, interruptSignal } from '../progress';
import { currentJob } from '../../dist/job';
import { withoutNproc } from '../../dist/launcher';
import { printable } from '../../errors';
import { duration } from '../render';
import { settingsFrom, TrainCliOptions } from '../train_options';
import { engineRequest } from '../options';
import { printRunFile } from '../run_file_option';
import { Command } from 'commander';
import { getPreset } from '../../config/presets';

export async function trainAction(kind: RunKind, datasetNames: string[], o: TrainCliOptions, cmd: Command): Promise<TrainResult | null> {
  if (printRunFile(cmd, kind, settingsFrom(o), datasetNames)) return null;
  const request: TrainRequest = {
    kind: kind as TrainRequest['kind'],
    datasets: datasetNames,
    data: parseDataPaths(o.data),
    demo: { size: o.demo, dir: o.demoDir },
    recipe: o.recipe,
    settings: settingsFrom(o),
    out: o.out,
    resume: o.resume,
    overwrite: o.overwrite,
    engine: engineRequest(o),
  };
  if (o.nproc !== undefined && o.nproc > 1) {
    process.exitCode = await startRanks(request, o.nproc, [process.argv[1], ...withoutNproc(process.argv.slice(2))]);
    return null;
  }
  // A rank of a data-parallel job (torchrun, srun, --nproc): rank 0 talks, the others train quietly.
  const job = currentJob();
  const progress = createProgress({ ...o, quiet: o.quiet || (job !== null && job.rank > 0) });
  const interrupt = interruptSignal(progress.line);
  let outcome: TrainOutcome;
  try {
    outcome = await train(request, { log: progress.line, progress: progress.step, signal: interrupt.signal, header: (h) => renderHeader(h).forEach((l) => progress.line(l)) });
  } finally {
    interrupt.dispose();
    progress.done();
  }
  const { result, header } = outcome;
  if (result.interrupted) process.exitCode = interrupt.exitCode ?? 130;
  if (!outcome.writer) return result;
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  if (result.interrupted) {
    process.stdout.write(`stopped at step ${result.steps} of ${result.config.steps}; checkpoint ${result.checkpoint}. Continue with: cover ${kind} --resume --out ${header.out}\n`);
    return result;
  }
  const model = getPreset(result.config.preset);
  process.stdout.write(`\nfinished ${result.steps} steps in ${duration(result.seconds)}; last loss ${result.lastLoss.toFixed(3)}\n`);
  if (result.evals.length > 0) {
    const facts = runEvalFacts(
      { evals: result.evals, views: result.config.views, frames: model.numFrames, resolution: model.imgSize, datasets: result.config.datasets },
      { demo: !!header.demo },
    );
    process.stdout.write(`${renderEvals(result.evals, facts, 'Validation')}\n`);
  }
  for (const d of result.dropped.filter((r) => r.split === 'train' && r.dropped > 0)) {
    process.stdout.write(`training data: ${d.dataset}: ${describeDrops(d)}; trained on the ${d.kept} others\n`);
  }
  if (result.badSamples.length > 0) process.stdout.write(`skipped ${result.badSamples.length} unreadable samples: ${result.badSamples.slice(0, 5).map((b) => printable(b.path)).join(', ')}\n`);
  process.stdout.write(`checkpoint: ${result.checkpoint}\nlog: ${path.join(header.out, 'log.jsonl')}\nreport: ${path.join(header.out, 'report.html')}\n`);
  return result;
}

/** The run's first lines: what it trains and how (a resumed run says this when it resumes), the accelerator, the job. */
function renderHeader(h: RunHeader): string[] {
  const lines: string[] = [];
  const b = h.backend;
  if (!h.resumed) {
    lines.push(
      `cover ${h.kind}: ${h.datasets.join(' + ')}${h.demo ? ` (demo suite ${h.demo})` : ''} | preset ${h.preset} | backend ${b.name}${b.device ? ` (${b.device}, ${b.precision})` : ''}` +
        `${b.threads > 1 ? ` x${b.threads} threads` : ''} | ${h.epochs ? `${h.epochs} epochs` : `${h.steps} steps`} of ${h.batchSize} clips | ` +
        `${h.optimizer} lr ${h.lr} ${h.schedule} | out ${h.out}`,
    );
  }
  lines.push(`accelerator: ${h.accel.active ? h.accel.reason : `not in use (${h.accel.reason})`}`);
  if (h.dist) lines.push(`data parallel: ${h.dist.world} ranks (${h.dist.launcher}, ${h.dist.backend} at ${h.dist.addr}:${h.dist.port}); batch ${h.batchSize} = ${h.dist.world} x ${h.batchSize / h.dist.world} clips`);
  return lines;
}

