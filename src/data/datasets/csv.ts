// Reading the text files datasets ship their annotations in: CSV rows (RFC 4180 quoting, one record per line, as the
// Kinetics, Moments-in-Time and manifest files are written) and plain lines, each kept with its 1-based line number so
// that a bad row is reported as `file:line`; and the numbers in them, each parsed strictly and held to a range, so
// that a typo is a bad row, never NaN, a hex number or a week of video flowing on.

import { promises as fs } from 'fs';
import { DatasetError } from '../../errors';
import { errnoCode, fsProblem } from '../../fs_problem';

export interface TextLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
}

/**
 * Reads a text file as lines (BOM and `\r` removed, blank lines dropped); a file that is missing or cannot be read is a
 * DatasetError saying why, with `fix` for a missing one and the fix of the cause otherwise.
 */
export async function readLines(file: string, what: string, fix: string): Promise<TextLine[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const { message, suggestion } = fsProblem(err, 'file');
    throw new DatasetError(`cannot read the ${what}: ${message}`, {
      path: file,
      suggestion: errnoCode(err) === 'ENOENT' ? fix : suggestion,
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

/** Latest time a clip window may name, seconds: a day. Later is a typo or a unit mistake (milliseconds). */
export const MAX_SECONDS = 86_400;

/** A plain decimal, optionally with an exponent (`12`, `12.5`, `.5`, `1e-3`): no sign, hex, `Infinity` or blanks. */
const DECIMAL = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A number of seconds from a text field: `12`, `12.5`; null when empty, not a plain decimal, or outside 0..MAX_SECONDS.
 * @example
 * [parseSeconds('12.5'), parseSeconds('0x10'), parseSeconds('1e9'), parseSeconds('-1')] // [12.5, null, null, null]
 */
export function parseSeconds(s: string | undefined): number | null {
  if (s === undefined || !DECIMAL.test(s.trim())) return null;
  const v = Number(s);
  return v >= 0 && v <= MAX_SECONDS ? v : null;
}

/** A class index from a text field: digits only, a safe integer; null otherwise (`1.0`, `0x1`, `-1`, `1e3`). */
export function parseIndex(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s.trim())) return null;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : null;
}
