// The --out folder of `cover export`, claimed before anything is written, by the rule run folders follow
// (src/train/run_dir.ts): a folder that holds anything is refused with one line unless `--overwrite` is given, and even
// then only an earlier export's own files are replaced. An export records its files in cover_export.json, written
// last; a file of an export's names that no cover_export.json lists is the user's and is never replaced.

import * as fs from 'fs';
import * as path from 'path';
import { listNames } from '../checkpoint/key_maps';
import { fileError, UsageError } from '../errors';

export const MANIFEST_FILE = 'cover_export.json';
export const MANIFEST_FORMAT = 'cover-export';

/** What cover_export.json says (the fields the claim reads). */
export interface ExportManifest {
  format: typeof MANIFEST_FORMAT;
  export_format: string;
  checkpoint: string;
  head: string;
  files: string[];
}

/**
 * Makes `out` ready for an export that writes `files` (names inside it): creates it, or with `overwrite` removes an
 * earlier export's files; throws the refusal otherwise. Nothing is removed when it throws.
 *
 * @example
 * claimExportDir('exports/k400', ['config.json', 'model.safetensors'], false);
 * // UsageError: exports/k400: already holds a cover export (hf of head k400 from runs/a/checkpoint)
 * //   (fix: replace it with --overwrite, or choose another --out)
 */
export function claimExportDir(out: string, files: string[], overwrite = false): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(out);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) throw new UsageError('is a file, not a folder', { path: out, suggestion: 'give --out a new or empty folder' });
  const present = st ? fs.readdirSync(out) : [];
  if (present.length === 0) {
    try {
      fs.mkdirSync(out, { recursive: true });
    } catch (err) {
      throw fileError(err, out, 'create the export folder', 'folder');
    }
    return;
  }
  const earlier = readManifest(out);
  if (!overwrite) {
    throw new UsageError(
      earlier ? `already holds a cover export (${earlier.export_format} of head ${earlier.head} from ${earlier.checkpoint})` : `is not empty (${listNames(present, 4)})`,
      { path: out, suggestion: earlier ? 'replace it with --overwrite, or choose another --out' : 'choose a new or empty --out' },
    );
  }
  const owned = new Set(earlier ? [...earlier.files, MANIFEST_FILE] : []);
  const foreign = [...files, MANIFEST_FILE].find((f) => present.includes(f) && !owned.has(f));
  if (foreign) {
    throw new UsageError('exists and was not written by cover export, so --overwrite will not replace it', {
      path: path.join(out, foreign),
      suggestion: 'choose another --out',
    });
  }
  // The manifest first: a removal cut short leaves files that no manifest claims, which the next export then refuses.
  for (const f of [MANIFEST_FILE, ...(earlier?.files ?? [])]) fs.rmSync(path.join(out, f), { force: true });
}

/** The export recorded in `dir`, or undefined when there is none (or it is not one of cover's). */
export function readManifest(dir: string): ExportManifest | undefined {
  let json: Partial<ExportManifest>;
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Partial<ExportManifest>;
  } catch {
    return undefined;
  }
  const files = json.files;
  const plainNames = Array.isArray(files) && files.every((f) => typeof f === 'string' && f === path.basename(f) && f !== '..' && f !== '.');
  if (json.format !== MANIFEST_FORMAT || !plainNames) return undefined;
  return json as ExportManifest;
}
