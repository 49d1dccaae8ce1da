// Accuracy tables, formatted from an evaluation's facts (eval/facts.ts): one summary row per head (top-1, top-5, mean
// class accuracy), then for each head its comparison: the published table with a row for this checkpoint, both
// protocols stated and each published row's source as a numbered footnote, or the sentence saying why its numbers are
// not comparable. `dropped` counts the rows the dataset reader left out and `skipped` the samples that could not be
// read; when either is not 0, a line under the table says by reason what the numbers were computed over.

import { describeReasons } from '../data/datasets/drops';
import { describeProtocol, sourceNote } from '../eval/baselines';
import { HeadEval } from '../eval/evaluate';
import { EvalFacts } from '../eval/facts';
import { pct, table } from './render';

export function renderEvals(evals: HeadEval[], facts: Pick<EvalFacts, 'protocol' | 'comparisons'>, label = 'Evaluation'): string {
  const lines: string[] = [];
  const t = table(['head', 'dataset split', 'clips', 'top-1 %', 'top-5 %', 'mean class acc %', 'chance %', 'dropped', 'skipped'], {
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const e of evals) {
    t.push([e.head, `${e.dataset} ${e.split}`, e.n, pct(e.top1), pct(e.top5), pct(e.meanClassAccuracy), pct(1 / e.confusion.length), e.dropped?.dropped ?? 0, e.bad.count]);
  }
  lines.push(`${label} (${describeProtocol(facts.protocol)})`, t.toString());
  for (const e of evals) {
    const line = subsetLine(e);
    if (line) lines.push(line);
  }
  for (const e of evals) {
    const c = facts.comparisons.find((x) => x.head === e.head);
    if (!c) continue;
    const base = c.published;
    if (!base) {
      lines.push(c.note);
      continue;
    }
    const bt = table(['model', 'pretrain', 'finetune', 'top-1 %', 'source'], { colAligns: ['left', 'left', 'left', 'right', 'left'] });
    base.rows.forEach((r, i) => bt.push([r.model, r.pretrain, r.finetune, r.top1.toFixed(1), `[${i + 1}]${r.correction ? ' *' : ''}`]));
    bt.push(['this checkpoint', '-', e.head, pct(e.top1), '']);
    lines.push(`\n${base.dataset} (published top-1)`, bt.toString(), c.note);
    lines.push('sources (* the CoVeR announcement printed this row otherwise):');
    base.rows.forEach((r, i) => lines.push(`  [${i + 1}] ${sourceNote(r)}`));
  }
  return lines.join('\n');
}

/**
 * `k400: top-1 over 6 of 9 val rows: 3 dropped by the dataset reader (1 missing file, 1 unknown label, 1 bad line), 0
 * unreadable`; null when every row was evaluated.
 */
export function subsetLine(e: HeadEval): string | null {
  const dropped = e.dropped?.dropped ?? 0;
  if (dropped === 0 && e.bad.count === 0) return null;
  const rows = e.dropped?.rows ?? e.n + e.bad.count;
  const reasons = dropped > 0 ? ` (${describeReasons(e.dropped.byReason)})` : '';
  return `${e.head}: top-1 over ${e.n} of ${rows} ${e.split} rows: ${dropped} dropped by the dataset reader${reasons}, ${e.bad.count} unreadable`;
}
