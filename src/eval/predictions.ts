// predictions.csv: the final evaluation's verdict on every val clip of every head (its file relative to the dataset
// root, true class, predicted class, right or wrong), written into a run's folder when asked (a study's arms). Two runs
// evaluated on the same split name the same clips the same way, so they can be compared clip by clip (McNemar's test,
// study/mcnemar.ts).

import * as fs from 'fs';
import { parseCsvLine } from '../data/datasets/csv';
import { ConfigError, fileError } from '../errors';
import { PREDICTIONS_HEADER } from '../run/run_dir';
import { HeadEval } from './evaluate';
import { csvField } from './metrics';

/**
 * The CSV of the heads' kept clips (HeadEval.clips), classes by name.
 * @example
 * predictionsCsv([{ head: 'k400', perClass: [{ label: 'run' }, { label: 'jump' }], clips: [{ clip: 'run/a.mp4', label: 0, predicted: 1, correct: false }] }])
 * // 'head,clip,label,predicted,correct\nk400,run/a.mp4,run,jump,0\n'
 */
export function predictionsCsv(evals: Array<Pick<HeadEval, 'head' | 'clips'> & { perClass: Array<{ label: string }> }>): string {
  const lines = [PREDICTIONS_HEADER];
  for (const e of evals) {
    const name = (c: number) => e.perClass[c]?.label ?? String(c);
    for (const c of e.clips ?? []) lines.push([e.head, c.clip, name(c.label), name(c.predicted), c.correct ? '1' : '0'].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Per head, each clip's correctness, from a predictions.csv; null when the file is absent (a run not asked for it). A
 * file that is not one, or a line that does not parse, is a ConfigError naming the file: never silently left out.
 */
export function readPredictions(file: string): Map<string, Map<string, boolean>> | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileError(err, file, 'read the predictions');
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const redo = "remove it to leave this arm out of McNemar's test, or remove the arm's folder and run the study again to redo it";
  if (lines[0] !== PREDICTIONS_HEADER) throw new ConfigError(`not a predictions file: its first line is not '${PREDICTIONS_HEADER}'`, { path: file, suggestion: redo });
  const out = new Map<string, Map<string, boolean>>();
  for (const [i, line] of lines.slice(1).entries()) {
    const f = parseCsvLine(line);
    if (!f || f.length !== 5 || !['0', '1'].includes(f[4])) throw new ConfigError(`line ${i + 2} is not head,clip,label,predicted,correct (correct 0 or 1)`, { path: file, suggestion: redo });
    const head = out.get(f[0]) ?? new Map<string, boolean>();
    head.set(f[1], f[4] === '1');
    out.set(f[0], head);
  }
  return out;
}
