// `cover report RUN`: writes RUN/report.html (or --out FILE), a self-contained page with the loss and accuracy curves of
// each head, the learning rate, and the confusion matrices of the final evaluation.

import { Command } from 'commander';
import { writeRunReport } from '../../report/run_report';

export function reportCommand(): Command {
  return new Command('report')
    .description('write a self-contained HTML report (curves per head, confusion matrices) of a training run')
    .argument('<run>', 'a run folder (the --out of pretrain / cotrain / a transfer stage)')
    .option('--out <file>', 'where to write it (default RUN/report.html)')
    .action((run: string, o: { out?: string }) => {
      const r = writeRunReport(run, o.out);
      process.stdout.write(`report of ${r.steps} steps, heads ${r.heads.join(', ')}: ${r.file}\n`);
    });
}
