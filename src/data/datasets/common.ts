// What every dataset reader shares: its options, the check that a root exists, finding an annotation file among the
// names a dataset is published under, and a directory-listing cache so that checking hundreds of thousands of files
// costs one readdir per folder instead of one stat per file.

import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { DatasetIndex, IndexProblem, IndexProblemKind } from '../types';

export type Split = DatasetIndex['split'];
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface ReadOptions {
  split: Split;
  /** Short name for the index (`k400`, `demo-ssv2`); defaults to the format's name. */
  name?: string;
}

export const VIDEO_EXT = /\.(mp4|webm|mkv|avi|mov|m4v|mpe?g|ogv|flv|3gp)$/i;
export const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|gif|tiff?)$/i;

/** Throws a DatasetError unless `root` is an existing folder. */
export async function requireDir(root: string, what: string, fix: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(root);
  } catch {
    throw new DatasetError(`${what} does not exist`, { path: root, suggestion: fix });
  }
  if (!st.isDirectory()) throw new DatasetError(`${what} is not a folder`, { path: root, suggestion: fix });
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

export async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Names in a folder (files and sub-folders), sorted; empty when the folder does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** Sub-folders of a folder, sorted by name (ImageFolder class order). */
export async function listSubdirs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(path.join(dir, e.name))))) out.push(e.name);
  }
  return out.sort(compareCodePoints);
}

/** Byte-order string comparison, as Python's sorted() and ImageFolder use (not locale order). */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Answers "does this file exist" from one cached readdir per folder. */
export class DirCache {
  private readonly listings = new Map<string, Promise<Set<string>>>();

  has(file: string): Promise<boolean> {
    return this.list(path.dirname(file)).then((s) => s.has(path.basename(file)));
  }

  list(dir: string): Promise<Set<string>> {
    let p = this.listings.get(dir);
    if (!p) {
      p = fs.readdir(dir).then(
        (names) => new Set(names),
        () => new Set<string>(),
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
