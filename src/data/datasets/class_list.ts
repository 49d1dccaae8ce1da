// Class lists shipped next to a dataset: `classes.txt` (one name per line, or `name,index` lines as in Moments-in-Time's
// moments_categories.txt) and `classes.json` (a list of names, `{name: index}` as PySlowFast's classids.json, or
// `{index: name}`). Returns the names in class-id order.

import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../errors';
import { splitLines } from './csv';
import { unreadableError } from './fs_errors';

export async function readClassList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw unreadableError(err, file, 'class list', 'file');
  }
  return path.extname(file).toLowerCase() === '.json' ? parseClassJson(text, file) : parseClassText(text, file);
}

function parseClassText(text: string, file: string): string[] {
  const lines = splitLines(text);
  const indexed = lines.length > 0 && lines.every((l) => /^.+,\s*\d+\s*$/.test(l.text));
  if (!indexed) return lines.map((l) => l.text.trim());
  const pairs = lines.map((l) => {
    const at = l.text.lastIndexOf(',');
    return { name: l.text.slice(0, at).trim(), index: Number(l.text.slice(at + 1)), line: l.line };
  });
  return fromPairs(pairs, file);
}

function parseClassJson(text: string, file: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`the class list is not valid JSON (${(err as Error).message})`, {
      path: file,
      suggestion: 'fix the JSON: a list of names, {"name": index} or {"index": "name"}',
    });
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    const isIndex = (x: unknown): boolean =>
      (typeof x === 'number' && Number.isInteger(x)) || (typeof x === 'string' && /^\d+$/.test(x));
    if (entries.every(([, val]) => isIndex(val))) {
      return fromPairs(entries.map(([name, val]) => ({ name, index: Number(val), line: null })), file);
    }
    if (entries.every(([k, val]) => /^\d+$/.test(k) && typeof val === 'string')) {
      return fromPairs(entries.map(([k, val]) => ({ name: val as string, index: Number(k), line: null })), file);
    }
  }
  throw new DatasetError('the class list has an unknown shape', {
    path: file,
    suggestion: 'use a list of names, {"name": index} or {"index": "name"}',
  });
}

/** Names placed by their explicit indices; the indices must be exactly 0..n-1. */
function fromPairs(pairs: Array<{ name: string; index: number; line: number | null }>, file: string): string[] {
  const out: string[] = new Array(pairs.length);
  for (const p of pairs) {
    const where = p.line === null ? file : `${file}:${p.line}`;
    if (!(p.index >= 0 && p.index < pairs.length) || out[p.index] !== undefined) {
      throw new DatasetError(`class index ${p.index} of '${p.name}' is out of range or repeated (expected 0..${pairs.length - 1}, each once)`, {
        path: where,
        suggestion: 'number the classes 0..N-1 without gaps',
      });
    }
    out[p.index] = p.name;
  }
  return out;
}
