// `cover transfer A B`: train on A (or --from a checkpoint), fine-tune on B, evaluate on B, beside B → B and, with
// --cotrained, a co-trained checkpoint fine-tuned the same way (the CoVeR paper's transfer comparison).

import * as path from 'path';
import { Command } from 'commander';
import { initBackend } from '../../engine/backend';
import { parseDataPaths } from '../../data/datasets/registry';
import { runTransfer, transferStages } from '../../train/transfer';
import { checkRunDir } from '../../run/run_dir';
import { resolveRunDatasets } from '../../run/run_datasets';
import { UsageError } from '../../errors';
import { createProgress, interruptSignal } from '../progress';
import { pct, table, duration } from '../render';
import { intArg, nameArg, namesArg } from '../parse';
import { RUN_LIMITS } from '../../run/run_config';
import { currentJob } from '../../dist/job';
import { addTrainOptions, runConfigFrom, TrainCliOptions } from '../train_options';
import { isDemoSpec, transferFacts } from '../../eval/facts';

/** Steps of the fine-tuning stages when neither --steps nor --epochs is given. */
const DEFAULT_FINETUNE_STEPS = 150;
import { engineRequest } from '../options';

export function transferCommand(): Command {
  const cmd = new Command('transfer')
    .description('train on A (or start --from a checkpoint), fine-tune on B, evaluate on B; compare with B → B and a co-trained model')
    .argument('<A>', 'source dataset(s), comma-separated (ignored with --from)', namesArg('<A>'))
    .argument('<B>', 'target dataset', nameArg('<B>'))
    .option('--from <ckpt>', 'start from this checkpoint instead of training on A')
    .option('--cotrained <ckpt>', 'also fine-tune this co-trained checkpoint on B the same way')
    .option('--source-steps <n>', 'steps of training on A (and of the B → B baseline before its fine-tuning)', intArg('--source-steps', { min: 1, max: RUN_LIMITS.maxSteps }), 300);
  addTrainOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  cover transfer ssv2 k400                                     # demo suite: SSv2 → K400 vs K400 → K400
  cover transfer k400 ssv2 --cotrained runs/cotrain/checkpoint # and the co-trained model fine-tuned on SSv2
  cover transfer mit k400 --data mit=/data/mit --data k400=/data/k400 --preset base --source-steps 50000 --steps 20000`,
  );
  return cmd.action(async (a: string, b: string, o: TrainCliOptions & { from?: string; cotrained?: string; sourceSteps: number }) => {
    if (o.resume) throw new UsageError('--resume is not supported by transfer', { suggestion: 'resume the stage that stopped with cover cotrain --resume --out <its folder>' });
    const job = currentJob();
    if (job) throw new UsageError(`cover transfer runs as one process, but this is rank ${job.rank} of ${job.world} (${job.launcher})`, { suggestion: 'run its stages as `cover cotrain ... --init` under the launcher, or start transfer without it' });
    const progress = createProgress({ json: o.json });
    const sourceNames = o.from ? [] : a.split(',').map((s) => s.trim()).filter(Boolean);
    const out = o.out ?? path.join('runs', `transfer_${o.from ? 'from' : sourceNames.join('+')}_to_${b}`);
    // Before any work: the transfer's --out is one run, its stages included.
    const stages = transferStages({ source: sourceNames, target: b, from: o.from, cotrained: !!o.cotrained });
    checkRunDir(out, { overwrite: o.overwrite, stages, resumable: false, inputs: [o.from, o.cotrained, o.init] });
    await initBackend(engineRequest(o));
    const resolved = await resolveRunDatasets([...new Set([...sourceNames, b])], parseDataPaths(o.data), { demoDir: o.demoDir, demoSize: o.demo, log: progress.line });
    const byName = new Map(resolved.datasets.map((d) => [d.name, d]));
    // The stages are sized in steps (--steps, --source-steps), unless --epochs is given.
    const base = runConfigFrom('finetune', o, { datasets: [byName.get(b)!], data: resolved.data, out }, o.epochs === undefined ? { steps: DEFAULT_FINETUNE_STEPS } : {});
    const interrupt = interruptSignal(progress.line);
    let result;
    try {
      result = await runTransfer(
        { source: sourceNames.map((n) => byName.get(n)!), target: byName.get(b)!, from: o.from, cotrained: o.cotrained, sourceSteps: o.sourceSteps, steps: base.steps },
        base,
        { log: progress.line, progress: progress.step, signal: interrupt.signal, overwrite: o.overwrite },
      );
    } finally {
      interrupt.dispose();
      progress.done();
    }
    if (result.interrupted) process.exitCode = interrupt.exitCode ?? 130;
    if (o.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    if (result.interrupted) {
      process.stdout.write(`stopped in ${result.interrupted} after its checkpoint. Continue that stage with: cover cotrain --resume --out ${result.interrupted}; then run the transfer again with --overwrite, or the remaining stages with --init\n`);
      return;
    }
    const facts = transferFacts(b, result.rows.map((r) => ({ name: r.name, top1: r.eval.top1 })), !!resolved.demo || isDemoSpec(byName.get(b)!.spec));
    const t = table(['start → fine-tuned on ' + b, `${b} top-1 %`, 'top-5 %', 'mean class acc %', `vs ${facts.baseline}`], { colAligns: ['left', 'right', 'right', 'right', 'right'] });
    result.rows.forEach((r, i) => {
      const d = facts.rows[i].deltaVsBaseline;
      t.push([r.name, pct(r.eval.top1), pct(r.eval.top5), pct(r.eval.meanClassAccuracy), d === null ? '-' : `${d >= 0 ? '+' : ''}${d.toFixed(1)}`]);
    });
    process.stdout.write(`\nTransfer to ${b} (${duration(result.seconds)}; ${facts.note})\n${t.toString()}\nruns: ${out}\n`);
  });
}
