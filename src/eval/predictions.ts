// predictions.csv: the final evaluation's verdict on every val clip of every head (its file relative to the dataset
// root, true class, predicted class, right or wrong), written into a run's folder when asked (a study's arms). Two runs
// evaluated on the same split name the same clips the same way, so they can be compared clip by clip (McNemar's test,
// study/mcnemar.ts).

import * as fs from 'fs';
import { parseCsvLine } from '../data/datasets/csv';
import { fileError } from '../errors';
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

/** Per head, each clip's correctness, from a predictions.csv; null when the file is absent (a run not asked for it). */
export function readPredictions(file: string): Map<string, Map<string, boolean>> | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileError(err, file, 'read the predictions');
  }
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] !== PREDICTIONS_HEADER) return null;
  const out = new Map<string, Map<string, boolean>>();
  for (const line of lines.slice(1)) {
    const f = parseCsvLine(line);
    if (!f || f.length !== 5) continue;
    const head = out.get(f[0]) ?? new Map<string, boolean>();
    head.set(f[1], f[4] === '1');
    out.set(f[0], head);
  }
  return out;
}
