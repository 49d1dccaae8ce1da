// What a study found, computed once from its arms' evaluations (the renderers only format it): per video head the top-1
// of (a) its single-dataset arm, (b) the video co-training and (c) CoVeR, as mean and sample standard deviation over
// seeds, and the paired differences (b) − (a), (c) − (a) and (c) − (b), the three of CoVeR's claims about co-training;
// per image head CoVeR's top-1 (and the pretraining stage's, the images alone); per transfer target B every A → B and
// CoVeR → B, and CoVeR → B − A → B seed by seed (the announcement's transfer table, docs/notes/cover-spec.md §3.0).
// Each difference carries the 95% t interval of its mean over seeds (t_interval.ts) and, per seed, McNemar's test of
// the two arms on the same val clips (mcnemar.ts), from the arms' predictions.csv.

import { Arm, COVER_LABEL, StudySpec } from './plan';
import { Budget } from './budget';
import { McNemar, mcnemar } from './mcnemar';
import { Spread, binomialStdErr, pairedDifference, spread } from './stats';
import { Interval, tInterval } from './t_interval';

/** One head's final evaluation in an arm (accuracies are fractions). */
export interface ArmEval {
  top1: number;
  top5: number;
  meanClassAccuracy: number;
  /** Val clips evaluated. */
  n: number;
}

/** An arm as planned, and what came of it once it ran. */
export interface ArmRecord extends Arm {
  /** Each trained dataset's expected clips of its own data (steps × batch × its share). */
  ownClips: Record<string, number>;
  status: 'pending' | 'trained' | 'resumed' | 'reused';
  evals?: Record<string, ArmEval>;
  /** Seconds this invocation spent on it (0 when reused). */
  seconds?: number;
}

export interface Difference {
  /** `(b) − (a)`. */
  name: string;
  /** What it compares, in words. */
  label: string;
  diff: Spread & { seeds: number[] };
  /** The 95% t interval of the mean paired difference over the seeds; null with fewer than 2 seeds. */
  interval: Interval | null;
  /**
   * Per seed, McNemar's test of the second arm against the first on the val clips both were evaluated on (onlySecond:
   * clips only the second gets right); a seed whose arms left no predictions.csv is missing.
   */
  tests: Array<McNemar & { seed: number }>;
}

/** Per head, each val clip's correctness in an arm (its predictions.csv), or null when the arm has none. */
export type ArmClips = (armId: string) => Map<string, Map<string, boolean>> | null;

export interface HeadRow {
  arm: 'single' | 'videos' | 'cover';
  label: string;
  top1: Spread;
  /** Binomial standard error of the mean top-1 on this head's val clips: what the val set alone can resolve. */
  stdErr: number;
}

export interface HeadSummary {
  head: string;
  kind: 'video' | 'image';
  valClips: number;
  rows: HeadRow[];
  diffs: Difference[];
}

export interface TransferSummary {
  target: string;
  valClips: number;
  rows: Array<{ label: string; source: string; top1: Spread; stdErr: number }>;
  /** CoVeR → B minus each A → B. */
  diffs: Difference[];
}

export interface StudySummary {
  heads: HeadSummary[];
  transfer: TransferSummary[];
}

/** Top-1 of `head` per seed over the arms that match, and the arm that gave it. */
type BySeed = Map<number, { top1: number; id: string }>;

function top1BySeed(arms: ArmRecord[], match: (a: ArmRecord) => boolean, head: string): BySeed {
  const m: BySeed = new Map();
  for (const a of arms) {
    const e = a.evals?.[head];
    if (match(a) && e) m.set(a.seed, { top1: e.top1, id: a.id });
  }
  return m;
}

const top1Of = (m: BySeed): Map<number, number> => new Map([...m].map(([s, v]) => [s, v.top1]));

function valClipsOf(arms: ArmRecord[], head: string): number {
  return arms.find((a) => a.evals?.[head])?.evals![head].n ?? 0;
}

function row<T extends string>(arm: T, label: string, bySeed: BySeed, n: number): { arm: T; label: string; top1: Spread; stdErr: number } {
  const seeds = [...bySeed.keys()].sort((x, y) => x - y);
  const top1 = spread(seeds.map((s) => bySeed.get(s)!.top1));
  return { arm, label, top1, stdErr: binomialStdErr(top1.mean, n) };
}

/** `b − a` on `head`: seed by seed, its t interval over seeds, and McNemar per seed where both arms saved their clips. */
function difference(name: string, label: string, head: string, a: BySeed, b: BySeed, clips: ArmClips): Difference {
  const diff = pairedDifference(top1Of(a), top1Of(b));
  const tests: Difference['tests'] = [];
  for (const seed of diff.seeds) {
    const [first, second] = [clips(a.get(seed)!.id)?.get(head), clips(b.get(seed)!.id)?.get(head)];
    if (first && second) tests.push({ seed, ...mcnemar(first, second) });
  }
  return { name, label, diff, interval: tInterval(diff.values), tests };
}

/** The study's tables from its arms (finished ones; pending arms count as missing seeds) and their saved clips. */
export function summarize(spec: Pick<StudySpec, 'videos' | 'images' | 'transferTo'>, arms: ArmRecord[], clips: ArmClips = () => null): StudySummary {
  const heads: HeadSummary[] = [];
  const videosLabel = spec.videos.join('+');
  for (const h of spec.videos) {
    const n = valClipsOf(arms, h);
    const single = top1BySeed(arms, (a) => a.kind === 'single' && a.datasets[0] === h, h);
    const videos = top1BySeed(arms, (a) => a.kind === 'videos', h);
    const cover = top1BySeed(arms, (a) => a.kind === 'cover', h);
    heads.push({
      head: h,
      kind: 'video',
      valClips: n,
      rows: [row('single', `(a) ${h} alone`, single, n), row('videos', `(b) ${videosLabel}`, videos, n), row('cover', `(c) ${COVER_LABEL} (${videosLabel}+${spec.images.join('+')})`, cover, n)],
      diffs: [
        difference('(b) − (a)', `co-training the videos vs ${h} alone`, h, single, videos, clips),
        difference('(c) − (a)', `${COVER_LABEL} vs ${h} alone`, h, single, cover, clips),
        difference('(c) − (b)', 'adding the images to the video co-training', h, videos, cover, clips),
      ],
    });
  }
  for (const h of spec.images) {
    const n = valClipsOf(arms, h);
    // (a) of an image head: the pretraining stage, the images alone (a study from --init or from scratch has none).
    const alone = top1BySeed(arms, (a) => a.kind === 'pretrain', h);
    heads.push({ head: h, kind: 'image', valClips: n, rows: [row('single', `(a) ${h} alone (pretraining)`, alone, n), row('cover', `(c) ${COVER_LABEL}`, top1BySeed(arms, (a) => a.kind === 'cover', h), n)], diffs: [] });
  }
  const transfer: TransferSummary[] = spec.transferTo.map((b) => {
    const n = valClipsOf(arms.filter((a) => a.kind === 'transfer' && a.target === b), b);
    const of = (source: string) => top1BySeed(arms, (a) => a.kind === 'transfer' && a.target === b && a.source === source, b);
    const cover = of('cover');
    return {
      target: b,
      valClips: n,
      rows: [...spec.videos.map((a) => ({ ...row('transfer', `${a} → ${b}`, of(a), n), source: a })), { ...row('transfer', `${COVER_LABEL} → ${b}`, cover, n), source: 'cover' }].map(({ arm: _arm, ...r }) => r),
      diffs: spec.videos.map((a) => difference(`${COVER_LABEL} → ${b} − ${a} → ${b}`, `${COVER_LABEL} vs ${a} as the start of fine-tuning on ${b}`, b, of(a), cover, clips)),
    };
  });
  return { heads, transfer };
}

/** Everything a study writes to study.json (and renders to study.md and study.html). */
export interface StudyResult {
  generator: string;
  version: string;
  /** Every arm finished. */
  complete: boolean;
  spec: StudySpec;
  budget: { kind: Budget; description: string };
  /** The run settings every arm shares (preset, optimizer, batch, views, ...), as the run config holds them. */
  config: Record<string, unknown>;
  /** The demo suite's folder and size when the study ran on it. */
  demo?: { root: string; size: string };
  arms: ArmRecord[];
  summary: StudySummary;
  /** Seconds this invocation took. */
  seconds: number;
}
