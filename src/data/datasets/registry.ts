// One way to open any dataset: `openDataset(spec, {split, data})`, where spec is
//   - a short name (`k400 k600 k700 ssv2 mit imnet`, or any NAME given with `--data NAME=PATH`): the format comes
//     from the name, the folder from `--data`;
//   - `FORMAT:PATH` or `NAME:PATH` (`kinetics:/data/k400`, `ssv2:./smth`);
//   - a bare path, whose format is detected from the files it holds.
// A manifest or Kinetics annotation file (`DIR/train.csv`) is the split its name gives; another split is read from the
// file named for it beside it (common.ts fileForSplit), and without a split asked for, the name's split is the one read.

import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetFormat, DatasetIndex } from '../types';
import { parseCsvLine, readLines } from './csv';
import { ReadOptions, Split, fileForSplit, findFile, isDir, isFile, listDir, listSubdirs, requireDir, IMAGE_EXT, VIDEO_EXT } from './common';
import { isAbsent } from '../../fs_problem';
import { unreadableError } from './fs_errors';
import { findKineticsAnnotation, kineticsAnnotationSplit, readKinetics } from './kinetics';
import { readSsv2 } from './ssv2';
import { readMit } from './mit';
import { readImageFolder } from './imagefolder';
import { findManifest, manifestSplit, readManifest } from './manifest';

export const DATASET_FORMATS: readonly DatasetFormat[] = ['kinetics', 'ssv2', 'mit', 'imagefolder', 'manifest'];

/** The datasets cover knows by name, and the format each is published in. */
export const SHORT_NAMES: Readonly<Record<string, DatasetFormat>> = {
  k400: 'kinetics',
  k600: 'kinetics',
  k700: 'kinetics',
  ssv2: 'ssv2',
  mit: 'mit',
  imnet: 'imagefolder',
};

export interface OpenOptions {
  /** Default: the split a manifest or annotation file's name gives (`val.csv`), else train. */
  split?: Split;
  /** Folders by dataset name, from `--data NAME=PATH`. */
  data?: Readonly<Record<string, string>>;
  /** Force a format instead of detecting it (`--format`). */
  format?: DatasetFormat;
  /** Name for the index; defaults to the short name or the folder's name. */
  name?: string;
}

const READERS: Record<DatasetFormat, (root: string, opts: ReadOptions) => Promise<DatasetIndex>> = {
  kinetics: readKinetics,
  ssv2: readSsv2,
  mit: readMit,
  imagefolder: readImageFolder,
  manifest: readManifest,
};

/**
 * Reads a dataset's index for one split.
 * @example
 * const idx = await openDataset('k400', { split: 'val', data: { k400: '.cover/demo/small/k400' } });
 * idx.labels.length // 4 (the tiny demo suite)
 */
export async function openDataset(spec: string, opts: OpenOptions): Promise<DatasetIndex> {
  const data = opts.data ?? {};
  let name = opts.name;
  let format = opts.format;
  let root: string;
  const prefixed = /^([A-Za-z][\w-]*):(.+)$/.exec(spec);
  if (prefixed && (isFormat(prefixed[1]) || isShortName(prefixed[1]) || hasOwn(data, prefixed[1]))) {
    const key = prefixed[1];
    root = prefixed[2];
    format = format ?? (isFormat(key) ? key : shortNameFormat(key));
    if (!isFormat(key)) name = name ?? key;
  } else if (hasOwn(data, spec)) {
    root = data[spec];
    format = format ?? shortNameFormat(spec);
    name = name ?? spec;
  } else if (isShortName(spec) && !(await exists(spec))) {
    throw new DatasetError(`no folder given for the dataset '${spec}'`, {
      suggestion: `pass --data ${spec}=/path/to/${spec} (or give the folder itself, or ${SHORT_NAMES[spec]}:PATH)`,
    });
  } else {
    root = spec;
  }
  root = path.resolve(root);
  if (!(await exists(root)) && /^[A-Za-z][\w-]*$/.test(spec)) {
    // A bare word that is neither a known name nor a folder here (`constructor`, `k401`).
    throw new DatasetError(`unknown dataset '${spec}': not a name cover knows and no such folder`, {
      suggestion: `known names are ${Object.keys(SHORT_NAMES).join(', ')} (with --data NAME=PATH); or give a folder, a manifest file, or FORMAT:PATH`,
    });
  }
  if (!(await exists(root))) {
    throw new DatasetError('no such dataset folder or file', {
      path: root,
      suggestion: `check the path; known names are ${Object.keys(SHORT_NAMES).join(', ')} (with --data NAME=PATH)`,
    });
  }
  const file = await isFile(root);
  format = format ?? (await detectFormat(root)).format;
  if (format === 'kinetics' && file) {
    // An annotation CSV or PySlowFast list given directly: its dataset is the folder above annotations/ (or its own).
    const kRoot = kineticsRootOf(root);
    const split = opts.split ?? kineticsAnnotationSplit(root) ?? 'train';
    const annotations = await fileForSplit(root, split, kineticsAnnotationSplit(root), () => findKineticsAnnotation(kRoot, split), `${split}.csv`);
    return readKinetics(kRoot, { split, name: name ?? path.basename(kRoot), annotations });
  }
  const split = opts.split ?? (file && format === 'manifest' ? manifestSplit(root) : null) ?? 'train';
  const defaultName = file ? path.basename(path.dirname(root)) : path.basename(root);
  return READERS[format](root, { split, name: name ?? defaultName });
}

/** The dataset root of an annotation file: its folder, or the folder above when that is `annotations/`. */
function kineticsRootOf(file: string): string {
  const dir = path.dirname(file);
  return path.basename(dir) === 'annotations' ? path.dirname(dir) : dir;
}

/** `['k400=/data/k400', 'ssv2=./s']` -> `{k400: '/data/k400', ssv2: './s'}`; a malformed entry is a DatasetError. */
export function parseDataPaths(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(e);
    if (!m) {
      throw new DatasetError(`--data '${e}' is not NAME=PATH`, { suggestion: 'write it as --data k400=/path/to/kinetics400' });
    }
    out[m[1]] = m[2];
  }
  return out;
}

/** Own keys only: a dataset called `constructor` or `__proto__` is not found on Object.prototype. */
function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

export function isShortName(s: string): boolean {
  return hasOwn(SHORT_NAMES, s);
}

/** The format of a short name (`k400` -> kinetics), or undefined for any other word. */
export function shortNameFormat(s: string): DatasetFormat | undefined {
  return isShortName(s) ? SHORT_NAMES[s] : undefined;
}

export function isFormat(s: string): s is DatasetFormat {
  return (DATASET_FORMATS as readonly string[]).includes(s);
}

export interface Detected {
  format: DatasetFormat;
  /** For a Kinetics annotation CSV given directly: the dataset root it belongs to and the file itself. */
  root: string;
  annotations?: string;
}

/** Tells a dataset's format from the files in it. */
export async function detectFormat(p: string): Promise<Detected> {
  const root = path.resolve(p);
  if (await isFile(root)) {
    if (/\.csv$/i.test(root) && ((await csvHeader(root)).includes('youtube_id') || (await isSlowFastList(root)))) {
      return { format: 'kinetics', root: kineticsRootOf(root), annotations: root };
    }
    return { format: 'manifest', root };
  }
  await requireDir(root, 'the dataset folder', 'pass the folder that holds the dataset');
  const ann = [root, path.join(root, 'labels'), path.join(root, 'annotations')];
  if (await findFile(ann, ['something-something-v2-labels.json', 'labels.json'])) return { format: 'ssv2', root };
  if (await findFile(ann, ['moments_categories.txt'])) return { format: 'mit', root };
  for (const split of ['train', 'val'] as const) {
    const k = await findKineticsAnnotation(root, split);
    if (k && (await csvHeader(k)).includes('youtube_id')) return { format: 'kinetics', root };
    const m = await findManifest(root, split);
    if (m) return { format: (await isSlowFastList(m)) ? 'kinetics' : 'manifest', root };
  }
  if (await isDir(path.join(root, 'train'))) {
    for (const d of (await listSubdirs(path.join(root, 'train'))).slice(0, 3)) {
      const files = await listDir(path.join(root, 'train', d));
      if (files.some((f) => IMAGE_EXT.test(f))) return { format: 'imagefolder', root };
      if (files.some((f) => VIDEO_EXT.test(f))) {
        throw new DatasetError('found train/<class>/ video folders but no annotation file', {
          path: root,
          suggestion: 'add the Kinetics annotations/train.csv, or write a manifest (train.csv with path,label) and pass manifest:PATH',
        });
      }
    }
  }
  if (await isFile(path.join(root, 'demo.json'))) {
    const subs = await listSubdirs(root);
    throw new DatasetError(`this is a demo suite holding ${subs.join(', ')}: check one dataset at a time`, {
      path: root,
      suggestion: `cover data check ${path.join(root, subs[0] ?? 'k400')}`,
    });
  }
  throw new DatasetError('cannot tell the dataset format from the files in this folder', {
    path: root,
    suggestion: `name it with --format ${DATASET_FORMATS.join('|')} (or FORMAT:PATH)`,
  });
}

async function csvHeader(file: string): Promise<string[]> {
  const lines = await readLines(file, 'CSV file', 'check the file');
  return (parseCsvLine(lines[0]?.text ?? '') ?? []).map((h) => h.toLowerCase());
}

/** A PySlowFast list: no header, `path label_index` lines. */
async function isSlowFastList(file: string): Promise<boolean> {
  if (!/\.csv$/i.test(file)) return false;
  const first = (await readLines(file, 'list file', 'check the file'))[0]?.text.trim() ?? '';
  return /^\S+\s+\d+$/.test(first);
}

/** Whether anything is at `p`; a path that is there but cannot be read is a DatasetError saying why. */
async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw unreadableError(err, p, 'dataset path', 'folder');
  }
}
