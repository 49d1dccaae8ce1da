// Accuracy tables: one summary row per head (top-1, top-5, mean class accuracy), then, for K400, SSv2 and MiT, the
// published CoVeR comparison table with a row for this checkpoint and both protocols stated. Other datasets (and the
// demo suite, whatever its names) get a plain sentence that their numbers are not comparable with published ones.
// `dropped` counts the rows the dataset reader left out and `skipped` the samples that could not be read; when either is
// not 0, a line under the table says by reason what the numbers were computed over.

import { describeReasons } from '../data/datasets/drops';
import { baselinesFor, comparisonLine, describeProtocol, EvalProtocol } from '../eval/baselines';
import { HeadEval } from '../eval/evaluate';
import { pct, table } from './render';

export function protocolOf(views: string, frames: number, resolution: number): EvalProtocol {
  const [t, s] = views.split('x').map(Number);
  return { temporalClips: t || 1, spatialCrops: s || 1, frames, resolution };
}

export function renderEvals(evals: HeadEval[], opts: { protocol: EvalProtocol; demo: boolean; label?: string }): string {
  const lines: string[] = [];
  const t = table(['head', 'dataset split', 'clips', 'top-1 %', 'top-5 %', 'mean class acc %', 'chance %', 'dropped', 'skipped'], {
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const e of evals) {
    t.push([e.head, `${e.dataset} ${e.split}`, e.n, pct(e.top1), pct(e.top5), pct(e.meanClassAccuracy), pct(1 / e.confusion.length), e.dropped?.dropped ?? 0, e.bad.count]);
  }
  lines.push(`${opts.label ?? 'Evaluation'} (${describeProtocol(opts.protocol)})`, t.toString());
  for (const e of evals) {
    const line = subsetLine(e);
    if (line) lines.push(line);
  }
  for (const e of evals) {
    const base = opts.demo ? null : baselinesFor(e.head);
    if (!base) {
      lines.push(
        opts.demo
          ? `${e.head}: demo-suite data, so these numbers are not comparable with the published ${e.head.toUpperCase()} results.`
          : `${e.head}: no published baseline for this dataset; its numbers are not comparable with published ones.`,
      );
      continue;
    }
    const bt = table(['model', 'pretrain', 'finetune', 'top-1 %'], { colAligns: ['left', 'left', 'left', 'right'] });
    for (const r of base.rows) bt.push([r.model, r.pretrain, r.finetune, r.top1.toFixed(1)]);
    bt.push(['this checkpoint', '-', e.head, pct(e.top1)]);
    lines.push(`\n${base.dataset} (published top-1)`, bt.toString(), comparisonLine(base, { top1: e.top1, protocol: opts.protocol }));
    base.footnotes.forEach((f, i) => lines.push(`  [${i + 1}] ${f}`));
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
