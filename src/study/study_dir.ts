// A study's folder: study.json (what was planned and what came of it, rewritten after every arm), study.md, study.html,
// and one run folder per arm (`seed0/single_k400`, ...). Running the same study again continues it: finished arms are
// reused and a stopped one resumes. A folder that holds a study with another plan is refused unless --overwrite is given
// (then that study's own files are removed, nothing else); a folder with other files in it is never written into.

import * as fs from 'fs';
import * as path from 'path';
import { writeAtomically } from '../checkpoint/safetensors';
import { fileError, UsageError } from '../errors';
import { readPredictions } from '../eval/predictions';
import { claimRunDir, PREDICTIONS_FILE } from '../run/run_dir';
import type { ArmClips } from './summary';

export const STUDY_FILE = 'study.json';
export const STUDY_MD = 'study.md';
export const STUDY_HTML = 'study.html';
export const STUDY_GENERATOR = 'cover study';

/** What must be the same for a study folder to be continued: the spec, the shared run settings, the arms. */
export type StudyPlan = Record<string, unknown>;

export interface SavedStudy {
  generator?: unknown;
  plan?: StudyPlan;
  arms?: Array<{ id?: unknown }>;
}

function readStudy(dir: string): SavedStudy | null {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, STUDY_FILE), 'utf8')) as SavedStudy;
    return s.generator === STUDY_GENERATOR ? s : null;
  } catch {
    return null;
  }
}

/** The top-level keys (and spec keys) in which two plans differ: `steps 20, not 40`. */
function planDifference(was: StudyPlan, now: StudyPlan): string {
  const diffs: string[] = [];
  const flat = (p: StudyPlan): Record<string, unknown> => ({ ...(p.spec as object), ...(p.config as object), arms: (p.arms as unknown[])?.length });
  const [a, b] = [flat(was), flat(now)];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) diffs.push(`${k} ${JSON.stringify(a[k])}, not ${JSON.stringify(b[k])}`);
  }
  return diffs.slice(0, 3).join('; ') || 'another plan';
}

/**
 * Claims `dir` for the study `plan`: returns 'new' (nothing there), 'continue' (the same study: its arms are reused or
 * resumed) or 'replaced' (another study, removed because `overwrite` was given). Throws the one-line refusal otherwise.
 */
export function claimStudyDir(dir: string, plan: StudyPlan, opts: { overwrite?: boolean; log?: (line: string) => void } = {}): 'new' | 'continue' | 'replaced' {
  const saved = checkStudyDir(dir);
  if (!saved) return 'new';
  if (JSON.stringify(saved.plan) === JSON.stringify(plan)) return 'continue';
  if (!opts.overwrite) {
    throw new UsageError(`already holds another study (${planDifference(saved.plan ?? {}, plan)})`, {
      path: dir,
      suggestion: 'run that study\'s command again to continue it, replace it with --overwrite, or choose another --out',
    });
  }
  // The earlier study's arms: cover's files of each run (checkpoint/, log.jsonl, ...), then the folders left empty.
  for (const a of saved.arms ?? []) {
    if (typeof a.id !== 'string' || a.id.split('/').some((p) => p === '' || p === '.' || p === '..')) continue;
    const run = path.join(dir, a.id);
    if (!fs.existsSync(run)) continue;
    claimRunDir(run, { overwrite: true });
    removeEmptyUpTo(run, dir);
  }
  for (const f of [STUDY_FILE, STUDY_MD, STUDY_HTML]) fs.rmSync(path.join(dir, f), { force: true });
  opts.log?.(`replacing the study in ${dir}`);
  return 'replaced';
}

/**
 * What `dir` holds, checked before any work: null when it is absent or empty, the study saved there, or the one-line
 * refusal when it holds anything else.
 */
export function checkStudyDir(dir: string): SavedStudy | null {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new UsageError(`--out is not a folder cover can write (${code})`, { path: dir, suggestion: 'choose another --out' });
  }
  if (entries.length === 0) return null;
  const saved = readStudy(dir);
  if (!saved) {
    throw new UsageError('--out is a folder with other files in it, not a cover study; cover will not write into it', { path: dir, suggestion: 'choose a new or empty folder for --out' });
  }
  return saved;
}

/** Each arm's verdict on every val clip, from `<dir>/<arm>/predictions.csv`, read once per arm (finished arms only ask). */
export function folderClips(dir: string): ArmClips {
  const cache = new Map<string, ReturnType<ArmClips>>();
  return (id) => {
    if (!cache.has(id)) cache.set(id, readPredictions(path.join(dir, id, PREDICTIONS_FILE)));
    return cache.get(id)!;
  };
}

/** Writes the study's three files atomically (each one whole or not at all). */
export function writeStudyFiles(dir: string, files: { json: string; md: string; html: string }): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fileError(err, dir, 'create the study folder', 'folder');
  }
  for (const [name, text] of [[STUDY_FILE, files.json], [STUDY_MD, files.md], [STUDY_HTML, files.html]] as const) {
    writeAtomically(path.join(dir, name), (fd) => fs.writeSync(fd, text));
  }
}

function removeEmptyUpTo(dir: string, top: string): void {
  let d = dir;
  while (path.resolve(d) !== path.resolve(top) && fs.existsSync(d) && fs.readdirSync(d).length === 0) {
    fs.rmdirSync(d);
    d = path.dirname(d);
  }
}
