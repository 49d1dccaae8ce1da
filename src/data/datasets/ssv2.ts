// Something-Something v2 reader (docs/notes/cover-spec.md §4.2): `something-something-v2-labels.json` (or
// `labels.json`) maps each template, brackets removed, to a class index string; `...-train.json` /
// `...-validation.json` (or `train.json`, `validation.json`) list `{id, label, template, placeholders}`; clips are
// `{id}.webm`. The class is the action template, so direction matters: a horizontal flip would turn "left to right"
// into "right to left" (flipAllowed=false), and frames are sampled as TSN segments (TimeSformer ssv2.py). Indices and
// ids are whole numbers >= 0 written as digits (`"12"` or `12`; not `""`, `1.5` or `true`), and a key that no entry has
// is named once, not on every entry.

import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, Sample } from '../types';
import { DirCache, ProblemLog, ReadOptions, Split, findFile, isDir, requireDir } from './common';
import { parseIndex } from './csv';
import { unreadableError } from './fs_errors';

const SPLIT_FILES: Record<Split, string[]> = {
  train: ['something-something-v2-train.json', 'train.json'],
  val: ['something-something-v2-validation.json', 'validation.json', 'something-something-v2-val.json', 'val.json'],
  test: ['something-something-v2-test.json', 'test.json'],
};
const LABEL_FILES = ['something-something-v2-labels.json', 'labels.json'];
const VIDEO_DIRS = ['', 'videos', '20bn-something-something-v2', 'something-something-v2'];

/** SSv2's class key for a template: `Moving [something] from left to right` -> `Moving something from left to right`. */
export function ssv2TemplateKey(template: string): string {
  return template.replace(/[[\]]/g, '');
}

export async function readSsv2(root: string, opts: ReadOptions): Promise<DatasetIndex> {
  root = path.resolve(root);
  await requireDir(root, 'the Something-Something v2 root', 'pass the folder that holds the SSv2 label JSON files and the .webm clips');
  const annDirs = [root, path.join(root, 'labels'), path.join(root, 'annotations')];
  const labelFile = await findFile(annDirs, LABEL_FILES);
  if (!labelFile) {
    throw new DatasetError('no SSv2 label file (something-something-v2-labels.json or labels.json)', {
      path: root,
      suggestion: 'put the labels JSON of the SSv2 download in the root or in labels/',
    });
  }
  const splitFile = await findFile(annDirs, SPLIT_FILES[opts.split]);
  if (!splitFile) {
    throw new DatasetError(`no SSv2 ${opts.split} list (${SPLIT_FILES[opts.split].join(' or ')})`, {
      path: root,
      suggestion: `put ${SPLIT_FILES[opts.split][0]} from the SSv2 download next to ${path.basename(labelFile)}`,
    });
  }
  const labels = await readLabelMap(labelFile);
  const lookup = new Map(labels.map((l, i) => [l, i]));
  const { entries, lines } = await readEntryList(splitFile);
  for (const key of opts.split === 'test' ? ['id'] : ['id', 'template']) requireKey(entries, key, splitFile);

  const videoDirs: string[] = [];
  for (const d of VIDEO_DIRS) if (await isDir(path.join(root, d))) videoDirs.push(path.join(root, d));
  const dirs = new DirCache();
  const log = new ProblemLog();
  const samples: Sample[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const line = lines[i];
    if (!e || typeof e !== 'object' || e.id === undefined) {
      log.add('bad-row', splitFile, line, `entry #${i} has no "id"`);
      continue;
    }
    const id = clipId(e.id);
    if (id === null) {
      log.add('bad-row', splitFile, line, `entry #${i} has the id ${JSON.stringify(e.id)}, not a clip name (digits, or a file name without a folder)`);
      continue;
    }
    let label = -1;
    if (typeof e.template === 'string') {
      label = lookup.get(ssv2TemplateKey(e.template)) ?? -1;
      if (label < 0) {
        log.add('unknown-label', splitFile, line, `entry #${i} (id ${id}): template '${e.template}' is not in ${path.basename(labelFile)}`);
        continue;
      }
    } else if (opts.split !== 'test') {
      log.add('bad-row', splitFile, line, `entry #${i} (id ${id}) has no "template"`);
      continue;
    }
    const candidates = videoDirs.flatMap((d) => [path.join(d, `${id}.webm`), path.join(d, `${id}.mp4`)]);
    const found = await dirs.first(candidates);
    if (!found) {
      const miss = await dirs.missing(candidates, `clip of entry #${i} not found`, path.join(videoDirs[videoDirs.length - 1] ?? root, `${id}.webm`));
      log.add('missing-file', splitFile, line, miss.problem, miss.path);
      continue;
    }
    samples.push({ path: found, label, kind: 'video', source: `${splitFile}:${line}` });
  }
  return {
    name: opts.name ?? 'ssv2',
    format: 'ssv2',
    split: opts.split,
    root,
    labels,
    samples,
    problems: log.items,
    sampling: 'segments',
    flipAllowed: false,
  };
}

/** A clip's file name from an entry's id: a whole number (`12`, `"12"`) or a non-empty name without a folder; else null. */
function clipId(v: unknown): string | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? String(v) : null;
  if (typeof v !== 'string') return null;
  return v.trim() !== '' && !/[/\\\0]/.test(v) && v !== '.' && v !== '..' ? v : null;
}

/** A DatasetError when no entry has `key` (a list of another kind, or a test list read as train): named once. */
function requireKey(entries: Ssv2Entry[], key: string, file: string): void {
  const objects = entries.filter((e) => e && typeof e === 'object') as Array<Record<string, unknown>>;
  if (entries.length === 0 || objects.some((o) => key in o)) return;
  const seen = [...new Set(objects.flatMap((o) => Object.keys(o)))].slice(0, 8);
  throw new DatasetError(`no entry of the SSv2 list has a "${key}" key (its keys: ${seen.join(', ') || 'none'})`, {
    path: file,
    suggestion: 'use the split JSON of the SSv2 release: [{"id", "label", "template", "placeholders"}, ...]',
  });
}

/** `{template: "index"}` -> names in index order. */
async function readLabelMap(file: string): Promise<string[]> {
  const obj = parseJson(await readText(file, 'SSv2 label map'), file);
  const bad = (why: string): never => {
    throw new DatasetError(`the SSv2 label map ${why}`, {
      path: file,
      suggestion: 'use the labels JSON of the SSv2 release: {"Template without brackets": "index", ...}',
    });
  };
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) bad('is not a JSON object');
  const entries = Object.entries(obj as Record<string, unknown>);
  const out: string[] = new Array(entries.length);
  for (const [name, v] of entries) {
    const i = typeof v === 'number' ? (Number.isSafeInteger(v) ? v : null) : typeof v === 'string' ? parseIndex(v) : null;
    if (i === null || i >= entries.length || out[i] !== undefined) {
      return bad(`gives '${name}' the index ${JSON.stringify(v)}: indices must be whole numbers 0..${entries.length - 1}, each once`);
    }
    out[i] = name;
  }
  return out;
}

interface Ssv2Entry {
  id?: unknown;
  template?: unknown;
  label?: unknown;
}

/** The entry list and, for each entry, the line it starts on (so problems read `file:line`). */
async function readEntryList(file: string): Promise<{ entries: Ssv2Entry[]; lines: number[] }> {
  const text = await readText(file, 'SSv2 split list');
  const v = parseJson(text, file);
  if (!Array.isArray(v)) {
    throw new DatasetError('the SSv2 split file is not a JSON list', {
      path: file,
      suggestion: 'use the split JSON of the SSv2 release: [{"id", "label", "template", "placeholders"}, ...]',
    });
  }
  return { entries: v as Ssv2Entry[], lines: topLevelElementLines(text) };
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw unreadableError(err, file, what, 'file');
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new DatasetError(`not valid JSON (${(err as Error).message})`, {
      path: file,
      suggestion: 'the file may be truncated: download it again',
    });
  }
}

/** 1-based line numbers where each element of a top-level JSON array starts (strings and nesting respected). */
export function topLevelElementLines(text: string): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (expectElement && depth === 1 && c !== ']') {
      out.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1 && c === '[') expectElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectElement = true;
  }
  return out;
}
