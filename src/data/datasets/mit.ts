// Moments-in-Time (v1) reader (docs/notes/cover-spec.md §4.3): `moments_categories.txt` (`category,index` lines),
// `trainingSet.csv` / `validationSet.csv` (no header; column 0 is `<category>/<file>.mp4`, column 1 the category, the
// agreement-count columns after it ignored), clips under `videos/training/` and `videos/validation/` (or `training/`,
// `validation/`). Clips are 3 s, so frames are spread over the whole clip ('uniform'). There is no labelled test split.

import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, Sample } from '../types';
import { readClassList } from './class_list';
import { parseCsvLine, readLines } from './csv';
import { DirCache, ProblemLog, ReadOptions, findFile, isDir, labelLookup, requireDir } from './common';

const SPLIT_NAMES = { train: { csv: 'trainingSet.csv', dir: 'training' }, val: { csv: 'validationSet.csv', dir: 'validation' } };

export async function readMit(root: string, opts: ReadOptions): Promise<DatasetIndex> {
  root = path.resolve(root);
  await requireDir(root, 'the Moments-in-Time root', 'pass the folder that holds moments_categories.txt and videos/');
  if (opts.split === 'test') {
    throw new DatasetError('Moments-in-Time has no labelled test split', { path: root, suggestion: 'use --split val (results are reported on validation)' });
  }
  const names = SPLIT_NAMES[opts.split];
  const annDirs = [root, path.join(root, 'annotations')];
  const catFile = await findFile(annDirs, ['moments_categories.txt', 'categories.txt']);
  if (!catFile) {
    throw new DatasetError('no moments_categories.txt', { path: root, suggestion: 'put moments_categories.txt of the MiT release in the root or annotations/' });
  }
  const csvFile = await findFile(annDirs, [names.csv]);
  if (!csvFile) {
    throw new DatasetError(`no ${names.csv}`, { path: root, suggestion: `put ${names.csv} of the MiT release next to ${path.basename(catFile)}` });
  }
  const labels = await readClassList(catFile);
  const lookup = labelLookup(labels);
  const videoDirs: string[] = [];
  for (const d of [path.join(root, 'videos', names.dir), path.join(root, names.dir)]) if (await isDir(d)) videoDirs.push(d);

  const log = new ProblemLog();
  const dirs = new DirCache();
  const samples: Sample[] = [];
  for (const { line, text } of await readLines(csvFile, 'MiT split file', 'check the path')) {
    const f = parseCsvLine(text);
    if (!f || f.length < 2 || !f[0]) {
      log.add('bad-row', csvFile, line, f ? `expected at least 2 columns (path,category), got ${f.length}` : 'unterminated quote');
      continue;
    }
    const rel = f[0];
    const category = f[1] || path.posix.dirname(rel);
    const label = lookup(category);
    if (label < 0) {
      log.add('unknown-label', csvFile, line, `category '${category}' is not in ${path.basename(catFile)}`);
      continue;
    }
    const candidates = videoDirs.map((d) => path.join(d, rel));
    const found = await dirs.first(candidates);
    if (!found) {
      const miss = await dirs.missing(candidates, 'clip not found', candidates[0] ?? path.join(root, 'videos', names.dir, rel));
      log.add('missing-file', csvFile, line, miss.problem, miss.path);
      continue;
    }
    samples.push({ path: found, label, kind: 'video', source: `${csvFile}:${line}` });
  }
  return {
    name: opts.name ?? 'mit',
    format: 'mit',
    split: opts.split,
    root,
    labels,
    samples,
    problems: log.items,
    sampling: 'uniform',
    flipAllowed: true,
  };
}
