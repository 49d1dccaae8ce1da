// `cover eval`'s library side: a checkpoint's heads evaluated on their datasets' val (or test/train) split, with top-1,
// top-5, mean class accuracy and the confusion matrix per head (evaluate.ts, metrics.ts), confusion CSVs written next to
// the checkpoint, and the facts of the evaluation (facts.ts): its protocol, which heads are on demo-suite data, and for
// K400, SSv2 and MiT on real data the published CoVeR comparison (baselines.ts, docs/notes/cover-spec.md §3.0) with
// both protocols stated. The run configuration the checkpoint was trained with (its recipe) comes back too, when it
// holds one.
//
// Where the data comes from: `data` (`--data NAME=[FORMAT:]PATH`) when given; else the datasets the checkpoint was
// trained on (its saved run config), so `cover eval` after `cover cotrain` needs no arguments; else, or when a demo
// folder is named, the demo suite (resolveRunDatasets). A dataset is "demo" when its folder sits in a demo suite (a
// `demo.json` beside it): its numbers are never compared with published ones, whatever its name.
//
// Every requested dataset needs a head of the same name whose labels are the dataset's labels, in the same order;
// otherwise the logits would be scored against the wrong classes, so that is a CheckpointError, not a number.
//
// Rows the dataset reader dropped (a missing clip, an unknown label, a bad line) are counted with the unreadable samples
// against one limit, --max-bad (a count, or a fraction below 1 of the split's rows): over it, eval stops before loading
// the model; under it, each head's result carries the counts by reason, shown under the table and in --json.

import * as fs from 'fs';
import * as path from 'path';
import { readCheckpointConfig } from '../checkpoint/checkpoint';
import type { NonFiniteReport } from '../checkpoint/finite';
import { loadModel } from '../checkpoint/load_model';
import { writeAtomically } from '../checkpoint/safetensors';
import { DEFAULT_MAX_BAD } from '../data/feed/bad_samples';
import { checkDrops, dropReport } from '../data/datasets/drops';
import { openDataset } from '../data/datasets/registry';
import { DEMO_MARKER } from '../demo/suite';
import { DEMO_SIZES, DemoSize } from '../demo/plan';
import { DatasetIndex } from '../data/types';
import { CheckpointError, ConfigError, DatasetError, FileError, fileError } from '../errors';
import { HeadInfo } from '../model/heads';
import { resolveRunDatasets } from '../run/run_datasets';
import { RunConfig, RunDataset, savedRunConfig } from '../run/run_config';
import { EvalProtocol } from './baselines';
import { HeadEval, evaluateHead } from './evaluate';
import { evalFacts, evalProtocol, HeadComparison, isDemoRoot } from './facts';
import { confusionCsv } from './metrics';

export interface EvaluateCheckpointOptions {
  /** Checkpoint folder (config.json + weights.safetensors). */
  checkpoint: string;
  /** Datasets to evaluate, each a head of the checkpoint; default every head. */
  datasets?: string[];
  /** `--data NAME=[FORMAT:]PATH` entries; empty = the checkpoint's training data, else the demo suite. */
  data: Record<string, string>;
  /** Test views 'temporal x spatial' (CoVeR: '1x3'). */
  views: string;
  split: 'val' | 'test' | 'train';
  /**
   * Use the demo suite in this folder, of this size (generated there if needed); either one means the demo suite. The
   * size defaults to that of the suite already in the folder, else 'small'.
   */
  demoDir?: string;
  demoSize?: DemoSize;
  /** Evaluate only the first N samples of each dataset. */
  maxSamples?: number;
  /** Where the confusion CSVs go; default `<checkpoint>/eval`. */
  csvDir?: string;
  /** Clips per forward pass (views count as clips). */
  batchSize?: number;
  concurrency?: number;
  cacheDir?: string;
  /** In-memory whole-video cache cap in bytes (loader.ts); training uses it too, so both see the same pixels. */
  memoryCacheBytes?: number;
  /**
   * Dropped rows and unreadable samples tolerated together, per dataset: a count, or a fraction below 1 of the split's
   * rows (default 0.05).
   */
  maxBad?: number;
  /** Evaluate weights that hold NaN or Inf (named in the result's `nonFiniteWeights`) instead of refusing them. */
  allowNonFinite?: boolean;
  log?: (line: string) => void;
  onProgress?: (head: string, done: number, total: number) => void;
}

export interface CheckpointEval {
  checkpoint: string;
  /** How this checkpoint was evaluated: views, frames, resolution. */
  protocol: EvalProtocol;
  views: string;
  split: string;
  /** True when every evaluated dataset is demo-suite data. */
  demo: boolean;
  /** Heads evaluated on demo-suite data. */
  demoHeads: string[];
  /** The dataset each head was evaluated on (`FORMAT:PATH`). */
  datasets: RunDataset[];
  evals: HeadEval[];
  comparisons: HeadComparison[];
  /** Confusion CSV path per head. */
  csv: Record<string, string>;
  /** The run configuration the checkpoint was trained with (its recipe included), when it holds one. */
  trainedWith?: RunConfig;
  /** The NaN and Inf in the weights evaluated anyway (allowNonFinite): every score is then meaningless. */
  nonFiniteWeights?: NonFiniteReport;
}

export const EVAL_DIR = 'eval';

/** Why a head cannot score a dataset, or null when their labels agree. */
export function labelMismatch(head: HeadInfo, labels: string[]): string | null {
  if (head.labels.length !== labels.length) return `the head has ${head.labels.length} classes, the dataset ${labels.length}`;
  const i = head.labels.findIndex((l, c) => l !== labels[c]);
  if (i < 0) return null;
  return `class ${i} is '${head.labels[i]}' in the head but '${labels[i]}' in the dataset`;
}

/** The training datasets saved in a checkpoint's run config, when it names every one of `names`. */
function savedDatasets(extra: unknown, names: string[]): { datasets: RunDataset[]; data: Record<string, string> } | null {
  const cfg = (extra as { run?: { config?: { datasets?: unknown; data?: unknown } } } | undefined)?.run?.config;
  if (!cfg || !Array.isArray(cfg.datasets)) return null;
  const byName = new Map<string, RunDataset>();
  for (const d of cfg.datasets as Array<Partial<RunDataset>>) {
    if (typeof d?.name === 'string' && typeof d.spec === 'string') byName.set(d.name, { name: d.name, spec: d.spec });
  }
  if (!names.every((n) => byName.has(n))) return null;
  const data = typeof cfg.data === 'object' && cfg.data !== null ? (cfg.data as Record<string, string>) : {};
  return { datasets: names.map((n) => byName.get(n)!), data };
}

/** The size of the demo suite already in `dir`, if there is one. */
function suiteSize(dir: string): DemoSize | undefined {
  try {
    const size = (JSON.parse(fs.readFileSync(path.join(dir, DEMO_MARKER), 'utf8')) as { size?: unknown }).size;
    return (DEMO_SIZES as readonly unknown[]).includes(size) ? (size as DemoSize) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Evaluates a checkpoint's heads and writes their confusion matrices as CSV.
 * @example
 * // A small-preset run of 251 steps on the demo suite (still at chance), evaluated on the data it was trained on:
 * const r = await evaluateCheckpoint({ checkpoint: 'runs/cotrain/checkpoint', data: {}, views: '1x3', split: 'val' });
 * r.evals.map((e) => `${e.head} ${(100 * e.top1).toFixed(1)}`) // ['k400 12.5', 'ssv2 12.5', 'mit 16.7', 'imnet 19.4']
 * r.csv.k400 // 'runs/cotrain/checkpoint/eval/confusion_k400.csv'
 */
export async function evaluateCheckpoint(opts: EvaluateCheckpointOptions): Promise<CheckpointEval> {
  const log = opts.log ?? (() => {});
  const ck = readCheckpointConfig(opts.checkpoint); // fails first, and cheaply, on a missing or damaged checkpoint
  const protocol = evalProtocol(opts.views, ck.model.numFrames, ck.preprocessing.cropSize);
  const heads = new Map(ck.heads.map((h) => [h.name, h]));
  const names = opts.datasets ?? ck.heads.map((h) => h.name);
  if (names.length === 0) throw new ConfigError('no dataset to evaluate', { suggestion: 'name datasets with --datasets' });
  for (const n of names) {
    if (!heads.has(n)) {
      throw new ConfigError(`unknown dataset '${n}': the checkpoint has no head of that name`, {
        path: opts.checkpoint,
        suggestion: `evaluate its heads: --datasets ${[...heads.keys()].join(',')}`,
      });
    }
  }
  if (new Set(names).size !== names.length) throw new ConfigError('a dataset is named twice', { suggestion: 'name each dataset once' });

  // Where each dataset's files are.
  const wantsDemo = opts.demoDir !== undefined || opts.demoSize !== undefined;
  const saved = Object.keys(opts.data).length === 0 && !wantsDemo ? savedDatasets(ck.extra, names) : null;
  const demoSize = opts.demoSize ?? (opts.demoDir === undefined ? undefined : suiteSize(opts.demoDir)); // the size of the suite given
  const resolved = saved ?? (await resolveRunDatasets(names, opts.data, { demoDir: opts.demoDir, demoSize, log }));

  const indexes = new Map<string, DatasetIndex>();
  for (const d of resolved.datasets) {
    const index = await openDataset(d.spec, { split: opts.split, data: resolved.data, name: d.name }).catch((err: unknown) => {
      if (!(saved && err instanceof DatasetError)) throw err;
      // The training data named in the checkpoint may have moved: say where eval looked and how to point it elsewhere.
      throw new DatasetError(`${err.message} (the checkpoint's training data for '${d.name}')`, {
        path: err.path,
        suggestion: `give the data with --data ${d.name}=PATH, or use the demo suite with --demo-dir DIR`,
        cause: err,
      });
    });
    const why = labelMismatch(heads.get(d.name)!, index.labels);
    if (why) {
      throw new CheckpointError(`head '${d.name}' does not match the dataset ${index.root}: ${why}`, {
        path: opts.checkpoint,
        suggestion: `evaluate on the data the checkpoint was trained on, or fine-tune it on this dataset first (cover cotrain --init ${opts.checkpoint})`,
      });
    }
    if (!index.samples.some((s) => s.label >= 0)) {
      throw new DatasetError(`the ${opts.split} split of '${d.name}' has no labelled sample to evaluate`, {
        path: index.root,
        suggestion: opts.split === 'val' ? 'check the annotation files (cover data check)' : 'evaluate the val split (--split val)',
      });
    }
    checkDrops(dropReport(index, { labelledOnly: true }), opts.maxBad ?? DEFAULT_MAX_BAD, index);
    indexes.set(d.name, index);
  }
  const demoHeads = names.filter((n) => isDemoRoot(indexes.get(n)!.root));
  log(
    `evaluating ${opts.checkpoint} on the ${opts.split} split, views ${opts.views}${saved ? ' (the data it was trained on)' : ''}: ` +
      names.map((n) => `${n} ${indexes.get(n)!.root}${demoHeads.includes(n) ? ' (demo)' : ''}`).join(', '),
  );

  const { model, checkpoint: loaded } = await loadModel(opts.checkpoint, { allowNonFinite: opts.allowNonFinite });
  const evals: HeadEval[] = [];
  const csvDir = opts.csvDir ?? path.join(opts.checkpoint, EVAL_DIR);
  try {
    // The CSVs' folder before the evaluation: a folder that cannot be made is one line now, not after minutes of it.
    makeCsvDir(csvDir);
    for (const n of names) {
      evals.push(
        await evaluateHead(model, n, indexes.get(n)!, {
          preprocessing: ck.preprocessing,
          views: opts.views,
          maxSamples: opts.maxSamples,
          batchSize: opts.batchSize,
          concurrency: opts.concurrency,
          cacheDir: opts.cacheDir,
          memoryCacheBytes: opts.memoryCacheBytes,
          maxBad: opts.maxBad ?? DEFAULT_MAX_BAD,
          seed: 0,
          onProgress: (done, total) => opts.onProgress?.(n, done, total),
        }),
      );
    }
  } finally {
    model.dispose();
  }

  const csv: Record<string, string> = {};
  for (const e of evals) {
    const file = path.join(csvDir, `confusion_${e.head}.csv`);
    const text = confusionCsv(e.confusion, e.perClass.map((p) => p.label)); // shown names (label_names.ts)
    writeAtomically(file, (fd) => fs.writeSync(fd, text));
    csv[e.head] = file;
  }

  const facts = evalFacts(evals, protocol, demoHeads);
  const stored = (ck.extra as { run?: { config?: RunConfig } } | undefined)?.run?.config;
  const trainedWith = stored && savedRunConfig(stored);
  return {
    checkpoint: opts.checkpoint,
    protocol: facts.protocol,
    views: opts.views,
    split: opts.split,
    demo: facts.demo,
    demoHeads: facts.demoHeads,
    datasets: resolved.datasets,
    evals,
    comparisons: facts.comparisons,
    csv,
    ...(trainedWith ? { trainedWith } : {}),
    ...(loaded.nonFinite ? { nonFiniteWeights: loaded.nonFinite } : {}),
  };
}

function makeCsvDir(csvDir: string): void {
  try {
    fs.mkdirSync(csvDir, { recursive: true });
  } catch (err) {
    const e = fileError(err, csvDir, 'create the folder for the confusion matrices', 'folder');
    if (!(e instanceof FileError)) throw e;
    throw new FileError(e.message, { path: csvDir, suggestion: `${e.suggestion}, or give another folder with --csv-dir`, cause: err, errno: e.errno });
  }
}
