// Kinetics-400/600/700 reader (docs/notes/cover-spec.md §4.1), in the two layouts people have on disk:
//  1. the official annotation CSV (`label,youtube_id,time_start,time_end,split`, read by header name; extra columns such
//     as K400's `is_cc` are ignored) with clips `{youtube_id}_{start:06d}_{end:06d}.mp4` under `<split>/<label folder>/`,
//     the folder being the label with spaces -> `_` and `'`, `(`, `)` removed (torchvision `kinetics.py`);
//  2. the PySlowFast/TimeSformer list file (`path label_index` per line, space separated, no header) plus a class list.
// Class ids are the sorted label strings of the train split (mmaction2, torchvision).

import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, Sample } from '../types';
import { readClassList } from './class_list';
import { MAX_SECONDS, TextLine, parseCsvLine, parseIndex, parseSeconds, readLines } from './csv';
import {
  DirCache,
  ProblemLog,
  ReadOptions,
  Split,
  compareCodePoints,
  findFile,
  indexedClassNames,
  isDir,
  labelLookup,
  listDir,
  requireDir,
} from './common';

export interface KineticsOptions extends ReadOptions {
  /** An annotation CSV or PySlowFast list file to read instead of the one found under the root. */
  annotations?: string;
  /** A class list (classes.txt / classids.json); for list files without one, classes are named by their index. */
  classes?: string;
}

const SPLIT_DIRS: Record<Split, string[]> = {
  train: ['train', 'training'],
  val: ['val', 'validate', 'validation', 'valid'],
  test: ['test', 'testing'],
};

const CLASS_LIST_NAMES = ['classes.txt', 'classnames.txt', 'labels.txt', 'label_map.txt', 'classids.json', 'classes.json'];

/** The folder name torchvision gives a label: `passing American football (in game)` -> `passing_American_football_in_game`. */
export function kineticsLabelFolder(label: string): string {
  return label.replace(/ /g, '_').replace(/['()]/g, '');
}

/** The clip file name: `{youtube_id}_{start:06d}_{end:06d}.mp4` (times truncated to whole seconds, as `%06d` does). */
export function kineticsClipName(youtubeId: string, start: number, end: number, ext = '.mp4'): string {
  const pad = (t: number) => String(Math.trunc(t)).padStart(6, '0');
  return `${youtubeId}_${pad(start)}_${pad(end)}${ext}`;
}

/** The split an annotation file's name gives (`train.csv`, `kinetics_700_validate.csv`), or null. */
export function kineticsAnnotationSplit(file: string): Split | null {
  const stem = /(?:^|[_-])([a-z]+)\.csv$/i.exec(path.basename(file))?.[1].toLowerCase();
  return (stem && (Object.keys(SPLIT_DIRS) as Split[]).find((s) => SPLIT_DIRS[s].includes(stem))) || null;
}

/** Finds the annotation file of a split: `annotations/<split>.csv`, `<split>.csv`, `kinetics_<split>.csv`, `validate.csv`... */
export async function findKineticsAnnotation(root: string, split: Split): Promise<string | null> {
  const names = SPLIT_DIRS[split].map((s) => `${s}.csv`);
  const exact = await findFile([path.join(root, 'annotations'), root], names);
  if (exact) return exact;
  // Prefixed names from the original releases: kinetics_train.csv, kinetics-400_val.csv, kinetics700_2020_validate.csv.
  const suffix = new RegExp(`[_-](${SPLIT_DIRS[split].join('|')})\\.csv$`, 'i');
  for (const dir of [path.join(root, 'annotations'), root]) {
    const hit = (await listDir(dir)).find((n) => suffix.test(n));
    if (hit) return path.join(dir, hit);
  }
  return null;
}

export async function readKinetics(root: string, opts: KineticsOptions): Promise<DatasetIndex> {
  root = path.resolve(root);
  await requireDir(root, 'the Kinetics root', 'pass the folder that holds annotations/ and the train/ val/ clip folders');
  const file = opts.annotations ? path.resolve(opts.annotations) : await findKineticsAnnotation(root, opts.split);
  if (!file) {
    throw new DatasetError(`no Kinetics annotation file for the ${opts.split} split`, {
      path: root,
      suggestion: `put the ${opts.split}.csv of the Kinetics release (label,youtube_id,time_start,time_end,split) in annotations/, or a PySlowFast list file ${opts.split}.csv (path label_index) in the root`,
    });
  }
  const lines = await readLines(file, 'Kinetics annotation file', 'check the path, or download the annotations of your Kinetics version');
  const header = lines.length > 0 ? (parseCsvLine(lines[0].text) ?? []).map((h) => h.toLowerCase()) : [];
  const base: Omit<DatasetIndex, 'labels' | 'samples' | 'problems'> = {
    name: opts.name ?? 'kinetics',
    format: 'kinetics',
    split: opts.split,
    root,
    sampling: 'dense',
    flipAllowed: true,
  };
  if (header.includes('youtube_id')) {
    return { ...base, ...(await readAnnotationCsv(root, file, lines, header, opts)) };
  }
  return { ...base, ...(await readListFile(root, file, lines, opts)) };
}

type Parsed = Pick<DatasetIndex, 'labels' | 'samples' | 'problems'>;

async function readAnnotationCsv(root: string, file: string, lines: TextLine[], header: string[], opts: KineticsOptions): Promise<Parsed> {
  const col = (name: string) => header.indexOf(name);
  const [cLabel, cId, cStart, cEnd] = [col('label'), col('youtube_id'), col('time_start'), col('time_end')];
  const lacking = [cStart < 0 ? 'time_start' : '', cEnd < 0 ? 'time_end' : '', cLabel < 0 && opts.split !== 'test' ? 'label' : ''].filter(Boolean);
  if (lacking.length > 0) {
    throw new DatasetError(`the annotation header lacks ${lacking.join(', ')}${lacking.includes('label') ? ` (only a test split may have no labels)` : ''}`, {
      path: `${file}:${lines[0].line}`,
      suggestion: 'use the Kinetics header label,youtube_id,time_start,time_end,split',
    });
  }
  const labels = opts.classes ? await readClassList(path.resolve(opts.classes)) : await trainLabels(root, file, lines, cLabel, opts.split);
  const lookup = labelLookup(labels);
  const log = new ProblemLog();
  const dirs = new DirCache();
  const splitDirs = await existingSplitDirs(root, opts.split);
  const samples: Sample[] = [];
  for (const { line, text } of lines.slice(1)) {
    const f = parseCsvLine(text);
    if (!f || f.length < header.length) {
      log.add('bad-row', file, line, f ? `expected ${header.length} columns (${header.join(',')}), got ${f.length}` : 'unterminated quote');
      continue;
    }
    const start = parseSeconds(f[cStart]);
    const end = parseSeconds(f[cEnd]);
    if (start === null || end === null || end <= start) {
      log.add('bad-row', file, line, `bad clip times time_start='${f[cStart]}' time_end='${f[cEnd]}' (need seconds from 0 to ${MAX_SECONDS}, end after start)`);
      continue;
    }
    const id = f[cId];
    if (!id) {
      log.add('bad-row', file, line, 'empty youtube_id');
      continue;
    }
    const name = cLabel >= 0 ? f[cLabel] : '';
    let label = -1;
    if (name !== '') {
      label = lookup(name);
      if (label < 0) {
        log.add('unknown-label', file, line, `label '${name}' is not a class of this dataset (${labels.length} classes from the train split)`);
        continue;
      }
    } else if (opts.split !== 'test') {
      log.add('bad-row', file, line, 'empty label');
      continue;
    }
    const candidates = clipCandidates(splitDirs, name, id, start, end);
    const found = await dirs.first(candidates);
    if (!found) {
      const miss = await dirs.missing(candidates, 'clip not found', candidates[0] ?? path.join(root, SPLIT_DIRS[opts.split][0], kineticsClipName(id, start, end)));
      log.add('missing-file', file, line, miss.problem, miss.path);
      continue;
    }
    samples.push({ path: found, label, kind: 'video', source: `${file}:${line}` });
  }
  return { labels, samples, problems: log.items };
}

/** The class list: sorted unique labels of the train annotation file (this file's when it is the train split or no train file exists). */
async function trainLabels(root: string, file: string, lines: TextLine[], cLabel: number, split: Split): Promise<string[]> {
  let source = { lines, cLabel };
  if (split !== 'train') {
    const trainFile = await findKineticsAnnotation(root, 'train');
    if (trainFile && path.resolve(trainFile) !== path.resolve(file)) {
      const tl = await readLines(trainFile, 'Kinetics train annotation file', 'check the file');
      const th = (parseCsvLine(tl[0]?.text ?? '') ?? []).map((h) => h.toLowerCase());
      if (th.includes('label')) source = { lines: tl, cLabel: th.indexOf('label') };
    }
  }
  if (source.cLabel < 0) return [];
  const set = new Set<string>();
  for (const { text } of source.lines.slice(1)) {
    const v = parseCsvLine(text)?.[source.cLabel];
    if (v) set.add(v);
  }
  return [...set].sort(compareCodePoints);
}

async function existingSplitDirs(root: string, split: Split): Promise<string[]> {
  const out: string[] = [];
  for (const base of [root, path.join(root, 'videos')]) {
    for (const d of SPLIT_DIRS[split]) if (await isDir(path.join(base, d))) out.push(path.join(base, d));
  }
  return out;
}

function clipCandidates(splitDirs: string[], label: string, id: string, start: number, end: number): string[] {
  const folders = label ? [...new Set([kineticsLabelFolder(label), label, label.replace(/ /g, '_')])] : [];
  const names = ['.mp4', '.mkv', '.webm'].map((ext) => kineticsClipName(id, start, end, ext)).concat([`${id}.mp4`]);
  const out: string[] = [];
  for (const d of splitDirs) {
    for (const folder of [...folders, '']) for (const n of names) out.push(path.join(d, folder, n));
  }
  return out;
}

async function readListFile(root: string, file: string, lines: TextLine[], opts: KineticsOptions): Promise<Parsed> {
  const log = new ProblemLog();
  const rows: Array<{ line: number; rel: string; index: number }> = [];
  for (const { line, text } of lines) {
    const parts = text.trim().split(/\s+/);
    const index = parseIndex(parts[parts.length - 1]);
    if (parts.length < 2 || index === null) {
      log.add('bad-row', file, line, `expected 'path label_index' (space separated), got '${text.trim()}'`);
      continue;
    }
    rows.push({ line, rel: parts.slice(0, -1).join(' '), index });
  }
  const classFile = opts.classes ? path.resolve(opts.classes) : await findFile([root, path.dirname(file)], CLASS_LIST_NAMES);
  const labels = classFile ? await readClassList(classFile) : await indexNames(root, file, rows);
  const dirs = new DirCache();
  const samples: Sample[] = [];
  for (const r of rows) {
    if (r.index >= labels.length) {
      log.add('unknown-label', file, r.line, `label index ${r.index} is outside the ${labels.length} classes${classFile ? ` of ${classFile}` : ''}`);
      continue;
    }
    const candidates = path.isAbsolute(r.rel) ? [r.rel] : [path.join(root, r.rel), path.join(path.dirname(file), r.rel)];
    const found = await dirs.first(candidates);
    if (!found) {
      const miss = await dirs.missing(candidates, 'clip not found');
      log.add('missing-file', file, r.line, miss.problem, miss.path);
      continue;
    }
    samples.push({ path: found, label: r.index, kind: 'video', source: `${file}:${r.line}` });
  }
  log.sortByLine();
  return { labels, samples, problems: log.items };
}

/** Without a class list, classes are named '0'..'N-1', N covering this list and the train list. */
async function indexNames(root: string, file: string, rows: Array<{ index: number; line: number }>): Promise<string[]> {
  let max = -1;
  let where: string | null = null;
  for (const r of rows) {
    if (r.index > max) [max, where] = [r.index, `${file}:${r.line}`];
  }
  const trainFile = await findFile([root, path.dirname(file)], ['train.csv']);
  if (trainFile && path.resolve(trainFile) !== path.resolve(file)) {
    for (const { line, text } of await readLines(trainFile, 'train list file', 'check the file')) {
      const v = parseIndex(text.trim().split(/\s+/).pop());
      if (v !== null && v > max) [max, where] = [v, `${trainFile}:${line}`];
    }
  }
  return indexedClassNames(max, where);
}
