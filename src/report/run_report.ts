// The HTML report of a training run folder: its log.jsonl (loss, LR, periodic evaluations) and result.json (final
// evaluation with confusion matrices), rendered into one self-contained page (html_report.ts).

import * as fs from 'fs';
import * as path from 'path';
import { writeAtomically } from '../checkpoint/safetensors';
import { ConfigError } from '../errors';
import { LOG_FILE, REPORT_FILE, RESULT_FILE } from '../run/run_dir';
import { readLog } from '../run/run_log';
import { renderReport, ReportConfusion } from './html_report';

const WHICH_FOLDER = 'give the --out folder of a pretrain/cotrain run (e.g. runs/cotrain) or of a study (e.g. runs/study)';

export function writeRunReport(runDir: string, outFile = path.join(runDir, REPORT_FILE)): { file: string; steps: number; heads: string[] } {
  const logFile = path.join(runDir, LOG_FILE);
  if (!fs.existsSync(runDir)) throw new ConfigError('no such folder', { path: runDir, suggestion: WHICH_FOLDER });
  if (!fs.existsSync(logFile)) {
    throw new ConfigError(`no ${LOG_FILE} here, so this is not a training run folder`, { path: runDir, suggestion: WHICH_FOLDER });
  }
  const log = readLog(logFile);
  let config: object = {};
  let heads: string[] = [];
  const confusion: Record<string, ReportConfusion> = {};
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    try {
      const e = JSON.parse(line) as { type?: string; config?: object; heads?: { name: string }[] };
      if (e.type === 'start') {
        config = e.config ?? {};
        heads = (e.heads ?? []).map((h) => h.name);
      }
    } catch {
      // partial line
    }
  }
  const resultFile = path.join(runDir, RESULT_FILE);
  if (fs.existsSync(resultFile)) {
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { evals?: { head: string; confusion: number[][]; perClass: { label: string }[] }[] };
    for (const e of result.evals ?? []) confusion[e.head] = { labels: e.perClass.map((p) => p.label), matrix: e.confusion };
  }
  if (heads.length === 0) heads = [...new Set(log.flatMap((l) => Object.keys(l.perHead)))];
  const html = renderReport({ title: `cover run ${path.basename(path.resolve(runDir))}`, config, heads, log, confusion });
  writeAtomically(outFile, (fd) => fs.writeSync(fd, html));
  return { file: outFile, steps: log.length ? log[log.length - 1].step : 0, heads };
}
