// A study's result as titled tables of text cells, the one layout study.md, study.html and the terminal share: the
// settings, top-1 per head and arm (mean ± sample standard deviation over seeds), the paired differences (mean over
// seeds with its 95% t interval, then each seed), McNemar's test per seed on the same val clips, each transfer target,
// the paper's claims beside the differences that test them, and the arms. Accuracies and differences are in points (%).

import { describeStart } from './plan';
import { Difference, StudyResult } from './summary';
import { binomialStdErr, formatSpread } from './stats';
import { studentTQuantile } from './t_interval';
import { RunConfig, savedRunConfig } from '../run/run_config';
import { TRANSFER_GAINS } from '../eval/published_results';

export interface TextTable {
  title: string;
  /** Sentences under the title. */
  notes: string[];
  head: string[];
  rows: string[][];
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;

/** `+1.2 [−0.4, +2.8] (+0.8, +1.6, +1.2)`: the mean over seeds, its 95% t interval, each seed. */
function diffCell(d: Difference): string {
  if (d.diff.n === 0) return '-';
  const interval = d.interval ? ` [${signed(d.interval.low)}, ${signed(d.interval.high)}]` : '';
  return `${signed(d.diff.mean)}${interval} (${d.diff.values.map(signed).join(', ')})`;
}

/** A p-value in two significant digits: `0.14`, `0.0019`, `<0.001`. */
export function formatP(p: number): string {
  return p < 0.001 ? '<0.001' : p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

/** What the seeds and the clips say about a difference: `interval excludes 0, McNemar p < 0.05 in 2 of 3 seeds`. */
function verdict(d: Difference): string {
  if (!d.interval) return d.tests.length === 1 ? `one seed, McNemar p ${formatP(d.tests[0].p)}` : 'one seed';
  const interval = d.interval.low > 0 || d.interval.high < 0 ? 'interval excludes 0' : 'interval includes 0';
  return d.tests.length > 0 ? `${interval}, McNemar p < 0.05 in ${d.tests.filter((t) => t.p < 0.05).length} of ${d.tests.length} seeds` : interval;
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
    title: 'Top-1 per head (%, mean ± s.d. over seeds)',
    notes: [
      seeds.length > 1
        ? `±: the sample standard deviation of the ${seeds.length} seeds' top-1, how much one run varies with its seed; it is not an uncertainty of the mean (the paired differences below give those).`
        : '±: the sample standard deviation over seeds; with one seed there is none (-).',
      "1 s.e. (val): the binomial standard error of one evaluation on that many val clips, at (c)'s top-1: what the val set alone can resolve.",
      ...(r.spec.start === 'pretrain' ? [`(a) of an image head: the pretraining stage, the images alone; every arm starts from it.`] : []),
    ],
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
  const n = Math.max(0, ...videoHeads.flatMap((h) => h.diffs.map((d) => d.diff.n)));
  const intervalNote =
    n >= 2
      ? `[low, high]: the 95% t interval of the mean over the ${n} seeds, mean ± t(0.975, ${n - 1}) × s.d. / √${n} with t = ${studentTQuantile(0.975, n - 1).toFixed(2)}; it excludes 0 only where the effect is large against the seed-to-seed spread.`
      : n === 1
        ? "One seed: no interval over seeds; McNemar's test below still compares the arms clip by clip."
        : 'No seed has finished both arms of a difference yet.';
  const diffs: TextTable = {
    title: 'Paired differences (points; mean over seeds [95% interval], then each seed)',
    notes: ["Each seed's arms share their start, so a difference is taken seed by seed before averaging.", intervalNote],
    head: ['head', '(b) − (a): video co-training vs alone', '(c) − (a): CoVeR vs alone', '(c) − (b): adding images'],
    rows: videoHeads.map((h) => [h.head, ...h.diffs.map(diffCell)]),
  };

  const transfer: TextTable[] = r.summary.transfer.map((t) => ({
    title: `Transfer to ${t.target} (top-1 %, mean ± s.d. over seeds, after ${r.spec.finetuneSteps} fine-tuning steps on ${t.target}; ${t.valClips} val clips)`,
    notes: [`A → ${t.target} starts from arm (a) of A; ${t.target} → ${t.target} is ${t.target}'s own arm fine-tuned the same way.`],
    head: ['start', 'top-1', `CoVeR → ${t.target} minus this [95% interval] (each seed)`],
    rows: t.rows.map((row) => {
      const d = t.diffs.find((x) => x.name.endsWith(`− ${row.label}`));
      return [row.label, row.top1.n > 0 ? formatSpread(row.top1) : '-', d ? diffCell(d) : '-'];
    }),
  }));

  const comparisons = [
    ...videoHeads.flatMap((h) => h.diffs.map((d) => ({ head: h.head, d }))),
    ...r.summary.transfer.flatMap((t) => t.diffs.map((d) => ({ head: t.target, d }))),
  ];
  const tests: TextTable = {
    title: "Paired tests on the same val clips (McNemar's exact test, per seed)",
    notes: [
      'x vs y: of the val clips the two arms disagree on, x are right only in the arm on the left of the difference and y only in the one on the right; p: two-sided exact McNemar test (binomial on the x + y discordant clips), one test per seed and comparison, not corrected for the number of tests.',
    ],
    head: ['head', 'difference', ...seeds.map((s) => `seed ${s}`)],
    rows: comparisons.map(({ head, d }) => [
      head,
      d.name,
      ...seeds.map((s) => {
        const t = d.tests.find((x) => x.seed === s);
        return t ? `${t.onlySecond} vs ${t.onlyFirst}, p ${formatP(t.p)}` : '-';
      }),
    ]),
  };

  const line = (ds: Difference[], heads: string[]) => ds.map((d, i) => `${heads[i]} ${diffCell(d)}, ${verdict(d)}`).join('; ');
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
        publishedTransferGains(),
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
  return [settings, top1, diffs, ...transfer, tests, claims, arms];
}

/** The announcement's transfer gains (eval/published_results.ts), as one cell: `K400: +1.3 / +1.7 / +0.4 vs ... → K400; ...`. */
function publishedTransferGains(): string {
  const cell = TRANSFER_GAINS.map((t) => {
    const from = t.versus.map((v) => v.paradigm.split('→')[0]).join(' / ');
    return `${t.target}: ${t.versus.map((v) => `+${v.gain.toFixed(1)}`).join(' / ')} vs ${from} → ${t.target}`;
  }).join('; ');
  return `${cell} (${TRANSFER_GAINS[0].source.verified.status})`;
}
