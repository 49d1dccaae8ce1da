// A run's log, `log.jsonl` in its folder: one JSON object a line, written as the run goes (a `start` line with the
// config, one `step` line per update, `eval` lines, a `stop` line when training diverged), read back by the report.
// Lines are appended, never rewritten, except when a run is resumed: the lines after its checkpoint's step are dropped,
// since the resumed run writes those steps again. A line cut by a kill is skipped when the log is read.

import * as fs from 'fs';
import { writeAtomically } from '../checkpoint/safetensors';
import { fileError } from '../errors';

/** A step of the log as the report draws it. */
export interface LogStep {
  step: number;
  /** The batch loss (mean over all samples of the step). */
  loss: number;
  /** Loss per dataset head; a head with no sample in the step may be missing. */
  perHead: Record<string, number>;
  lr: number;
  /** Evaluations made at this step, per head; accuracies are fractions in [0, 1]. */
  evals?: Record<string, { top1: number; top5: number }>;
}

/** Appends one JSON line to the run's log. */
export function appendLog(file: string, entry: object): void {
  try {
    fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
  } catch (err) {
    throw fileError(err, file, 'append to the run log');
  }
}

/** Keeps the log lines up to `step` (a resumed run rewrites what the steps after its checkpoint had logged). */
export function truncateLog(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        const e = JSON.parse(l) as { step?: number };
        return typeof e.step !== 'number' || e.step <= step;
      } catch {
        return false;
      }
    });
  writeAtomically(file, (fd) => fs.writeSync(fd, keep.map((l) => `${l}\n`).join('')));
}

/** The steps of a log, each with the evaluations made at it. */
export function readLog(file: string): LogStep[] {
  if (!fs.existsSync(file)) return [];
  const out: LogStep[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as LogStep & { type?: string };
      if (e.type === 'step') out.push({ step: e.step, loss: e.loss, perHead: e.perHead, lr: e.lr });
      else if (e.type === 'eval' && out.length > 0) {
        const last = out[out.length - 1];
        last.evals = { ...(last.evals ?? {}), ...(e.evals ?? {}) };
      }
    } catch {
      // a line cut by a kill: ignore it
    }
  }
  return out;
}
