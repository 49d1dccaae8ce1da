// `cover transfer A B`: train on A (or --from a checkpoint), fine-tune on B, evaluate on B, beside B → B and, with
// --cotrained, a co-trained checkpoint fine-tuned the same way (the CoVeR paper's transfer comparison). The options
// become one request for the library's transfer() (src/train/transfer.ts); its rows are rendered here.

import { Command } from 'commander';
import { parseDataPaths } from '../../data/datasets/registry';
import { DEFAULT_SOURCE_STEPS, transfer } from '../../session/transfer';
import { UsageError } from '../../errors';
import { createProgress, interruptSignal } from '../progress';
import { pct, table, duration } from '../render';
import { intArg, nameArg, namesArg } from '../parse';
import { RUN_LIMITS } from '../../run/run_config';
import { addTrainOptions, settingsFrom, TrainCliOptions } from '../train_options';
import { transferFacts } from '../../eval/facts';
import { engineRequest } from '../options';
import { printRunFile } from '../run_file_option';

export function transferCommand(): Command {
  const cmd = new Command('transfer')
    .description('train on A (or start --from a checkpoint), fine-tune on B, evaluate on B; compare with B → B and a co-trained model')
    .argument('<A>', 'source dataset(s), comma-separated (ignored with --from)', namesArg('<A>'))
    .argument('<B>', 'target dataset', nameArg('<B>'))
    .option('--from <ckpt>', 'start from this checkpoint instead of training on A')
    .option('--cotrained <ckpt>', 'also fine-tune this co-trained checkpoint on B the same way')
    .option('--source-steps <n>', `steps of training on A (and of the B → B baseline before its fine-tuning; default ${DEFAULT_SOURCE_STEPS})`, intArg('--source-steps', { min: 1, max: RUN_LIMITS.maxSteps }));
  addTrainOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  cover transfer ssv2 k400                                     # demo suite: SSv2 → K400 vs K400 → K400
  cover transfer k400 ssv2 --cotrained runs/cotrain/checkpoint # and the co-trained model fine-tuned on SSv2
  cover transfer mit k400 --data mit=/data/mit --data k400=/data/k400 --preset base --source-steps 50000 --steps 20000`,
  );
  return cmd.action(async (a: string, b: string, o: TrainCliOptions & { from?: string; cotrained?: string; sourceSteps?: number }) => {
    if (o.resume) throw new UsageError('--resume is not supported by transfer', { suggestion: 'resume the stage that stopped with cover cotrain --resume --out <its folder>' });
    if (printRunFile(cmd, 'finetune', settingsFrom(o), [b])) return;
    const progress = createProgress(o);
    const interrupt = interruptSignal(progress.line);
    let result;
    try {
      result = await transfer(
        {
          source: a.split(',').map((s) => s.trim()).filter(Boolean),
          target: b,
          from: o.from,
          cotrained: o.cotrained,
          sourceSteps: o.sourceSteps,
          data: parseDataPaths(o.data),
          demo: { size: o.demo, dir: o.demoDir },
          recipe: o.recipe,
          settings: settingsFrom(o),
          out: o.out,
          overwrite: o.overwrite,
          engine: engineRequest(o),
        },
        { log: progress.line, progress: progress.step, signal: interrupt.signal },
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
    const facts = transferFacts(b, result.rows.map((r) => ({ name: r.name, top1: r.eval.top1 })), result.demo);
    const t = table(['start → fine-tuned on ' + b, `${b} top-1 %`, 'top-5 %', 'mean class acc %', `vs ${facts.baseline}`], { colAligns: ['left', 'right', 'right', 'right', 'right'] });
    result.rows.forEach((r, i) => {
      const d = facts.rows[i].deltaVsBaseline;
      t.push([r.name, pct(r.eval.top1), pct(r.eval.top5), pct(r.eval.meanClassAccuracy), d === null ? '-' : `${d >= 0 ? '+' : ''}${d.toFixed(1)}`]);
    });
    process.stdout.write(`\nTransfer to ${b} (${duration(result.seconds)}; ${facts.note})\n${t.toString()}\nruns: ${result.out}\n`);
  });
}
