// `cover data check <name-or-path>`: reads a dataset's index (any supported layout), opens every entry the way training
// will, and prints counts per class and the first problems (or --json). Exit code 0 when clean, 1 when any entry had
// a problem, so scripts can gate on it.

import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { CheckReport, checkDataset } from '../../data/check';
import { SPLITS, Split } from '../../data/datasets/common';
import { DATASET_FORMATS, SHORT_NAMES, openDataset, parseDataPaths } from '../../data/datasets/registry';
import { DatasetFormat } from '../../data/types';
import { jsonOption } from '../options';
import { dataArg, intArg } from '../parse';
import { RUN_LIMITS } from '../../run/run_config';

interface CheckCliOptions {
  format?: DatasetFormat;
  split: Split;
  data: string[];
  json?: boolean;
  maxProblems: number;
  concurrency: number;
}

/** Classes listed one per row up to this many; beyond it only classes with problems are listed. */
const MAX_CLASS_ROWS = 40;

export function dataCommand(): Command {
  const data = new Command('data').description('inspect datasets in their published layouts (Kinetics, SSv2, MiT, ImageNet, manifests)');
  data.addCommand(
    new Command('check')
      .description('check every entry of a dataset split: the file exists, is not empty, decodes, and its label is a known class')
      .argument('<name-or-path>', `${Object.keys(SHORT_NAMES).join('|')} (folder from --data NAME=PATH), FORMAT:PATH, or a dataset folder / manifest file`)
      .addOption(new Option('--format <format>', 'dataset layout, instead of detecting it').choices(DATASET_FORMATS as unknown as string[]))
      .addOption(new Option('--split <split>', 'split to check').choices(SPLITS as unknown as string[]).default('train'))
      .addOption(new Option('--data <name=path>', 'folder of a named dataset (repeatable): --data k400=/data/kinetics400').argParser(dataArg('--data')).default([]))
      .addOption(new Option('--max-problems <n>', 'problems to list (all are counted)').argParser(intArg('--max-problems', { min: 1 })).default(20))
      .addOption(new Option('--concurrency <n>', 'files decoded at once').argParser(intArg('--concurrency', { min: 1, max: RUN_LIMITS.maxConcurrency })).default(2))
      .addOption(jsonOption())
      .exitOverride() // index.ts overrides only top-level commands; usage errors here must not process.exit either
      .action(async (spec: string, opts: CheckCliOptions) => {
        const index = await openDataset(spec, { split: opts.split, data: parseDataPaths(opts.data), format: opts.format });
        const progress = !opts.json && process.stderr.isTTY;
        const report = await checkDataset(index, {
          concurrency: opts.concurrency,
          maxProblems: opts.maxProblems,
          onProgress: progress ? (done, total) => process.stderr.write(`\rchecking ${done}/${total}`) : undefined,
        });
        if (progress) process.stderr.write('\r\x1b[K');
        process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderCheck(report));
        if (!report.clean) process.exitCode = 1;
      }),
  );
  return data;
}

/** The report as text: a per-class table, totals, problems by kind, and the first problems. */
export function renderCheck(r: CheckReport): string {
  const lines: string[] = [];
  lines.push(`${r.name} (${r.format}, ${r.split} split): ${r.root}`);
  const table = new Table({ head: ['class', 'name', 'entries', 'ok', 'bad'], colAligns: ['right', 'left', 'right', 'right', 'right'], style: { head: [], border: [], compact: true } });
  const rows = r.perClass.length <= MAX_CLASS_ROWS ? r.perClass : r.perClass.filter((c) => c.ok < c.samples);
  for (const c of rows) table.push([c.label, c.name, c.samples, c.ok, c.samples - c.ok]);
  if (rows.length < r.perClass.length) table.push(['', `(${r.perClass.length - rows.length} more classes, all ok)`, '', '', '']);
  table.push(['', 'all', r.samples, r.ok, r.samples - r.ok]);
  lines.push(table.toString());
  const media = [r.videos ? `${r.videos} videos (${formatSeconds(r.videoSeconds)} in all)` : '', r.images ? `${r.images} images` : ''].filter(Boolean);
  lines.push(`${r.entries} entries: ${media.join(', ') || 'no files'}; ${r.ok} ok`);
  if (r.clean) {
    lines.push('no problems');
  } else {
    const kinds = Object.entries(r.problemsByKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
    lines.push(`${r.problemCount} problem${r.problemCount === 1 ? '' : 's'}: ${kinds.join(', ')}`);
    for (const p of r.problems) {
      const where = [p.path, p.source && p.source !== p.path ? `(${p.source})` : ''].filter(Boolean).join(' ');
      lines.push(`  ${p.kind.padEnd(13)} ${where}: ${p.message}`);
    }
    if (r.problems.length < r.problemCount) lines.push(`  ... and ${r.problemCount - r.problems.length} more (--max-problems N or --json)`);
  }
  return lines.join('\n') + '\n';
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}
