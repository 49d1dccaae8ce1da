// `cover data check <name-or-path>`: reads a dataset's index (any supported layout), opens every entry the way training
// will, and prints counts per class and the first problems (or --json). Exit code 0 when clean, 1 when any entry had
// a problem, so scripts can gate on it. `--shard i/N --out FILE` checks one part of the split (a job array's task);
// `cover data merge-checks FILE...` adds the parts up to the whole split's report.

import * as fs from 'fs';
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { CheckReport, CheckShard, checkDataset } from '../../data/check/check';
import { mergeChecks, readShardReport } from '../../data/check/merge_checks';
import { writeAtomically } from '../../checkpoint/safetensors';
import { printable, UsageError } from '../../errors';
import { SPLITS, Split } from '../../data/datasets/common';
import { DATASET_FORMATS, SHORT_NAMES, openDataset, parseDataPaths } from '../../data/datasets/registry';
import { DatasetFormat } from '../../data/types';
import { jsonOption, quietOption, verboseOption } from '../options';
import { dataArg, intArg, shardArg } from '../parse';
import { RUN_LIMITS } from '../../run/run_config';
import { progressFor } from '../progress_line';

interface CheckCliOptions {
  format?: DatasetFormat;
  split?: Split;
  data: string[];
  json?: boolean;
  maxProblems: number;
  concurrency: number;
  shard?: CheckShard;
  out?: string;
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
      .addOption(new Option('--split <split>', 'split to check (default: the split a manifest or annotation file\'s name gives, e.g. val.csv, else train)').choices(SPLITS as unknown as string[]))
      .addOption(new Option('--data <name=path>', 'folder of a named dataset (repeatable): --data k400=/data/kinetics400').argParser(dataArg('--data')).default([]))
      .addOption(new Option('--max-problems <n>', 'problems to list (all are counted)').argParser(intArg('--max-problems', { min: 1 })).default(20))
      .addOption(new Option('--concurrency <n>', 'files decoded at once').argParser(intArg('--concurrency', { min: 1, max: RUN_LIMITS.maxConcurrency })).default(2))
      .addOption(new Option('--shard <i/N>', 'check only part i (from 0) of N of the split, for a job array; merge the parts with `cover data merge-checks`').argParser(shardArg('--shard')))
      .option('--out <file>', 'also write the report as JSON to this file (a sharded check needs it, for merge-checks)')
      .addOption(jsonOption())
      .addOption(quietOption())
      .addOption(verboseOption())
      .exitOverride() // index.ts overrides only top-level commands; usage errors here must not process.exit either
      .action(async (spec: string, opts: CheckCliOptions) => {
        if (opts.shard && !opts.out) {
          throw new UsageError(`--shard ${opts.shard.index}/${opts.shard.count} needs --out FILE, the report that \`cover data merge-checks\` adds up`, {
            suggestion: `add e.g. --out check.${opts.shard.index}-of-${opts.shard.count}.json`,
          });
        }
        if (opts.out && fs.existsSync(opts.out)) throw new UsageError('--out: the file exists', { path: opts.out, suggestion: 'give a new file name, or remove it first' });
        const index = await openDataset(spec, { split: opts.split, data: parseDataPaths(opts.data), format: opts.format });
        const progress = progressFor(opts, 'entries checked');
        const report = await checkDataset(index, {
          concurrency: opts.concurrency,
          // a shard's report keeps every problem, so that the merged list is the one a whole check gives
          maxProblems: opts.shard ? Number.MAX_SAFE_INTEGER : opts.maxProblems,
          shard: opts.shard,
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.end();
        if (opts.out) writeAtomically(opts.out, (fd) => fs.writeSync(fd, `${JSON.stringify(report, null, 2)}\n`));
        const shown = { ...report, problems: report.problems.slice(0, opts.maxProblems) };
        process.stdout.write(opts.json ? JSON.stringify(shown, null, 2) + '\n' : renderCheck(shown));
        if (!report.clean) process.exitCode = 1;
      }),
  );
  data.addCommand(
    new Command('merge-checks')
      .description('add up the reports of a sharded `cover data check --shard i/N --out FILE` into the report of the whole split')
      .argument('<report...>', 'the JSON reports of shards 0/N to N-1/N')
      .addOption(new Option('--max-problems <n>', 'problems to list (all are counted)').argParser(intArg('--max-problems', { min: 1 })).default(20))
      .option('--out <file>', 'also write the merged report as JSON to this file')
      .addOption(jsonOption())
      .exitOverride()
      .action((files: string[], opts: { maxProblems: number; out?: string; json?: boolean }) => {
        if (opts.out && fs.existsSync(opts.out)) throw new UsageError('--out: the file exists', { path: opts.out, suggestion: 'give a new file name, or remove it first' });
        const report = mergeChecks(files.map(readShardReport), files, opts.maxProblems);
        if (opts.out) writeAtomically(opts.out, (fd) => fs.writeSync(fd, `${JSON.stringify(report, null, 2)}\n`));
        process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderCheck(report));
        if (!report.clean) process.exitCode = 1;
      }),
  );
  return data;
}

/** The report as text: a per-class table, totals, problems by kind, and the first problems. */
export function renderCheck(r: CheckReport): string {
  const lines: string[] = [];
  const part = r.shard ? `, shard ${r.shard.index}/${r.shard.count}: ${r.samples} of ${r.shard.splitSamples} samples` : '';
  lines.push(`${r.name} (${r.format}, ${r.split} split${part}): ${r.root}`);
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
      const where = printable([p.path, p.source && p.source !== p.path ? `(${p.source})` : ''].filter(Boolean).join(' '));
      lines.push(`  ${p.kind.padEnd(13)} ${where}: ${p.message}`);
    }
    if (r.problems.length < r.problemCount) lines.push(`  ... and ${r.problemCount - r.problems.length} more (--max-problems N or --json)`);
  }
  return lines.join('\n') + '\n';
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}
