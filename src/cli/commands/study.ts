// `cover study --datasets k400,ssv2,mit --images imnet`: CoVeR's ablation and transfer comparison on any datasets (the
// demo suite by default), seed by seed from one initialisation and one budget; writes study.json, study.md and
// study.html. The run settings are the training commands' own (addTrainOptions, settingsFrom), so every option a
// `cover cotrain` takes (a recipe among them) applies to every arm the same way; the library's study()
// (src/study/session.ts) runs it, and its tables are rendered here.

import { Command, Option } from 'commander';
import { parseDataPaths } from '../../data/datasets/registry';
import { UsageError } from '../../errors';
import { BUDGETS, Budget } from '../../study/budget';
import { renderStudyMarkdown } from '../../study/render_md';
import { QUICK, quickSettings } from '../../study/request';
import { study, StudyHeader } from '../../session/study';
import { engineRequest } from '../options';
import { printRunFile } from '../run_file_option';
import { intArg, namesArg } from '../parse';
import { createProgress, interruptSignal } from '../progress';
import { duration } from '../render';
import { addTrainOptions, settingsFrom, TrainCliOptions } from '../train_options';

interface StudyCliOptions extends TrainCliOptions {
  datasets: string;
  images: string;
  transferTo?: string;
  seeds: number;
  budget: Budget;
  finetuneSteps?: number;
  pretrainSteps?: number;
  fromScratch?: boolean;
  quick?: boolean;
}

export function studyCommand(): Command {
  const cmd = new Command('study')
    .description("CoVeR's ablation as a command: each video dataset alone, the videos together, videos and images together (CoVeR), and transfer, over seeds")
    .option('--datasets <list>', 'video datasets, comma-separated (the demo suite has k400, ssv2, mit)', namesArg('--datasets'), 'k400,ssv2,mit')
    .option('--images <list>', 'image datasets co-trained with the videos in CoVeR arm (c)', namesArg('--images'), 'imnet')
    .option('--transfer-to <list>', "targets B of the transfer arms (A → B and CoVeR → B), among --datasets, or 'none' (default: ssv2 and k400 where named)", (v) => (v.trim() === 'none' ? 'none' : namesArg('--transfer-to')(v)))
    .option('--seeds <n>', 'seeds (--seed, --seed + 1, ...): each arm runs once per seed', intArg('--seeds', { min: 1, max: 100 }), 3)
    .addOption(new Option('--budget <kind>', 'steps: every arm the same optimizer steps; clips: co-trained arms take the steps that give each dataset as many of its own clips as its single arm').choices([...BUDGETS]).default('steps'))
    .option('--finetune-steps <n>', 'fine-tuning steps of each transfer arm (default half of --steps)', intArg('--finetune-steps', { min: 1 }))
    .option('--pretrain-steps <n>', "steps of each seed's image pretraining stage (default --steps: cover's choice, the budget of a single arm)", intArg('--pretrain-steps', { min: 1 }))
    .option('--from-scratch', 'start every arm from random weights, with no image pretraining (the protocol of cover before issue 20)')
    .option('--quick', `smoke test: 1 seed, ${QUICK.steps} steps, the tiny preset on the tiny demo suite, out ${QUICK.out}`);
  addTrainOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Where the arms start: CoVeR's claims compare models that all start from image pretraining, so by default each seed
first runs \`cover pretrain\` on the images (seedN/pretrain, --pretrain-steps) and every arm of that seed starts from
its checkpoint; --init CKPT starts every arm of every seed from those weights instead; --from-scratch from random ones.

Each arm is a run folder of its own under --out (default runs/study), with its final evaluation's verdict on every val
clip in predictions.csv (the paired tests compare arms clip by clip); running the same command again continues the
study: finished arms are reused and a stopped one resumes. \`cover report STUDY\` writes the report again from the folder
alone, without training. A folder holding another study is replaced only with --overwrite.

Examples:
  cover study --quick                                           # tiny smoke version (seconds)
  cover study                                                   # the small demo suite, 3 seeds
  cover study --budget clips --seeds 5 --out runs/study-clips
  cover study --from-scratch --out runs/study-scratch            # no image pretraining
  cover study --init runs/pretrain/checkpoint --out runs/study-init
  cover study --datasets k400,ssv2 --images imnet --data k400=/data/k400 --data ssv2=/data/ssv2 --data imnet=/data/imagenet --preset base --steps 20000`,
  );
  return cmd.action(async (o: StudyCliOptions) => {
    const given = (name: string) => cmd.getOptionValueSource(name) !== 'default' && cmd.getOptionValueSource(name) !== undefined;
    if (o.resume) throw new UsageError('--resume is not needed by study', { suggestion: 'run the same command again: finished arms are reused and a stopped one resumes' });
    if (o.epochs !== undefined) throw new UsageError('--epochs is not used by study: its budget is in steps', { suggestion: 'give --steps N (and --budget clips for equal clips of each dataset)' });
    if (o.fixedCounts) throw new UsageError('--fixed-counts is not used by study: its arms train different datasets', { suggestion: 'leave it out; co-trained arms mix batches by dataset size (--temperature)' });
    if (o.quick) Object.assign(o, quickSettings(given));
    if (!given('evalEvery')) o.evalEvery = 0; // the study reads the final evaluations only
    if (printRunFile(cmd, 'cotrain', settingsFrom(o), [...o.datasets.split(','), ...o.images.split(',')])) return;
    const progress = createProgress(o);
    const interrupt = interruptSignal(progress.line);
    let result;
    try {
      result = await study(
        {
          videos: o.datasets.split(','),
          images: o.images.split(','),
          transferTo: o.transferTo === 'none' ? [] : o.transferTo?.split(','),
          seeds: o.seeds,
          finetuneSteps: o.finetuneSteps,
          pretrainSteps: o.pretrainSteps,
          fromScratch: o.fromScratch,
          budget: o.budget,
          data: parseDataPaths(o.data),
          demo: { size: o.demo, dir: o.demoDir },
          recipe: o.recipe,
          settings: settingsFrom(o),
          out: o.out ?? (o.quick ? QUICK.out : undefined),
          overwrite: o.overwrite,
          engine: engineRequest(o),
        },
        { log: progress.line, progress: progress.step, signal: interrupt.signal, header: (h) => renderHeader(h).forEach((l) => progress.line(l)) },
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
      process.stdout.write(`stopped; finished arms are kept. Continue with the same command.\nstudy so far: ${result.files.md}\n`);
      return;
    }
    process.stdout.write(`\n${renderStudyMarkdown(result, { only: ['Top-1', 'Paired', 'Transfer', "CoVeR's claims"] })}\n`);
    process.stdout.write(`finished in ${duration(result.seconds)}\nstudy: ${result.files.md}, ${result.files.html}, ${result.files.json}\n`);
  });
}

function renderHeader(h: StudyHeader): string[] {
  const { spec } = h;
  return [
    `cover study: ${spec.videos.join(', ')} + images ${spec.images.join(', ')} | ${spec.seeds.length} seed${spec.seeds.length > 1 ? 's' : ''} | budget ${spec.budget}, ${spec.steps} steps a single arm` +
      `${spec.transferTo.length ? ` | transfer to ${spec.transferTo.join(', ')} (${spec.finetuneSteps} steps)` : ''} | preset ${h.preset} | backend ${h.backend} | out ${h.out}`,
    `start: ${h.start}`,
    `accelerator: ${h.accel.active ? h.accel.reason : `not in use (${h.accel.reason})`}`,
  ];
}
