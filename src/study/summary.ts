// What a study found, computed once from its arms' evaluations (the renderers only format it): per video head the top-1
// of (a) its single-dataset arm, (b) the video co-training and (c) CoVeR, as mean ± std over seeds, and the paired
// differences (b) − (a), (c) − (a) and (c) − (b), the three of CoVeR's claims about co-training; per image head CoVeR's
// top-1; per transfer target B every A → B and CoVeR → B, and CoVeR → B − A → B seed by seed (the announcement's
// transfer table, docs/notes/cover-spec.md §3.0).

import { Arm, COVER_LABEL, StudySpec } from './plan';
import { Budget } from './budget';
import { Spread, binomialStdErr, pairedDifference, sameSign, spread } from './stats';

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
  /** Every seed gives the same sign. */
  sameSign: boolean;
}

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

/** Top-1 of `head` per seed over the arms that match. */
function top1BySeed(arms: ArmRecord[], match: (a: ArmRecord) => boolean, head: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const a of arms) {
    const e = a.evals?.[head];
    if (match(a) && e) m.set(a.seed, e.top1);
  }
  return m;
}

function valClipsOf(arms: ArmRecord[], head: string): number {
  return arms.find((a) => a.evals?.[head])?.evals![head].n ?? 0;
}

function row<T extends string>(arm: T, label: string, bySeed: Map<number, number>, n: number): { arm: T; label: string; top1: Spread; stdErr: number } {
  const seeds = [...bySeed.keys()].sort((x, y) => x - y);
  const top1 = spread(seeds.map((s) => bySeed.get(s)!));
  return { arm, label, top1, stdErr: binomialStdErr(top1.mean, n) };
}

function difference(name: string, label: string, a: Map<number, number>, b: Map<number, number>): Difference {
  const diff = pairedDifference(a, b);
  return { name, label, diff, sameSign: sameSign(diff) };
}

/** The study's tables from its arms (finished ones; pending arms count as missing seeds). */
export function summarize(spec: Pick<StudySpec, 'videos' | 'images' | 'transferTo'>, arms: ArmRecord[]): StudySummary {
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
        difference('(b) − (a)', `co-training the videos vs ${h} alone`, single, videos),
        difference('(c) − (a)', `${COVER_LABEL} vs ${h} alone`, single, cover),
        difference('(c) − (b)', 'adding the images to the video co-training', videos, cover),
      ],
    });
  }
  for (const h of spec.images) {
    const n = valClipsOf(arms, h);
    heads.push({ head: h, kind: 'image', valClips: n, rows: [row('cover', `(c) ${COVER_LABEL}`, top1BySeed(arms, (a) => a.kind === 'cover', h), n)], diffs: [] });
  }
  const transfer: TransferSummary[] = spec.transferTo.map((b) => {
    const n = valClipsOf(arms.filter((a) => a.kind === 'transfer' && a.target === b), b);
    const of = (source: string) => top1BySeed(arms, (a) => a.kind === 'transfer' && a.target === b && a.source === source, b);
    const cover = of('cover');
    return {
      target: b,
      valClips: n,
      rows: [...spec.videos.map((a) => ({ ...row('transfer', `${a} → ${b}`, of(a), n), source: a })), { ...row('transfer', `${COVER_LABEL} → ${b}`, cover, n), source: 'cover' }].map(({ arm: _arm, ...r }) => r),
      diffs: spec.videos.map((a) => difference(`${COVER_LABEL} → ${b} − ${a} → ${b}`, `${COVER_LABEL} vs ${a} as the start of fine-tuning on ${b}`, of(a), cover)),
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
