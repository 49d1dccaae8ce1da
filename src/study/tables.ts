// A study's result as titled tables of text cells, the one layout study.md, study.html and the terminal share: the
// settings, top-1 per head and arm, the paired differences, each transfer target, the paper's claims beside the
// differences that test them, and the arms. Accuracies are in points (%), mean ± std over seeds; a difference also lists
// its per-seed values.

import { describeStart } from './plan';
import { Difference, StudyResult } from './summary';
import { binomialStdErr, formatSpread } from './stats';
import { RunConfig, savedRunConfig } from '../run/run_config';

export interface TextTable {
  title: string;
  /** Sentences under the title. */
  notes: string[];
  head: string[];
  rows: string[][];
}

/** `+1.2 ± 0.5 (+0.8, +1.6, +1.2)`. */
function diffCell(d: Difference): string {
  if (d.diff.n === 0) return '-';
  const per = d.diff.values.map((v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`).join(', ');
  return `${formatSpread(d.diff, { signed: true })} (${per})`;
}

/** Agreement of the seeds, in words. */
function agreement(d: Difference): string {
  if (d.diff.n < 2) return 'one seed';
  return d.sameSign ? `all ${d.diff.n} seeds ${d.diff.mean > 0 ? 'higher' : 'lower'}` : `seeds disagree in sign`;
}

const pts = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

export function studyTables(r: StudyResult): TextTable[] {
  const c = savedRunConfig(r.config as unknown as RunConfig) as Partial<RunConfig>; // a study.json written before one name per setting too
  const done = r.arms.filter((a) => a.status !== 'pending').length;
  const seeds = r.spec.seeds;
  const settings: TextTable = {
    title: 'Settings',
    notes: [],
    head: ['', ''],
    rows: [
      ['datasets', `videos ${r.spec.videos.join(', ')}; images ${r.spec.images.join(', ')}`],
      ['data', r.demo ? `the ${r.demo.size} demo suite (${r.demo.root}); its numbers are not comparable with published ones` : 'as given with --data'],
      ['seeds', `${seeds.length} (${seeds.join(', ')})`],
      ['start', describeStart({ images: r.spec.images, start: r.spec.start ?? 'scratch', pretrainSteps: r.spec.pretrainSteps }, c.init)],
      ['budget', `${r.budget.kind}: ${r.budget.description}`],
      ['fine-tuning', r.spec.transferTo.length > 0 ? `${r.spec.finetuneSteps} steps on the target, every start the same way` : 'no transfer target'],
      ['model and recipe', `preset ${c.preset}, batch ${c.batchSize}, ${c.optimizer} lr ${c.lr} ${c.schedule}, test views ${c.views}`],
      ['val clips per head', r.summary.heads.map((h) => `${h.head} ${h.valClips}`).join(', ')],
      ['status', r.complete ? `complete: ${done} of ${r.arms.length} arms` : `${done} of ${r.arms.length} arms finished; run the same command again to continue`],
    ],
  };

  const top1: TextTable = {
    title: 'Top-1 per head (%, mean ± std over seeds)',
    notes: ['1 s.e. (val): the binomial standard error of one evaluation on that many val clips, at (c)\'s top-1: what the val set alone can resolve.'],
    head: ['head', 'val clips', '(a) alone', `(b) ${r.spec.videos.join('+')}`, '(c) CoVeR', '1 s.e. (val)'],
    rows: r.summary.heads.map((h) => {
      const cell = (arm: string) => {
        const row = h.rows.find((x) => x.arm === arm);
        return row && row.top1.n > 0 ? formatSpread(row.top1) : '-';
      };
      const cover = h.rows.find((x) => x.arm === 'cover')!;
      return [h.kind === 'image' ? `${h.head} (images)` : h.head, String(h.valClips), cell('single'), cell('videos'), cell('cover'), cover.top1.n > 0 ? `±${pts(binomialStdErr(cover.top1.mean, h.valClips))}` : '-'];
    }),
  };

  const videoHeads = r.summary.heads.filter((h) => h.kind === 'video');
  const diffs: TextTable = {
    title: 'Paired differences (points; mean ± std over seeds, then each seed)',
    notes: ['Each seed\'s arms share their initialisation, so a difference is taken seed by seed before averaging.'],
    head: ['head', '(b) − (a): video co-training vs alone', '(c) − (a): CoVeR vs alone', '(c) − (b): adding images'],
    rows: videoHeads.map((h) => [h.head, ...h.diffs.map(diffCell)]),
  };

  const transfer: TextTable[] = r.summary.transfer.map((t) => ({
    title: `Transfer to ${t.target} (top-1 %, after ${r.spec.finetuneSteps} fine-tuning steps on ${t.target}; ${t.valClips} val clips)`,
    notes: [`A → ${t.target} starts from arm (a) of A; ${t.target} → ${t.target} is ${t.target}'s own arm fine-tuned the same way.`],
    head: ['start', 'top-1', `CoVeR → ${t.target} minus this`],
    rows: t.rows.map((row) => {
      const d = t.diffs.find((x) => x.name.endsWith(`− ${row.label}`));
      return [row.label, row.top1.n > 0 ? formatSpread(row.top1) : '-', d ? diffCell(d) : '-'];
    }),
  }));

  const line = (ds: Difference[], heads: string[]) => ds.map((d, i) => `${heads[i]} ${diffCell(d)}, ${agreement(d)}`).join('; ');
  const claims: TextTable = {
    title: "CoVeR's claims beside this study's paired differences (points)",
    notes: ['The claims are those of the CoVeR announcement (docs/notes/cover-spec.md §3); the published gains are on the real datasets at full scale.'],
    head: ['claim', 'published', 'this study'],
    rows: [
      ['co-training on several video datasets beats training on one', 'stated, no per-dataset numbers recovered', line(videoHeads.map((h) => h.diffs[0]), videoHeads.map((h) => h.head))],
      ['adding images helps further', 'stated, no per-dataset numbers recovered', line(videoHeads.map((h) => h.diffs[2]), videoHeads.map((h) => h.head))],
      ['CoVeR beats training on the dataset alone', 'IN-21K setting, CoVeR − TimeSformer: +2.4 K400, +2.3 K600, +2.3 SSv2', line(videoHeads.map((h) => h.diffs[1]), videoHeads.map((h) => h.head))],
      [
        'a co-trained model transfers better',
        'K400: +1.3 / +1.7 / +0.4 vs K400 / SSv2 / MiT → K400; SSv2: +2.0 / +1.8 / +1.1 vs SSv2 / K400 / MiT → SSv2',
        r.summary.transfer.length === 0 ? 'no transfer target' : r.summary.transfer.map((t) => `${t.target}: ${line(t.diffs, t.rows.slice(0, -1).map((x) => `vs ${x.label}`))}`).join(' | '),
      ],
    ],
  };

  const arms: TextTable = {
    title: 'Arms',
    notes: ['own clips: the clips of its own data each trained dataset sees, in expectation (steps × batch × its share).'],
    head: ['arm (folder)', 'trains', 'steps', 'own clips', 'top-1 %', 'status'],
    rows: r.arms.map((a) => [
      a.id,
      a.from ? `${a.label} (from ${a.from})` : a.label,
      String(a.steps),
      Object.entries(a.ownClips).map(([k, v]) => `${k} ${Math.round(v)}`).join(', '),
      a.evals ? Object.entries(a.evals).map(([k, e]) => `${k} ${pts(e.top1)}`).join(', ') : '-',
      a.status === 'pending' ? 'not run yet' : `${a.status}${a.seconds ? ` (${Math.round(a.seconds)} s)` : ''}`,
    ]),
  };
  return [settings, top1, diffs, ...transfer, claims, arms];
}
