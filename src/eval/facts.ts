// The facts of an evaluation, worked out once for every command that shows one (`cover eval`, the end of a training
// run, `cover transfer`; later `cover study`): the protocol it was measured with, whether its data is demo-suite data,
// what each head can be compared with (the published CoVeR tables, baselines.ts), and the transfer deltas against the
// B → B baseline beside the gains CoVeR's announcement publishes. The CLI only formats these.

import * as fs from 'fs';
import * as path from 'path';
import { DEMO_MARKER } from '../demo/suite';
import { parseViews } from '../data/decode/sampling';
import { BaselineTable, baselinesFor, comparisonLine, EvalProtocol, Source, TRANSFER_GAINS } from './baselines';
import { HeadEval } from './evaluate';

/** What a head's numbers can be compared with. */
export interface HeadComparison {
  head: string;
  /** The published table (docs/notes/cover-spec.md §3.0); null when none applies. */
  published: BaselineTable | null;
  /** The comparison line, or the sentence saying why the numbers are not comparable. */
  note: string;
}

/** An evaluation's facts, beside its numbers. */
export interface EvalFacts {
  protocol: EvalProtocol;
  /** True when every evaluated head's data is demo-suite data. */
  demo: boolean;
  /** Heads evaluated on demo-suite data: never compared with published numbers, whatever their names. */
  demoHeads: string[];
  comparisons: HeadComparison[];
}

/**
 * The protocol of a views spec at a model's frames and resolution.
 * @example
 * evalProtocol('1x3', 8, 224) // { temporalClips: 1, spatialCrops: 3, frames: 8, resolution: 224 }
 */
export function evalProtocol(views: string, frames: number, resolution: number): EvalProtocol {
  const v = parseViews(views);
  return { temporalClips: v.temporal, spatialCrops: v.spatial, frames, resolution };
}

/** Whether a dataset folder sits in a demo suite (a demo.json beside it). */
export function isDemoRoot(root: string): boolean {
  return fs.existsSync(path.join(path.dirname(path.resolve(root)), DEMO_MARKER));
}

/** Whether a run's dataset spec (`FORMAT:PATH`, a path, or a short name resolved to one) names demo-suite data. */
export function isDemoSpec(spec: string): boolean {
  return isDemoRoot(spec.replace(/^[a-z]+:/, ''));
}

/** What one head's numbers can be compared with. */
export function compareHead(e: Pick<HeadEval, 'head' | 'top1'>, demo: boolean, protocol: EvalProtocol): HeadComparison {
  if (demo) {
    return { head: e.head, published: null, note: `${e.head}: demo-suite data, so these numbers are not comparable with the published ${e.head.toUpperCase()} results.` };
  }
  const table = baselinesFor(e.head);
  if (!table) {
    return { head: e.head, published: null, note: `${e.head}: no published baseline for this dataset; its numbers are not comparable with published ones.` };
  }
  return { head: e.head, published: table, note: comparisonLine(table, { top1: e.top1, protocol }) };
}

/** The facts of evaluations measured with `protocol`, `demoHeads` being those on demo-suite data. */
export function evalFacts(evals: Pick<HeadEval, 'head' | 'top1'>[], protocol: EvalProtocol, demoHeads: string[]): EvalFacts {
  return {
    protocol,
    demo: evals.length > 0 && evals.every((e) => demoHeads.includes(e.head)),
    demoHeads,
    comparisons: evals.map((e) => compareHead(e, demoHeads.includes(e.head), protocol)),
  };
}

/** The facts of a training run's final evaluation: its views at the model's frames and crop, demo data by its folders. */
export function runEvalFacts(
  run: { evals: Pick<HeadEval, 'head' | 'top1'>[]; views: string; frames: number; resolution: number; datasets: { name: string; spec: string }[] },
  opts: { demo?: boolean } = {},
): EvalFacts {
  const demoHeads = run.datasets.filter((d) => opts.demo || isDemoSpec(d.spec)).map((d) => d.name);
  return evalFacts(run.evals, evalProtocol(run.views, run.frames, run.resolution), demoHeads);
}

/** One start of a transfer comparison, fine-tuned on the target. */
export interface TransferRowFacts {
  name: string;
  top1: number;
  /** Top-1 minus the B → B baseline's, in points; null for the baseline itself. */
  deltaVsBaseline: number | null;
}

export interface TransferFacts {
  target: string;
  /** The baseline row's name, `B → B`. */
  baseline: string;
  rows: TransferRowFacts[];
  /** The gains CoVeR's announcement publishes for this target (docs/notes/cover-spec.md §3.0), when it has any and the data is real. */
  published: { paradigm: string; gain: number }[] | null;
  /** Where `published` comes from and how far it was checked (published_results.ts); null with `published`. */
  source: Source | null;
  /** What the deltas can be compared with, in one sentence. */
  note: string;
}

/**
 * Deltas of each start against B → B, beside the published CoVeR gains for B.
 * @example
 * transferFacts('k400', [{ name: 'ssv2 → k400', top1: 0.5 }, { name: 'k400 → k400', top1: 0.45 }], false).rows[0].deltaVsBaseline // 5
 */
export function transferFacts(target: string, rows: { name: string; top1: number }[], demo: boolean): TransferFacts {
  const baseline = `${target} → ${target}`;
  const base = rows.find((r) => r.name === baseline);
  if (!base) throw new Error(`transferFacts: no ${baseline} row`);
  const key = baselinesFor(target)?.key;
  const gains = key ? TRANSFER_GAINS.find((g) => g.target.toLowerCase() === key) : undefined;
  const published = !demo && gains ? gains.versus.map((v) => ({ ...v })) : null;
  const source = !demo && gains ? gains.source : null;
  const note = demo
    ? 'demo-suite data: not comparable with the published gains'
    : published
      ? `CoVeR's announcement reports gains of ${published.map((p) => `+${p.gain.toFixed(1)} over ${p.paradigm}`).join(', ')}` +
        ` (arXiv ${source!.arxiv}; ${source!.verified.status}: ${source!.verified.against})`
      : `no published transfer gains for ${target}`;
  return {
    target,
    baseline,
    rows: rows.map((r) => ({ name: r.name, top1: r.top1, deltaVsBaseline: r === base ? null : 100 * (r.top1 - base.top1) })),
    published,
    source,
    note,
  };
}
