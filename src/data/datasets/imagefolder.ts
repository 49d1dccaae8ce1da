// ImageNet-style image reader (docs/notes/cover-spec.md §4.4, torchvision ImageFolder/imagenet.py):
// `train/<synset>/*.JPEG` (any image extension, any case); `val/` either as synset folders too or as flat files with a
// label file:
//   - `val.txt` or any `<filename> <synset-or-index>` file (Caffe's; an index is into the sorted synsets),
//   - `LOC_val_solution.csv` (Kaggle: `ImageId,PredictionString`, the first token of the prediction is the synset),
//   - `val_annotations.txt` (Tiny-ImageNet: `<file>\t<synset>\t...`).
// Classes are the sorted synset folder names of train/; `LOC_synset_mapping.txt` / `synset_words.txt` / `words.txt`
// (`n01440764 tench, Tinca tinca`, tab-separated in words.txt), in the root, its devkit/ or its parent folder, give
// human-readable names (DatasetIndex.displayNames; the labels stay the synsets). Images are single-frame samples.
// A train class folder without an image is refused, as torchvision's ImageFolder refuses it ("Found no valid file for
// the classes ..."): a head class that never sees a sample is a mistake, not a class. A class folder that cannot be read,
// or a link that loops (`train/self -> .`), is a DatasetError too (common.ts listSubdirs/listDir), never an empty class.

import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, Sample } from '../types';
import { parseCsvLine, readLines } from './csv';
import {
  DirCache,
  IMAGE_EXT,
  ProblemLog,
  ReadOptions,
  Split,
  findFile,
  isDir,
  labelLookup,
  listDir,
  listSubdirs,
  requireDir,
} from './common';

export interface ImageFolderOptions extends ReadOptions {
  /** Label file for a flat val/ folder, instead of the one found next to it. */
  labelFile?: string;
}

const SPLIT_DIRS: Record<Split, string[]> = { train: ['train'], val: ['val', 'validation'], test: ['test'] };
const NAME_FILES = ['LOC_synset_mapping.txt', 'synset_words.txt', 'words.txt'];
const LABEL_FILES = ['val.txt', 'LOC_val_solution.csv', 'val_annotations.txt', 'ILSVRC2012_validation_ground_truth.txt'];

export async function readImageFolder(root: string, opts: ImageFolderOptions): Promise<DatasetIndex> {
  root = path.resolve(root);
  await requireDir(root, 'the image dataset root', 'pass the folder that holds train/<synset>/ and val/');
  let splitDir: string | null = null;
  for (const d of SPLIT_DIRS[opts.split]) if (!splitDir && (await isDir(path.join(root, d)))) splitDir = path.join(root, d);
  if (!splitDir) {
    throw new DatasetError(`no ${SPLIT_DIRS[opts.split][0]}/ folder`, {
      path: root,
      suggestion: `put the ${opts.split} images in ${path.join(root, SPLIT_DIRS[opts.split][0])}/<class>/ (ImageNet layout)`,
    });
  }
  const trainDir = path.join(root, 'train');
  const labels = await listSubdirs((await isDir(trainDir)) ? trainDir : splitDir);
  if (labels.length === 0 && opts.split !== 'test') {
    throw new DatasetError('no class folders', { path: (await isDir(trainDir)) ? trainDir : splitDir, suggestion: 'put images in one folder per class: train/<synset>/*.JPEG' });
  }
  const lookup = labelLookup(labels);
  const log = new ProblemLog();
  const samples: Sample[] = [];
  const subdirs = await listSubdirs(splitDir);
  if (subdirs.length > 0) {
    for (const d of subdirs) {
      const label = lookup(d);
      if (label < 0) {
        log.add('unknown-label', path.join(splitDir, d), null, `folder '${d}' is not a class of train/`);
        continue;
      }
      for (const f of await listDir(path.join(splitDir, d))) {
        if (IMAGE_EXT.test(f)) samples.push({ path: path.join(splitDir, d, f), label, kind: 'image' });
      }
    }
    if (opts.split === 'train') refuseEmptyClasses(splitDir, labels, samples);
  } else {
    samples.push(...(await readFlatSplit(root, splitDir, labels, opts, log)));
  }
  const displayNames = await readDisplayNames(root, labels);
  return {
    name: opts.name ?? 'imagefolder',
    format: 'imagefolder',
    split: opts.split,
    root,
    labels,
    ...(displayNames ? { displayNames } : {}),
    samples,
    problems: log.items,
    sampling: 'uniform',
    flipAllowed: true,
  };
}

/** Flat files in val/ (or test/) with labels from a label file; a test split without one is unlabelled. */
async function readFlatSplit(root: string, splitDir: string, labels: string[], opts: ImageFolderOptions, log: ProblemLog): Promise<Sample[]> {
  const images = (await listDir(splitDir)).filter((f) => IMAGE_EXT.test(f));
  const labelFile = opts.labelFile
    ? path.resolve(opts.labelFile)
    : await findFile([splitDir, root, path.join(root, 'devkit'), path.join(root, 'devkit', 'data'), path.join(root, 'ILSVRC2012_devkit_t12', 'data')], LABEL_FILES);
  if (!labelFile) {
    if (opts.split === 'test') return images.map((f) => ({ path: path.join(splitDir, f), label: -1, kind: 'image' as const }));
    throw new DatasetError(`${images.length} images in ${path.basename(splitDir)}/ but no label file for them`, {
      path: splitDir,
      suggestion: `move them into ${path.basename(splitDir)}/<synset>/ folders, or add a val.txt with '<filename> <synset>' lines (or LOC_val_solution.csv)`,
    });
  }
  if (path.basename(labelFile) === 'ILSVRC2012_validation_ground_truth.txt') {
    throw new DatasetError('the devkit ground truth uses ILSVRC2012_IDs, which need meta.mat to map to synsets', {
      path: labelFile,
      suggestion: 'sort val/ into synset folders (e.g. with the common valprep.sh script) or provide LOC_val_solution.csv or a val.txt',
    });
  }
  // Image file by name with and without its extension (LOC_val_solution.csv gives ImageIds without one).
  const byName = new Map<string, string>();
  for (const f of images) {
    byName.set(f, f);
    byName.set(f.replace(/\.[^.]+$/, ''), f);
  }
  const lookup = labelLookup(labels);
  const dirs = new DirCache();
  const lines = await readLines(labelFile, 'image label file', 'check the path');
  const kaggle = path.basename(labelFile) === 'LOC_val_solution.csv';
  const out: Sample[] = [];
  for (const { line, text } of kaggle ? lines.slice(1) : lines) {
    let file: string;
    let tag: string;
    if (kaggle) {
      const f = parseCsvLine(text);
      if (!f || f.length < 2 || !f[0] || !f[1]) {
        log.add('bad-row', labelFile, line, 'expected ImageId,PredictionString');
        continue;
      }
      [file, tag] = [f[0], f[1].trim().split(/\s+/)[0]];
    } else {
      const parts = text.trim().split(/\s+/);
      if (parts.length < 2) {
        log.add('bad-row', labelFile, line, `expected '<filename> <synset-or-index>', got '${text.trim()}'`);
        continue;
      }
      [file, tag] = [parts[0], parts[1]];
    }
    const label = /^\d+$/.test(tag) ? Number(tag) : lookup(tag);
    if (label < 0 || label >= labels.length) {
      log.add('unknown-label', labelFile, line, `label '${tag}' is not one of the ${labels.length} classes of train/`);
      continue;
    }
    const local = byName.get(path.basename(file));
    const p = local ? path.join(splitDir, local) : path.join(splitDir, file);
    if (!local && !(await dirs.has(p))) {
      const miss = await dirs.missing([p], 'image not found');
      log.add('missing-file', labelFile, line, miss.problem, miss.path);
      continue;
    }
    out.push({ path: p, label, kind: 'image', source: `${labelFile}:${line}` });
  }
  return out;
}

/** A DatasetError naming every class folder of train/ that holds no image (see the top of this file). */
function refuseEmptyClasses(trainDir: string, labels: string[], samples: Sample[]): void {
  const counts = new Array<number>(labels.length).fill(0);
  for (const s of samples) counts[s.label]++;
  const empty = labels.filter((_, i) => counts[i] === 0);
  if (empty.length === 0) return;
  const shown = empty.slice(0, 5).map((l) => `${l}/`).join(', ') + (empty.length > 5 ? ` and ${empty.length - 5} more` : '');
  throw new DatasetError(`${empty.length} class folder${empty.length === 1 ? '' : 's'} without an image file: ${shown}`, {
    path: trainDir,
    suggestion: 'put the images of each class in its folder, or remove the empty folders (each folder of train/ is a class)',
  });
}

/**
 * Human-readable names from a synset mapping file (the first of NAME_FILES, in the root, its devkit folder or the
 * root's parent, that names at least one class), or undefined when there is none. Lines are `<synset> <names>`, space-
 * or tab-separated (`n01440764 tench, Tinca tinca` in LOC_synset_mapping.txt / synset_words.txt,
 * `n01440764\ttench, Tinca tinca` in words.txt). A class the file does not name keeps its id.
 */
async function readDisplayNames(root: string, labels: string[]): Promise<string[] | undefined> {
  const dirs = [root, path.join(root, 'devkit'), path.join(root, 'devkit', 'data'), path.dirname(root)];
  const wanted = new Set(labels);
  for (const dir of dirs) {
    for (const name of NAME_FILES) {
      const file = await findFile([dir], [name]);
      if (!file) continue;
      const names = new Map<string, string>();
      for (const { text } of await readLines(file, 'synset mapping', 'check the file, or remove it to show the class ids')) {
        const m = /^(\S+)\s+(.*\S)/.exec(text.trim());
        if (m && wanted.has(m[1])) names.set(m[1], m[2].trim());
      }
      if (names.size > 0) return labels.map((l) => names.get(l) ?? l);
    }
  }
  return undefined;
}
