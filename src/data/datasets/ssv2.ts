// Something-Something v2 reader (cover-spec.md §4.2): `something-something-v2-labels.json` (or `labels.json`) maps each
// template, brackets removed, to a class index string; `...-train.json` / `...-validation.json` (or `train.json`,
// `validation.json`) list `{id, label, template, placeholders}`; clips are `{id}.webm`. The class is the action
// template, so direction matters: a horizontal flip would turn "left to right" into "right to left" (flipAllowed=false),
// and frames are sampled as TSN segments (TimeSformer ssv2.py).

import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, Sample } from '../types';
import { DirCache, ProblemLog, ReadOptions, Split, findFile, isDir, requireDir } from './common';

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

  const videoDirs: string[] = [];
  for (const d of VIDEO_DIRS) if (await isDir(path.join(root, d))) videoDirs.push(path.join(root, d));
  const dirs = new DirCache();
  const log = new ProblemLog();
  const samples: Sample[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const line = lines[i];
    if (!e || typeof e !== 'object' || (typeof e.id !== 'string' && typeof e.id !== 'number') || String(e.id) === '') {
      log.add('bad-row', splitFile, line, `entry #${i} has no "id"`);
      continue;
    }
    const id = String(e.id);
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
      log.add('missing-file', splitFile, line, `clip of entry #${i} not found`, path.join(videoDirs[videoDirs.length - 1] ?? root, `${id}.webm`));
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

/** `{template: "index"}` -> names in index order. */
async function readLabelMap(file: string): Promise<string[]> {
  const obj = parseJson(await fs.readFile(file, 'utf8'), file);
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
    const i = Number(v);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || out[i] !== undefined) {
      bad(`gives '${name}' the index ${JSON.stringify(v)}: indices must be 0..${entries.length - 1}, each once`);
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
  const text = await fs.readFile(file, 'utf8');
  const v = parseJson(text, file);
  if (!Array.isArray(v)) {
    throw new DatasetError('the SSv2 split file is not a JSON list', {
      path: file,
      suggestion: 'use the split JSON of the SSv2 release: [{"id", "label", "template", "placeholders"}, ...]',
    });
  }
  return { entries: v as Ssv2Entry[], lines: topLevelElementLines(text) };
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
