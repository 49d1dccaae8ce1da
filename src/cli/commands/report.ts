// `cover report RUN`: writes RUN/report.html (or --out FILE), a self-contained page with the loss and accuracy curves of
// each head, the learning rate, and the confusion matrices of the final evaluation. `cover report STUDY`: writes a
// study's study.json, study.md and study.html again from its folder (or --out FILE only), with this cover's statistics.

import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { writeRunReport } from '../../report/run_report';
import { STUDY_FILE } from '../../study/study_dir';
import { writeStudyReport } from '../../study/study_report';

export function reportCommand(): Command {
  return new Command('report')
    .description("write a self-contained HTML report (curves per head, confusion matrices) of a training run, or a study's report again from its folder")
    .argument('<run>', 'a run folder (the --out of pretrain / cotrain / a transfer stage), or a study folder (the --out of study)')
    .option('--out <file>', "where to write it (default RUN/report.html; a study: its own study.json, study.md and study.html, or only FILE: markdown, HTML if it ends .html)")
    .action((run: string, o: { out?: string }) => {
      if (fs.existsSync(path.join(run, STUDY_FILE))) {
        const s = writeStudyReport(run, o.out);
        process.stdout.write(`report of the study (${s.done} of ${s.arms} arms finished): ${s.files.join(', ')}\n`);
        return;
      }
      const r = writeRunReport(run, o.out);
      process.stdout.write(`report of ${r.steps} steps, heads ${r.heads.join(', ')}: ${r.file}\n`);
    });
}
