// Reading the text files datasets ship their annotations in: CSV rows (RFC 4180 quoting, one record per line, as the
// Kinetics, Moments-in-Time and manifest files are written) and plain lines, each kept with its 1-based line number so
// that a bad row is reported as `file:line`.

import { promises as fs } from 'fs';
import { DatasetError } from '../../errors';

export interface TextLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
}

/** Reads a text file as lines (BOM and `\r` removed, blank lines dropped); a missing file is a DatasetError. */
export async function readLines(file: string, what: string, fix: string): Promise<TextLine[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read the ${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      path: file,
      suggestion: fix,
      cause: err,
    });
  }
  return splitLines(text);
}

export function splitLines(text: string): TextLine[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: TextLine[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i].replace(/\r$/, '');
    if (t.trim() !== '') out.push({ line: i + 1, text: t });
  }
  return out;
}

/**
 * Splits one CSV record into fields: commas separate, double quotes protect commas and `""` is a literal quote.
 * Returns null for an unterminated quote (a malformed row).
 * @example
 * parseCsvLine('"passing American football (in game)",abc,1,11') // ['passing American football (in game)', 'abc', '1', '11']
 */
export function parseCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQuotes) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        cur += c;
      }
    } else if (c === '"' && cur.trim() === '') {
      inQuotes = true;
      cur = '';
    } else if (c === ',') {
      fields.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  if (inQuotes) return null;
  fields.push(cur.trim());
  return fields;
}

/** Quotes a field for writing when it needs it (commas, quotes, leading/trailing spaces). */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number of seconds from a CSV field: `12`, `12.5`; null when empty or not a finite, non-negative number. */
export function parseSeconds(s: string | undefined): number | null {
  if (s === undefined || s.trim() === '') return null;
  const v = Number(s);
  return Number.isFinite(v) && v >= 0 ? v : null;
}
