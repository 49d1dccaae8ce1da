// What every dataset reader shares: its options, the check that a root exists, finding an annotation file among the
// names a dataset is published under, choosing the file of a split when the user named another split's file, and a
// directory-listing cache so that checking hundreds of thousands of files costs one readdir per folder instead of one
// stat per file. A folder or file that is not there is absent (an empty listing, false); one that is there but cannot
// be read (EACCES, ELOOP, EIO) is a DatasetError saying why (fs_errors.ts), never an empty listing.

import { Stats, constants as fsConstants, promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, IndexProblem, IndexProblemKind } from '../types';
import { errnoCode, fsProblem, isAbsent } from '../../fs_problem';
import { unreadableError } from './fs_errors';

export type Split = DatasetIndex['split'];
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface ReadOptions {
  split: Split;
  /** Short name for the index (`k400`, `demo-ssv2`); defaults to the format's name. */
  name?: string;
}

export const VIDEO_EXT = /\.(mp4|webm|mkv|avi|mov|m4v|mpe?g|ogv|flv|3gp)$/i;
export const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|gif|tiff?)$/i;

/** Throws a DatasetError unless `root` is an existing folder this user can list. */
export async function requireDir(root: string, what: string, fix: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(root);
  } catch (err) {
    if (isAbsent(err)) throw new DatasetError(`${what} does not exist`, { path: root, suggestion: fix });
    throw unreadableError(err, root, what.replace(/^the /, ''), 'folder');
  }
  if (!st.isDirectory()) throw new DatasetError(`${what} is not a folder`, { path: root, suggestion: fix });
  try {
    await fs.access(root, fsConstants.R_OK | fsConstants.X_OK);
  } catch (err) {
    throw unreadableError(err, root, what.replace(/^the /, ''), 'folder');
  }
}

/** The first of `dirs` x `names` that is a file, or null. */
export async function findFile(dirs: string[], names: string[]): Promise<string | null> {
  for (const d of dirs) {
    for (const n of names) {
      const p = path.join(d, n);
      if (await isFile(p)) return p;
    }
  }
  return null;
}

/**
 * The file to read for `split` when the user gave one split's file (`--data mine=manifest:DIR/train.csv`): the file
 * itself when its name gives that split (`named`), or gives none and the train split is asked; else the file named for
 * `split` beside it (`sibling`). Rows of one split are never read as another's: without that file it is a DatasetError.
 * @example
 * await fileForSplit('/d/train.csv', 'val', 'train', () => findManifest('/d', 'val'), 'val.csv') // '/d/val.csv'
 */
export async function fileForSplit(file: string, split: Split, named: Split | null, sibling: () => Promise<string | null>, wanted: string): Promise<string> {
  if (named === split || (named === null && split === 'train')) return file;
  const other = named === null ? null : await sibling();
  if (other) return other;
  const dir = path.dirname(file);
  if (named === null) {
    throw new DatasetError(`its name gives no split, so cover reads it only as the train split, not as the ${split} split`, {
      path: file,
      suggestion: `name the ${split} file ${wanted} (next to train.csv), or read this one as it is with --split train`,
    });
  }
  throw new DatasetError(`holds the ${named} split (by its name), and there is no ${split} file next to it`, {
    path: file,
    suggestion: `add ${wanted} to ${dir}, or give the ${split} file itself`,
  });
}

/** stat(p), or null when nothing is there; a path that is there but cannot be read is a DatasetError. */
async function statIfThere(p: string, kind: 'file' | 'folder'): Promise<Stats | null> {
  try {
    return await fs.stat(p);
  } catch (err) {
    if (isAbsent(err)) return null;
    throw unreadableError(err, p, kind, kind);
  }
}

export async function isFile(p: string): Promise<boolean> {
  return (await statIfThere(p, 'file'))?.isFile() ?? false;
}

export async function isDir(p: string): Promise<boolean> {
  return (await statIfThere(p, 'folder'))?.isDirectory() ?? false;
}

/** Names in a folder (files and sub-folders), sorted; empty when the folder does not exist, a DatasetError when it cannot be read. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    if (isAbsent(err)) return [];
    throw unreadableError(err, dir, 'folder', 'folder');
  }
}

/**
 * Sub-folders of a folder, sorted by name (ImageFolder class order); symlinks to folders count. A link that loops
 * (`self -> .`, or to any folder above it) or cannot be followed is a DatasetError: it is neither a class nor nothing.
 * A broken link named like a media file is left to the reader, which counts that file.
 */
export async function listSubdirs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw unreadableError(err, dir, 'folder', 'folder');
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink() && (await isFolderLink(dir, e.name))) out.push(e.name);
  }
  return out.sort(compareCodePoints);
}

/** Whether the link `dir/name` leads to a folder; a loop or a link that cannot be followed is a DatasetError. */
async function isFolderLink(dir: string, name: string): Promise<boolean> {
  const link = path.join(dir, name);
  let st;
  try {
    st = await fs.stat(link);
  } catch (err) {
    if (IMAGE_EXT.test(name) || VIDEO_EXT.test(name)) return false;
    if (errnoCode(err) === 'ENOENT') {
      throw new DatasetError(`is a symbolic link to ${await fs.readlink(link)}, which does not exist`, {
        path: link,
        suggestion: 'remove the link, or restore (mount) the folder it points at',
      });
    }
    throw unreadableError(err, link, 'folder link', 'folder');
  }
  if (!st.isDirectory()) return false;
  const [target, here] = [await fs.realpath(link), await fs.realpath(dir)];
  if (here === target || here.startsWith(target + path.sep)) {
    throw new DatasetError(`is a symbolic link to ${target}, a folder that holds it: a loop, not a class folder`, {
      path: link,
      suggestion: 'remove the link, or point it at the folder of its own class',
    });
  }
  return true;
}

/** Byte-order string comparison, as Python's sorted() and ImageFolder use (not locale order). */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Answers "does this file exist" from one cached readdir per folder. A folder that is there but cannot be read answers
 * no, and `missing` says so in the problem it gives for the row instead of "not found".
 */
export class DirCache {
  /** Each folder's names, or the error that kept it from being read. */
  private readonly listings = new Map<string, Promise<Set<string> | Error>>();

  async has(file: string): Promise<boolean> {
    const names = await this.list(path.dirname(file));
    return names instanceof Set && names.has(path.basename(file));
  }

  list(dir: string): Promise<Set<string> | Error> {
    let p = this.listings.get(dir);
    if (!p) {
      p = fs.readdir(dir).then(
        (names) => new Set(names),
        (err: Error) => (isAbsent(err) ? new Set<string>() : err),
      );
      this.listings.set(dir, p);
    }
    return p;
  }

  /** The first candidate that exists, or null. */
  async first(candidates: string[]): Promise<string | null> {
    for (const c of candidates) if (await this.has(c)) return c;
    return null;
  }

  /**
   * The problem to log for a row none of whose `candidates` exists: `notFound` at `fallback` (or the first candidate),
   * or, when a candidate's folder is there but cannot be read, why, at that folder.
   */
  async missing(candidates: string[], notFound: string, fallback = candidates[0]): Promise<{ problem: string; path: string }> {
    for (const c of candidates) {
      const names = await this.list(path.dirname(c));
      if (names instanceof Error) {
        const { message, suggestion } = fsProblem(names, 'folder');
        return { problem: `its folder cannot be read: ${message} (fix: ${suggestion})`, path: path.dirname(c) };
      }
    }
    return { problem: notFound, path: fallback };
  }
}

/** Collects reading problems with their `file:line` source. */
export class ProblemLog {
  readonly items: IndexProblem[] = [];
  private readonly lines: number[] = [];

  add(kind: IndexProblemKind, file: string, line: number | null, problem: string, filePath?: string): void {
    const source = line === null ? file : `${file}:${line}`;
    this.items.push(filePath === undefined ? { kind, source, problem } : { kind, source, problem, path: filePath });
    this.lines.push(line ?? 0);
  }

  /** Puts the problems in line order (for readers that find them in more than one pass). */
  sortByLine(): void {
    const order = this.items.map((_, i) => i).sort((a, b) => this.lines[a] - this.lines[b] || a - b);
    const items = order.map((i) => this.items[i]);
    const lines = order.map((i) => this.lines[i]);
    items.forEach((it, i) => (this.items[i] = it));
    lines.forEach((l, i) => (this.lines[i] = l));
  }
}

/** Maps label names to class ids; `-1` for a name not in the list. */
export function labelLookup(labels: string[]): (name: string) => number {
  const m = new Map(labels.map((l, i) => [l, i]));
  return (name) => m.get(name) ?? -1;
}

/**
 * Most classes a dataset may get by naming them '0'..max from its label indices (without a class list). ImageNet-21k
 * has 21,841; a larger index is a typo (`9999999999`), and naming every class up to it would allocate that many.
 */
export const MAX_INDEXED_CLASSES = 100_000;

/** Class names '0'..max for label indices, the largest at `where` (`file:line`); an absurd index is a DatasetError. */
export function indexedClassNames(max: number, where: string | null): string[] {
  if (max >= MAX_INDEXED_CLASSES) {
    throw new DatasetError(`label index ${max} would make ${max + 1} classes (cover allows up to ${MAX_INDEXED_CLASSES} without a class list)`, {
      path: where ?? undefined,
      suggestion: 'fix the label index on that line, or put a class list (classes.txt, one name per line) next to the file',
    });
  }
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}
