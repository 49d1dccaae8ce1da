// `cover eval --checkpoint DIR [--datasets k400,ssv2] [--views 1x3]`: every head's top-1, top-5, mean class accuracy and
// confusion matrix (CSV) on its dataset's val split; for K400, SSv2 and MiT the published table (each row with its
// source) with a row for this checkpoint and both protocols stated; for anything else, a sentence saying the numbers are
// not comparable.

import { Command, Option } from 'commander';
import { DEMO_SIZES, DemoSize } from '../../demo/plan';
import { parseDataPaths } from '../../data/datasets/registry';
import { initBackend } from '../../engine/backend';
import { CheckpointEval, evaluateCheckpoint } from '../../eval/eval_checkpoint';
import { renderEvals } from '../eval_render';
import { describeRecipe } from '../../train/recipes';
import { addEngineOptions, allowNonFiniteOption, engineRequest, memoryCacheOption, jsonOption, warnNonFinite, quietOption, verboseOption } from '../options';
import { dataArg, intArg, maxBadArg, namesArg, viewsArg } from '../parse';
import { RUN_DEFAULTS, RUN_LIMITS } from '../../run/run_config';
import type { AccelMode } from '../../engine/accel/accel';
import { progressFor } from '../progress_line';

export const DEFAULT_CHECKPOINT = 'runs/cotrain/checkpoint';

interface EvalCliOptions {
  checkpoint: string;
  datasets?: string;
  data: string[];
  views: string;
  split: 'val' | 'test' | 'train';
  maxSamples?: number;
  csvDir?: string;
  batchSize: number;
  concurrency: number;
  cacheDir?: string;
  memoryCache?: number;
  maxBad: number;
  allowNonfinite?: boolean;
  demo?: DemoSize;
  demoDir?: string;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  threads?: number;
  accel: AccelMode;
  json?: boolean;
}

/** The result as text: the accuracy table, comparisons, and where the confusion matrices went. */
export function renderCheckpointEval(r: CheckpointEval): string {
  const label = `Evaluation of ${r.checkpoint}, ${r.split} split`;
  const real = r.evals.filter((e) => !r.demoHeads.includes(e.head));
  const demo = r.evals.filter((e) => r.demoHeads.includes(e.head));
  const parts: string[] = [];
  if (r.trainedWith) parts.push(`trained with ${describeRecipe(r.trainedWith).join('\n')}`);
  if (real.length > 0) parts.push(renderEvals(real, r, label));
  if (demo.length > 0) parts.push(renderEvals(demo, r, real.length > 0 ? `${label}, demo-suite data` : label));
  const bad = r.evals.filter((e) => e.bad.count > 0);
  for (const e of bad) parts.push(`${e.head}: skipped ${e.bad.count} unreadable samples: ${e.bad.paths.slice(0, 3).join(', ')}`);
  parts.push(`confusion matrices (rows true, columns predicted):\n${r.evals.map((e) => `  ${e.head}: ${r.csv[e.head]}`).join('\n')}`);
  return `${parts.join('\n\n')}\n`;
}

export function evalCommand(): Command {
  const cmd = addEngineOptions(new Command('eval'))
    .description("evaluate a checkpoint's heads: top-1, top-5, mean class accuracy, confusion matrices, published baselines")
    .option('--checkpoint <dir>', 'checkpoint folder (config.json + weights.safetensors)', DEFAULT_CHECKPOINT)
    .option('--datasets <list>', "comma-separated datasets, each a head of the checkpoint (default: all its heads)", namesArg('--datasets'))
    .option('--data <NAME=[FORMAT:]PATH>', "where a dataset is (repeatable); default: the checkpoint's training data, else the demo suite", dataArg('--data'), [])
    .addOption(new Option('--views <TxS>', 'test views: temporal clips x spatial crops (CoVeR: 1x3)').argParser(viewsArg('--views')).default('1x3'))
    .addOption(new Option('--split <split>', 'split to evaluate').choices(['val', 'test', 'train']).default('val'))
    .option('--max-samples <n>', 'evaluate only the first N samples of each dataset', intArg('--max-samples', { min: 1 }))
    .option('--csv-dir <dir>', 'where the confusion CSVs go (default <checkpoint>/eval)')
    .option('--batch-size <n>', 'clips per forward pass (views count as clips)', intArg('--batch-size', { min: 1, max: RUN_LIMITS.maxBatchSize }), 8)
    .option('--concurrency <n>', 'decodes in flight', intArg('--concurrency', { min: 1, max: RUN_LIMITS.maxConcurrency }), 2)
    .option('--cache-dir <dir>', 'cache decoded clips on disk here')
    .addOption(memoryCacheOption())
    .option('--max-bad <n>', "rows the dataset reader dropped plus unreadable samples tolerated per dataset: a count, or a fraction below 1 of the split's rows", maxBadArg('--max-bad'), 0.05)
    .addOption(new Option('--demo <size>', 'evaluate on the demo suite of this size').choices([...DEMO_SIZES]))
    .option('--demo-dir <dir>', 'evaluate on the demo suite in this folder (default .cover/demo/<size>)')
    .addOption(allowNonFiniteOption())
    .addOption(jsonOption())
      .addOption(quietOption())
      .addOption(verboseOption());
  cmd.addHelpText(
    'after',
    `
Examples:
  cover eval                                              # runs/cotrain/checkpoint on the data it was trained on
  cover eval --checkpoint runs/cotrain/checkpoint --datasets k400,ssv2 --data k400=/data/kinetics400 --data ssv2=/data/smth-smth-v2
  cover eval --checkpoint ck --datasets mine --data mine=manifest:/data/mine/val.csv --views 1x1
  cover eval --json > eval.json                           # everything: metrics, per-class accuracy, confusion, baselines

K400, SSv2 and MiT on real data are shown against the tables published with CoVeR (arXiv 2112.07175) and TimeSformer's
own results, each row with its source as a numbered footnote (paper, arXiv id, table, setting, how it was checked; --json
has the full source); where the CoVeR announcement labels a row otherwise than the paper it comes from, the row reads as
the paper has it and its footnote says what the announcement printed. CoVeR's numbers were measured with 1x3 views of
16 frames at 448 px, and a different protocol is said next to the comparison.
Demo-suite data and datasets of other names get a line saying their numbers are not comparable.`,
  );
  return cmd.action(async (o: EvalCliOptions) => {
    // Lines for the user go to stdout, or to stderr with --json so that stdout stays one JSON object.
    const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
    await initBackend(engineRequest(o));
    const progress = progressFor(o, 'samples');
    const result = await evaluateCheckpoint({
      checkpoint: o.checkpoint,
      datasets: o.datasets?.split(',').map((s) => s.trim()).filter(Boolean),
      data: parseDataPaths(o.data),
      views: o.views,
      split: o.split,
      demoDir: o.demoDir,
      demoSize: o.demo,
      maxSamples: o.maxSamples,
      csvDir: o.csvDir,
      batchSize: o.batchSize,
      concurrency: o.concurrency,
      cacheDir: o.cacheDir,
      memoryCacheBytes: (o.memoryCache ?? RUN_DEFAULTS.memoryCache) * 2 ** 20,
      maxBad: o.maxBad,
      allowNonFinite: o.allowNonfinite,
      log: say,
      onProgress: (head, done, total) => progress.update(done, total, head),
    });
    progress.end();
    warnNonFinite(result.nonFiniteWeights);
    process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : renderCheckpointEval(result));
  });
}
