// Generic manifest reader (docs/notes/cover-spec.md §4.5): one file per split, either CSV with a header naming
// `path,label` (and optional `start,end` seconds and `kind`) or JSONL with `{path, label, start?, end?, kind?}` per
// line. A label is a class name or a class index; paths are relative to the manifest's folder. A `classes.txt` /
// `classes.json` next to the manifest fixes the class order; without one, classes are the sorted names (or 0..max when
// every label is a number) of the train manifest next to it (or of this one when there is none).
// A file's name gives its split (`train.csv`, `val.jsonl`, `manifest_test.csv`): given `DIR/train.csv`, the val split is
// `DIR/val.csv` (or .jsonl), never train.csv again; a file whose name gives no split (`mine.csv`) is only a train split.

import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, Sample, SampleKind, SamplingScheme } from '../types';
import { readClassList } from './class_list';
import { MAX_SECONDS, TextLine, parseCsvLine, parseIndex, parseSeconds, readLines } from './csv';
import { DirCache, IMAGE_EXT, ProblemLog, ReadOptions, SPLITS, Split, compareCodePoints, fileForSplit, findFile, indexedClassNames, requireDir } from './common';
import { isAbsent } from '../../fs_problem';
import { unreadableError } from './fs_errors';

export interface ManifestOptions extends ReadOptions {
  sampling?: SamplingScheme;
  flipAllowed?: boolean;
}

const SPLIT_STEMS: Record<Split, string[]> = { train: ['train'], val: ['val', 'validation'], test: ['test'] };
const CLASS_FILES = ['classes.txt', 'classes.json'];

interface Row {
  line: number;
  path: string;
  label: string;
  start?: number;
  end?: number;
  kind?: SampleKind;
}

/** The split a manifest's name gives (`train.csv`, `manifest_val.jsonl`, `validation.csv`), or null (`mine.csv`). */
export function manifestSplit(file: string): Split | null {
  const m = /^(?:manifest_)?(\w+)\.(?:csv|jsonl)$/i.exec(path.basename(file));
  return (m && SPLITS.find((s) => SPLIT_STEMS[s].includes(m[1].toLowerCase()))) ?? null;
}

/** Finds the manifest of a split in a folder: `<split>.jsonl`, `<split>.csv`, `manifest_<split>.jsonl`... */
export async function findManifest(dir: string, split: Split): Promise<string | null> {
  const names = SPLIT_STEMS[split].flatMap((s) => [`${s}.jsonl`, `${s}.csv`, `manifest_${s}.jsonl`, `manifest_${s}.csv`]);
  return findFile([dir], names);
}

export async function readManifest(file: string, opts: ManifestOptions): Promise<DatasetIndex> {
  file = path.resolve(file);
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    if (!isAbsent(err)) throw unreadableError(err, file, 'manifest', 'file');
    throw new DatasetError('the manifest does not exist', { path: file, suggestion: 'pass a .csv (path,label[,start,end]) or .jsonl manifest, or the folder holding train.jsonl/val.jsonl' });
  }
  if (!st.isDirectory()) {
    const stem = SPLIT_STEMS[opts.split][0];
    file = await fileForSplit(file, opts.split, manifestSplit(file), () => findManifest(path.dirname(file), opts.split), `${stem}.csv or ${stem}.jsonl`);
  } else {
    await requireDir(file, 'the manifest folder', 'pass a manifest file or its folder');
    const found = await findManifest(file, opts.split);
    if (!found) {
      throw new DatasetError(`no manifest for the ${opts.split} split`, {
        path: file,
        suggestion: `add ${SPLIT_STEMS[opts.split][0]}.jsonl or ${SPLIT_STEMS[opts.split][0]}.csv to the folder`,
      });
    }
    file = found;
  }
  const dir = path.dirname(file);
  const log = new ProblemLog();
  const rows = await readRows(file, opts.split, log);
  const classFile = await findFile([dir], CLASS_FILES);
  const labels = classFile ? await readClassList(classFile) : await inferLabels(dir, file, opts.split, rows);
  const byName = new Map(labels.map((l, i) => [l, i]));
  const dirs = new DirCache();
  const samples: Sample[] = [];
  for (const r of rows) {
    let label = byName.get(r.label) ?? parseIndex(r.label) ?? -1;
    if (r.label === '' && opts.split === 'test') label = -1;
    else if (r.label === '') {
      log.add('bad-row', file, r.line, 'empty label');
      continue;
    } else if (label < 0 || label >= labels.length) {
      log.add('unknown-label', file, r.line, `label '${r.label}' is not one of the ${labels.length} classes${classFile ? ` of ${path.basename(classFile)}` : ''}`);
      continue;
    }
    const p = path.resolve(dir, r.path);
    if (!(await dirs.has(p))) {
      const miss = await dirs.missing([p], 'file not found');
      log.add('missing-file', file, r.line, miss.problem, miss.path);
      continue;
    }
    const kind: SampleKind = r.kind ?? (IMAGE_EXT.test(p) ? 'image' : 'video');
    const s: Sample = { path: p, label, kind, source: `${file}:${r.line}` };
    if (r.start !== undefined) s.start = r.start;
    if (r.end !== undefined) s.end = r.end;
    samples.push(s);
  }
  log.sortByLine();
  return {
    name: opts.name ?? path.basename(dir),
    format: 'manifest',
    split: opts.split,
    root: dir,
    labels,
    samples,
    problems: log.items,
    sampling: opts.sampling ?? 'dense',
    flipAllowed: opts.flipAllowed ?? true,
  };
}

async function readRows(file: string, split: Split, log: ProblemLog): Promise<Row[]> {
  const lines = await readLines(file, 'manifest', 'check the path');
  return /\.csv$/i.test(file) ? csvRows(file, lines, log) : jsonlRows(file, lines, split, log);
}

function csvRows(file: string, lines: TextLine[], log: ProblemLog): Row[] {
  const header = (parseCsvLine(lines[0]?.text ?? '') ?? []).map((h) => h.toLowerCase());
  const [cPath, cLabel, cStart, cEnd, cKind] = ['path', 'label', 'start', 'end', 'kind'].map((n) => header.indexOf(n));
  if (cPath < 0 || cLabel < 0) {
    throw new DatasetError(`the manifest header is '${lines[0]?.text ?? ''}', without path and label columns`, {
      path: `${file}:${lines[0]?.line ?? 1}`,
      suggestion: 'start the CSV with a header line: path,label[,start,end]',
    });
  }
  const rows: Row[] = [];
  for (const { line, text } of lines.slice(1)) {
    const f = parseCsvLine(text);
    if (!f || f.length !== header.length) {
      log.add('bad-row', file, line, f ? `expected ${header.length} columns (${header.join(',')}), got ${f.length}` : 'unterminated quote');
      continue;
    }
    const row = checkRow(file, line, { path: f[cPath], label: f[cLabel], start: at(f, cStart), end: at(f, cEnd), kind: at(f, cKind) }, log);
    if (row) rows.push(row);
  }
  return rows;
}

const at = (f: string[], i: number): string | undefined => (i >= 0 && f[i] !== '' ? f[i] : undefined);

/** JSONL rows; a key no row has (`path`, or `label` outside a test split) is one DatasetError, not a bad row per line. */
function jsonlRows(file: string, lines: TextLine[], split: Split, log: ProblemLog): Row[] {
  const rows: Row[] = [];
  const objects: Array<Record<string, unknown>> = [];
  for (const { line, text } of lines) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      log.add('bad-row', file, line, `not valid JSON (${(err as Error).message})`);
      continue;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      log.add('bad-row', file, line, 'expected an object {path, label, start?, end?}');
      continue;
    }
    const o = v as Record<string, unknown>;
    objects.push(o);
    const odd = (['path', 'label', 'start', 'end', 'kind'] as const).find((k) => o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string' && typeof o[k] !== 'number');
    if (odd) {
      log.add('bad-row', file, line, `"${odd}" is ${JSON.stringify(o[odd])}, not a string or a number`);
      continue;
    }
    const str = (x: unknown): string | undefined => (x === undefined || x === null ? undefined : String(x));
    const row = checkRow(file, line, { path: str(o.path) ?? '', label: str(o.label) ?? '', start: str(o.start), end: str(o.end), kind: str(o.kind) }, log);
    if (row) rows.push(row);
  }
  for (const key of split === 'test' ? ['path'] : ['path', 'label']) {
    if (objects.length > 0 && !objects.some((o) => key in o)) {
      const seen = [...new Set(objects.flatMap((o) => Object.keys(o)))].slice(0, 8);
      throw new DatasetError(`no line of the manifest has a "${key}" key (its keys: ${seen.join(', ') || 'none'})`, {
        path: file,
        suggestion: 'write each line as {"path": ..., "label": ..., "start"?: s, "end"?: s}',
      });
    }
  }
  return rows;
}

function checkRow(
  file: string,
  line: number,
  raw: { path: string; label: string; start?: string; end?: string; kind?: string },
  log: ProblemLog,
): Row | null {
  if (!raw.path) {
    log.add('bad-row', file, line, 'empty path');
    return null;
  }
  const row: Row = { line, path: raw.path, label: raw.label.trim() };
  for (const key of ['start', 'end'] as const) {
    const s = raw[key];
    if (s === undefined) continue;
    const v = parseSeconds(s);
    if (v === null) {
      log.add('bad-row', file, line, `${key}='${s}' is not a number of seconds from 0 to ${MAX_SECONDS}`);
      return null;
    }
    row[key] = v;
  }
  if (row.start !== undefined && row.end !== undefined && row.end <= row.start) {
    log.add('bad-row', file, line, `end (${row.end}) is not after start (${row.start})`);
    return null;
  }
  if (raw.kind !== undefined) {
    if (raw.kind !== 'video' && raw.kind !== 'image') {
      log.add('bad-row', file, line, `kind='${raw.kind}' (expected video or image)`);
      return null;
    }
    row.kind = raw.kind;
  }
  return row;
}

/** Classes without a class file: those of the train manifest next to this one (or of this one): sorted names, or
 * '0'..max when every label is a number. */
async function inferLabels(dir: string, file: string, split: Split, rows: Row[]): Promise<string[]> {
  let source = rows;
  let sourceFile = file;
  if (split !== 'train') {
    const train = await findManifest(dir, 'train');
    if (train && path.resolve(train) !== file) [source, sourceFile] = [await readRows(train, 'train', new ProblemLog()), train];
  }
  const labelled = source.filter((r) => r.label !== '');
  const all = labelled.map((r) => r.label);
  if (all.length > 0 && all.every((l) => /^\d+$/.test(l))) {
    const top = labelled.reduce((a, b) => (Number(b.label) > Number(a.label) ? b : a));
    return indexedClassNames(Number(top.label), `${sourceFile}:${top.line}`);
  }
  return [...new Set(all)].sort(compareCodePoints);
}
