// `cover report STUDY`: a study's report written again from its folder, with no training and no backend. The arms'
// final evaluations come from study.json, their clips from each arm's predictions.csv, and the summary and tables are
// computed by this cover: a study that ran under an earlier version, or one still running, gets the current statistics
// (t intervals over seeds, McNemar per seed) without a step of training.

import * as fs from 'fs';
import * as path from 'path';
import { writeAtomically } from '../checkpoint/safetensors';
import { ConfigError } from '../errors';
import { renderStudyHtml } from './render_html';
import { renderStudyMarkdown } from './render_md';
import { checkStudyDir, folderClips, STUDY_FILE, writeStudyFiles } from './study_dir';
import { StudyResult, summarize } from './summary';

/** The study saved in `dir`, its summary computed again from its arms and their predictions.csv. */
export function studyFromFolder(dir: string): StudyResult {
  const saved = checkStudyDir(dir) as (StudyResult & { plan?: unknown }) | null;
  if (!saved) throw new ConfigError(`no ${STUDY_FILE} here, so this is not a study folder`, { path: dir, suggestion: 'give the --out folder of a `cover study` (e.g. runs/study)' });
  return { ...saved, summary: summarize(saved.spec, saved.arms, folderClips(dir)) };
}

export interface StudyReport {
  /** The files written. */
  files: string[];
  /** Arms finished, of all the study's arms. */
  done: number;
  arms: number;
}

/**
 * Writes the report of the study in `dir` again: its study.json, study.md and study.html, or with `outFile` only that
 * file (markdown, or HTML for a name ending .html), leaving the study's own files as they are (a study still running
 * rewrites them after every arm).
 */
export function writeStudyReport(dir: string, outFile?: string): StudyReport {
  const r = studyFromFolder(dir);
  const done = r.arms.filter((a) => a.status !== 'pending').length;
  if (outFile) {
    const text = outFile.endsWith('.html') ? renderStudyHtml(r) : renderStudyMarkdown(r);
    writeAtomically(outFile, (fd) => fs.writeSync(fd, text));
    return { files: [outFile], done, arms: r.arms.length };
  }
  const saved = JSON.parse(fs.readFileSync(path.join(dir, STUDY_FILE), 'utf8')) as Record<string, unknown>;
  writeStudyFiles(dir, { json: `${JSON.stringify({ ...saved, summary: r.summary }, null, 2)}\n`, md: renderStudyMarkdown(r), html: renderStudyHtml(r) });
  return { files: ['study.json', 'study.md', 'study.html'].map((f) => path.join(dir, f)), done, arms: r.arms.length };
}
