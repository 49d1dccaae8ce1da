// `cover demo-data`: writes the demo suite (k400, ssv2, mit, imnet in their real layouts) from a seed and prints what it
// wrote. The same seed, size and objects always give the same bytes (see SHA256SUMS in the suite). Each size has its own
// folder (`.cover/demo/<size>`); a folder that already holds that very suite is left as it is, and one that holds
// another suite (a run may have been trained on it) is replaced only with --overwrite.

import { Command, Option } from 'commander';
import Table from 'cli-table3';
import * as path from 'path';
import { DEMO_SIZES, DemoSize } from '../../demo/plan';
import { DEMO_DATASETS, DemoDatasetName, DemoSuiteReport, generateDemoSuite } from '../../demo/suite';
import { jsonOption, quietOption, verboseOption } from '../options';
import { intArg, listOfArg } from '../parse';
import { progressFor } from '../progress_line';

interface DemoCliOptions {
  out?: string;
  size: DemoSize;
  seed: number;
  sprites?: string;
  only?: DemoDatasetName[];
  json?: boolean;
  overwrite?: boolean;
}

export function demoDataCommand(): Command {
  return new Command('demo-data')
    .description('generate the demo datasets (Kinetics, SSv2, Moments-in-Time and ImageNet layouts) as real files')
    .option('--out <dir>', 'suite folder (default .cover/demo/<size>)')
    .addOption(new Option('--size <size>', 'tiny: seconds, for tests; small: the README demo').choices(DEMO_SIZES as unknown as string[]).default('small'))
    .addOption(new Option('--seed <n>', 'random seed: same seed, same files').argParser(intArg('--seed', { min: 0, max: 0xffffffff })).default(0))
    .addOption(new Option('--sprites <dir>', "folder with (fashion-)MNIST IDX files to use as objects, or 'shapes' (default: Debian's fashion-mnist if installed, else shapes)"))
    .addOption(new Option('--only <names>', `comma-separated subset of ${DEMO_DATASETS.join(',')}`).argParser(listOfArg('--only', DEMO_DATASETS)))
    .option('--overwrite', 'replace a different demo suite already in --out (a run trained on it will no longer evaluate)')
    .addOption(jsonOption())
      .addOption(quietOption())
      .addOption(verboseOption())
    .action(async (opts: DemoCliOptions) => {
      const progress = progressFor(opts, 'clips and images encoded');
      const report = await generateDemoSuite({
        out: opts.out,
        size: opts.size,
        seed: opts.seed,
        sprites: opts.sprites,
        only: opts.only,
        overwrite: opts.overwrite,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.end();
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderDemo(report));
    });
}

export function renderDemo(r: DemoSuiteReport): string {
  const table = new Table({ head: ['dataset', 'layout', 'kind', 'classes', 'train', 'val', 'folder'], style: { head: [], border: [], compact: true } });
  for (const d of r.datasets) table.push([d.name, d.format, d.kind, d.classes.length, d.train, d.val, d.root]);
  const first = r.datasets[0];
  const rel = first ? path.relative(process.cwd(), first.root) || '.' : '';
  return [
    r.reused
      ? `the ${r.size} demo suite (seed ${r.seed}) is already in ${r.root}: nothing written (--overwrite writes it again)`
      : `wrote the ${r.size} demo suite (seed ${r.seed}) to ${r.root} in ${r.seconds.toFixed(1)} s`,
    `objects: ${r.spriteSource}`,
    table.toString(),
    `${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB; checksums in ${r.sumsFile} (sha256sum -c)`,
    ...(first ? [`check one: cover data check ${first.name} --data ${first.name}=${rel}`] : []),
  ].join('\n') + '\n';
}
