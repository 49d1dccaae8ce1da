// A run's folder (`--out` of pretrain, cotrain and transfer) is claimed once, before any work: a folder that already
// holds a run is refused with one line unless the user continues it (`--resume`) or replaces it (`--overwrite`), so a
// second `cover cotrain` never wipes the first one's checkpoint and log. A run's files are cover's own: checkpoint/,
// log.jsonl, tb/ (TensorBoard events), result.json, report.html, predictions.csv (a study's arms), and for a transfer
// transfer.json and its stage folders. `--overwrite` removes those and nothing else; a file of one of those names that
// cover did not write is never replaced, even when asked. Inside checkpoint/ only cover's files are cover's: a user's notes there are kept by
// --overwrite and by every save.

import * as fs from 'fs';
import * as path from 'path';
import { CHECKPOINT_FORMAT } from '../checkpoint/checkpoint';
import { CHECKPOINT_FILES, CONFIG_FILE, leftovers, recoverFolder } from '../checkpoint/folder';
import { fileError, UsageError } from '../errors';
import { isOwnEventsFolder } from './tensorboard';

/** The files of a run folder that cover writes. */
export const CHECKPOINT_DIR = 'checkpoint';
export const LOG_FILE = 'log.jsonl';
/** TensorBoard's events files of the run (tensorboard.ts). */
export const TB_DIR = 'tb';
export const REPORT_FILE = 'report.html';
export const RESULT_FILE = 'result.json';
/** The final evaluation's prediction for every val clip, written when a run is asked for it (a study's arms). */
export const PREDICTIONS_FILE = 'predictions.csv';
export const PREDICTIONS_HEADER = 'head,clip,label,predicted,correct';
/** Written at a transfer's --out: what its stage folders are, so that a later run there knows them. */
export const TRANSFER_FILE = 'transfer.json';
export const TRANSFER_GENERATOR = 'cover transfer';

export interface RunClaimOptions {
  /** Continue the run in the folder (`--resume`): nothing is checked or removed here. */
  resume?: boolean;
  /** Replace the run in the folder (`--overwrite`): cover's files of it are removed. */
  overwrite?: boolean;
  /** Sub-run folders this run will write (a transfer's stages), claimed with it. */
  stages?: string[];
  /** Whether the refusal suggests `--resume` (a transfer cannot be resumed as a whole). */
  resumable?: boolean;
  /** What the run reads (--init, --from): refused when `overwrite` would remove it first. */
  inputs?: Array<string | undefined>;
  log?: (line: string) => void;
}

/** One of cover's files of a run: `own` when cover wrote it, otherwise it is the user's and is never touched. */
interface RunFile {
  path: string;
  own: boolean;
}

/** The run found in a folder: its files (stage folders' included) and what a message calls it. */
export interface FoundRun {
  files: string[];
  stages: string[];
  what: string;
}

/**
 * Checks `out` for a new run without changing anything: throws the refusal (UsageError, one line) when it holds a run
 * and `overwrite` is not given; returns the run `overwrite` would replace, or null. The CLI calls it before any work.
 */
export function checkRunDir(out: string, opts: RunClaimOptions = {}): FoundRun | null {
  if (opts.resume && opts.overwrite) {
    throw new UsageError('--resume and --overwrite cannot be used together', { suggestion: 'give --resume to continue the run in --out, or --overwrite to replace it' });
  }
  checkWritableFolder(out);
  if (opts.resume) return null; // the trainer checks that there is a checkpoint to continue
  const stages = [...new Set([...(opts.stages ?? []), ...transferStagesIn(out)])].filter(isStageName);
  const files = [...runFilesIn(out), ...stages.flatMap((s) => runFilesIn(path.join(out, s)))];
  const foreign = files.find((f) => !f.own);
  if (foreign) {
    throw new UsageError('exists and was not written by cover, so a run will not write over it', { path: foreign.path, suggestion: 'choose another --out' });
  }
  if (files.length === 0) return null;
  const what = describeRun(out, stages);
  if (!opts.overwrite) {
    const ck = path.join(out, CHECKPOINT_DIR);
    const resumable = opts.resumable !== false && (checkpointStep(ck) !== undefined || leftovers(ck).some((l) => l.complete));
    const early = opts.resumable !== false && !resumable && fs.existsSync(path.join(out, LOG_FILE));
    throw new UsageError(`already holds a run (${what}${early ? '; it stopped before its first checkpoint, so there is nothing to resume' : ''})`, {
      path: out,
      suggestion: `${resumable ? 'continue it with --resume, ' : ''}replace it with --overwrite, or choose another --out`,
    });
  }
  for (const input of opts.inputs ?? []) {
    const inside = input && files.find((f) => isInside(path.resolve(input), path.resolve(f.path)));
    if (inside) {
      throw new UsageError(`${input} is part of the run that --overwrite would remove`, {
        path: out,
        suggestion: 'copy it to another folder first and start from the copy, or choose another --out',
      });
    }
  }
  return { files: files.map((f) => f.path), stages, what };
}

/**
 * Claims `out` for a new run, just before its first write: `checkRunDir`, then with `overwrite` the earlier run's files
 * are removed (its stage folders too when they are left empty). Calling it again for the same run is harmless.
 *
 * @example
 * claimRunDir('runs/cotrain', {});
 * // UsageError: runs/cotrain: already holds a run (checkpoint at step 40)
 * //   (fix: continue it with --resume, replace it with --overwrite, or choose another --out)
 */
export function claimRunDir(out: string, opts: RunClaimOptions = {}): void {
  for (const s of ['', ...(opts.stages ?? [])]) recoverFolder(path.join(out, s, CHECKPOINT_DIR), opts.log);
  const found = checkRunDir(out, opts);
  if (!found) return;
  for (const f of found.files) {
    if (path.basename(f) === CHECKPOINT_DIR) removeCheckpointFiles(f);
    else fs.rmSync(f, { recursive: true, force: true });
  }
  for (const s of found.stages) removeIfEmpty(path.join(out, s));
  opts.log?.(`replacing the run in ${out} (${found.what})`);
}

/**
 * Refuses an --out that cannot become a run folder, before any work: empty, a file, under a file, or on a disk this
 * process cannot write (read-only, no permission).
 */
export function checkWritableFolder(out: string): void {
  if (out.trim() === '') throw new UsageError('--out is empty', { suggestion: 'give the folder the run writes to, e.g. --out runs/first' });
  let existing = path.resolve(out);
  for (;;) {
    try {
      const st = fs.statSync(existing);
      if (!st.isDirectory()) {
        throw new UsageError(existing === path.resolve(out) ? 'is a file, not a folder' : `${existing} is a file, so the folder cannot be made`, {
          path: out,
          suggestion: 'give --out a folder (it is created when missing), not a file',
        });
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(err, out, 'use it as the run folder');
      existing = path.dirname(existing);
    }
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw fileError(err, existing === path.resolve(out) ? out : existing, 'write the run folder there');
  }
}

/** What a refusal names: the checkpoint's step, else the files (a transfer: its stages). */
export function describeRun(out: string, stages: string[] = []): string {
  const step = checkpointStep(path.join(out, CHECKPOINT_DIR));
  if (step !== undefined) return step === null ? 'a checkpoint' : `checkpoint at step ${step}`;
  const withRuns = stages.filter((s) => runFilesIn(path.join(out, s)).length > 0);
  if (withRuns.length > 0) return `transfer stages ${withRuns.join(', ')}`;
  return runFilesIn(out).map((f) => path.basename(f.path)).join(', ');
}

/** cover's files of one run in `dir` (not looking into stage folders); `[]` when there is none or no folder. */
function runFilesIn(dir: string): RunFile[] {
  const found: RunFile[] = [];
  const add = (name: string, own: (p: string) => boolean) => {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) found.push({ path: p, own: own(p) });
  };
  if (holdsCheckpointFiles(path.join(dir, CHECKPOINT_DIR))) add(CHECKPOINT_DIR, isOwnCheckpoint);
  add(LOG_FILE, isOwnLog);
  add(TB_DIR, isOwnEventsFolder);
  add(RESULT_FILE, (p) => hasKeys(readJson(p), ['checkpoint', 'config']));
  add(REPORT_FILE, (p) => isFile(p) && /<title>cover /.test(fs.readFileSync(p, 'utf8')));
  add(PREDICTIONS_FILE, (p) => isFile(p) && fs.readFileSync(p, 'utf8').startsWith(`${PREDICTIONS_HEADER}\n`));
  add(TRANSFER_FILE, (p) => (readJson(p) as { generator?: unknown } | undefined)?.generator === TRANSFER_GENERATOR);
  // Left behind by a save that was killed half-way (checkpoint/folder.ts); the claim restores or removes them first.
  if (found.length > 0) for (const l of leftovers(path.join(dir, CHECKPOINT_DIR))) found.push({ path: l.path, own: true });
  return found;
}

/** Whether `p` is a file, or a folder holding one of cover's checkpoint files (one holding only a user's notes is not a run). */
function holdsCheckpointFiles(p: string): boolean {
  if (!fs.existsSync(p)) return false;
  return !fs.statSync(p).isDirectory() || CHECKPOINT_FILES.some((f) => fs.existsSync(path.join(p, f)));
}

function isOwnCheckpoint(p: string): boolean {
  if (!fs.statSync(p).isDirectory()) return false;
  return (readJson(path.join(p, CONFIG_FILE)) as { format?: unknown } | undefined)?.format === CHECKPOINT_FORMAT;
}

/** --overwrite in checkpoint/: cover's files and `cover eval`'s confusion CSVs go; anything else stays. */
function removeCheckpointFiles(dir: string): void {
  if (!fs.statSync(dir).isDirectory()) return;
  for (const f of CHECKPOINT_FILES) fs.rmSync(path.join(dir, f), { force: true });
  const evalDir = path.join(dir, 'eval');
  for (const f of safeReaddir(evalDir)) if (/^confusion_.*\.csv$/.test(f)) fs.rmSync(path.join(evalDir, f), { force: true });
  removeIfEmpty(evalDir);
  removeIfEmpty(dir);
}

/** A log cover writes: JSON lines of type start, step or eval (an empty one is a run killed before its first line). */
function isOwnLog(p: string): boolean {
  if (!isFile(p)) return false;
  const first = fs.readFileSync(p, 'utf8').split('\n').find((l) => l.trim() !== '');
  if (first === undefined) return true;
  try {
    const e = JSON.parse(first) as { type?: unknown };
    return ['start', 'step', 'eval'].includes(e.type as string);
  } catch {
    return false;
  }
}

/** The step a checkpoint was saved at; null for a checkpoint without one; undefined when there is none. */
function checkpointStep(dir: string): number | null | undefined {
  const config = readJson(path.join(dir, CONFIG_FILE)) as { format?: unknown; extra?: { run?: { step?: unknown } } } | undefined;
  if (config?.format !== CHECKPOINT_FORMAT) return undefined;
  const step = config.extra?.run?.step;
  return typeof step === 'number' ? step : null;
}

/** The stage folders an earlier transfer in `out` recorded. */
function transferStagesIn(out: string): string[] {
  const t = readJson(path.join(out, TRANSFER_FILE)) as { generator?: unknown; stages?: unknown } | undefined;
  if (t?.generator !== TRANSFER_GENERATOR || !Array.isArray(t.stages)) return [];
  return t.stages.filter((s): s is string => typeof s === 'string');
}

/** A stage is a plain folder name inside the run (never `..` or a path), whatever a transfer.json says. */
function isStageName(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\\');
}

function readJson(p: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch {
    return undefined;
  }
}

function hasKeys(v: unknown, keys: string[]): boolean {
  return typeof v === 'object' && v !== null && keys.every((k) => k in v);
}

function isFile(p: string): boolean {
  return fs.statSync(p).isFile();
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function removeIfEmpty(dir: string): void {
  if (fs.existsSync(dir) && safeReaddir(dir).length === 0) fs.rmdirSync(dir);
}
