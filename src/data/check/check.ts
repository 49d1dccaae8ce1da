// `cover data check`'s library side: opens every entry of a dataset index the way training will (the file exists, is
// not empty, decodes: ffprobe for videos with a duration above 0 and any clip window starting inside it, a full decode
// for images; its label is a known class) and returns a report: counts per class, problems by kind with the first few named, total video duration.
// A video that holds fewer frames than its header declares (a download cut short; probe.ts counts its packets, no
// decode) is a `cut-short` problem naming both numbers; training would use only the part that decodes. A file that is
// there but cannot be read (permissions, a symlink loop) is `unreadable`, with why; a class of the train split left
// without a sample (every row of it dropped, or a class list naming more classes than the rows use) is `empty-class`.
// Decodes run a few at a time (default 2, one per core here) since each is an ffprobe process or a libvips decode.
// `shard` checks one fixed part of the split, so that a job array checks a million videos in parallel; merge_checks.ts
// adds the parts' reports up to the report of the whole split.

import { constants as fsConstants, promises as fs } from 'fs';
import { CoverError } from '../../errors';
import { emptyClasses } from '../datasets/drops';
import { fsProblem, isAbsent } from '../../fs_problem';
import { decodeImage } from '../decode/image/decode';
import { shownLabels } from '../datasets/label_names';
import { DatasetIndex, IndexProblemKind, Sample } from '../types';
import { requireFfmpeg } from '../decode/video/find_ffmpeg';
import { CUT_FIX, cutShortMessage, probeVideo } from '../decode/video/probe';

export type CheckProblemKind = IndexProblemKind | 'empty-class' | 'unreadable' | 'empty-file' | 'decode-failed' | 'cut-short' | 'no-duration' | 'bad-window';

export const CHECK_PROBLEM_KINDS: readonly CheckProblemKind[] = [
  'bad-row',
  'unknown-label',
  'missing-file',
  'empty-class',
  'unreadable',
  'empty-file',
  'decode-failed',
  'cut-short',
  'no-duration',
  'bad-window',
];

export interface CheckProblem {
  kind: CheckProblemKind;
  /** The file the problem is about, when there is one. */
  path?: string;
  /** Where the entry was listed (`file:line`), when known. */
  source?: string;
  message: string;
  /** Position of the sample in the split's index (sample problems only): merged shard reports keep the split's order. */
  sample?: number;
}

/** One of `count` parts of a split, for checking a large dataset in parallel (a job array): part `index`, from 0. */
export interface CheckShard {
  index: number;
  count: number;
}

export interface ClassCount {
  label: number;
  name: string;
  /** The class id (ImageNet synset) when `name` is a display name. */
  id?: string;
  /** Entries of this class in the index. */
  samples: number;
  /** Of those, the ones that passed every check. */
  ok: number;
}

export interface CheckReport {
  name: string;
  format: DatasetIndex['format'];
  split: DatasetIndex['split'];
  root: string;
  /** Entries listed: samples in the index plus rows the reader skipped. */
  entries: number;
  /** Samples in the index (rows that parsed and point at a file). */
  samples: number;
  /** Samples that passed every check. */
  ok: number;
  /** Problems by kind, every kind present (0 where none). */
  problemsByKind: Record<CheckProblemKind, number>;
  problemCount: number;
  /** The first `maxProblems` problems, index problems first. */
  problems: CheckProblem[];
  perClass: ClassCount[];
  /** Sum of the durations of the videos that passed every check, seconds. */
  videoSeconds: number;
  videos: number;
  images: number;
  clean: boolean;
  /** Set when only a part of the split was checked: which, and the split's size (merge-checks adds the parts up). */
  shard?: CheckShard & { splitSamples: number; splitEntries: number };
}

export interface CheckOptions {
  /** Decodes in flight (default 2). */
  concurrency?: number;
  /** Problems kept in the report (default 20; the counts cover all). */
  maxProblems?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Check only this part: the samples at positions p of the index with p % count == index (a fixed split, so the
   * parts of one index never overlap and always cover it), and, in part 0, the rows the reader skipped.
   */
  shard?: CheckShard;
}

/** The samples of a shard with their positions in the split (all of them without a shard). */
export function shardSamples(index: DatasetIndex, shard: CheckShard | undefined): { sample: Sample; at: number }[] {
  const all = index.samples.map((sample, at) => ({ sample, at }));
  return shard ? all.filter(({ at }) => at % shard.count === shard.index) : all;
}

/** Result of checking one sample. */
type Verdict = { ok: true; seconds: number } | { ok: false; problem: CheckProblem };

/**
 * Checks every entry of an index.
 * @example
 * const report = await checkDataset(await openDataset('k400', { split: 'train', data: { k400: '.cover/demo/small/k400' } }));
 * report.clean // true
 */
export async function checkDataset(index: DatasetIndex, opts: CheckOptions = {}): Promise<CheckReport> {
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const maxProblems = opts.maxProblems ?? 20;
  const mine = shardSamples(index, opts.shard);
  const samples = mine.map((m) => m.sample);
  // A missing ffmpeg is the machine's problem, not every video's: fail once, before starting.
  if (samples.some((s) => s.kind === 'video')) await requireFfmpeg();
  const verdicts: Verdict[] = new Array(samples.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < samples.length) {
      const i = next++;
      verdicts[i] = await checkSample(samples[i], index.labels.length, index.split);
      if (!verdicts[i].ok && opts.shard) (verdicts[i] as { problem: CheckProblem }).problem.sample = mine[i].at;
      done++;
      opts.onProgress?.(done, samples.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, samples.length) }, worker));

  const problemsByKind = Object.fromEntries(CHECK_PROBLEM_KINDS.map((k) => [k, 0])) as Record<CheckProblemKind, number>;
  const all: CheckProblem[] = [];
  const readerProblems = !opts.shard || opts.shard.index === 0 ? index.problems : [];
  for (const p of readerProblems) {
    const kind = p.kind ?? 'bad-row';
    problemsByKind[kind]++;
    all.push({ kind, source: p.source, ...(p.path ? { path: p.path } : {}), message: p.problem });
  }
  const names = shownLabels(index); // synset names where a mapping file gave them, with the id kept as `id`
  // Counted on the whole index (a shard holds only part of each class), once: in part 0, with the reader's problems.
  if (index.split === 'train' && (!opts.shard || opts.shard.index === 0)) {
    for (const c of emptyClasses(index)) {
      problemsByKind['empty-class']++;
      all.push({ kind: 'empty-class', path: index.root, message: `class ${c} '${names[c]}' has no train sample: its head class would never be trained` });
    }
  }
  const perClass: ClassCount[] = index.labels.map((id, label) => ({ label, name: names[label], ...(names[label] !== id ? { id } : {}), samples: 0, ok: 0 }));
  let ok = 0;
  let videoSeconds = 0;
  verdicts.forEach((v, i) => {
    const s = samples[i];
    const c = perClass[s.label];
    if (c) c.samples++;
    if (v.ok) {
      ok++;
      videoSeconds += v.seconds;
      if (c) c.ok++;
    } else {
      problemsByKind[v.problem.kind]++;
      all.push(v.problem);
    }
  });
  const videos = samples.filter((s) => s.kind === 'video').length;
  return {
    name: index.name,
    format: index.format,
    split: index.split,
    root: index.root,
    entries: samples.length + readerProblems.length,
    samples: samples.length,
    ok,
    problemsByKind,
    problemCount: all.length,
    problems: all.slice(0, maxProblems),
    perClass,
    videoSeconds,
    videos,
    images: samples.length - videos,
    clean: all.length === 0,
    ...(opts.shard ? { shard: { ...opts.shard, splitSamples: index.samples.length, splitEntries: index.samples.length + index.problems.length } } : {}),
  };
}

async function checkSample(s: Sample, numClasses: number, split: DatasetIndex['split']): Promise<Verdict> {
  const fail = (kind: CheckProblemKind, message: string): Verdict => ({
    ok: false,
    problem: { kind, path: s.path, ...(s.source ? { source: s.source } : {}), message },
  });
  if (!(s.label >= 0 && s.label < numClasses) && !(s.label === -1 && split === 'test')) {
    return fail('unknown-label', `label ${s.label} is outside the ${numClasses} classes`);
  }
  let size: number;
  try {
    const st = await fs.stat(s.path);
    if (!st.isFile()) return fail('missing-file', 'is not a file');
    size = st.size;
    await fs.access(s.path, fsConstants.R_OK);
  } catch (err) {
    if (isAbsent(err)) return fail('missing-file', 'file not found');
    const { message, suggestion } = fsProblem(err, 'file');
    return fail('unreadable', `${message} (fix: ${suggestion})`);
  }
  if (size === 0) return fail('empty-file', 'file is empty (0 bytes)');
  try {
    if (s.kind === 'image') {
      await decodeImage(s.path);
      return { ok: true, seconds: 0 };
    }
    const info = await probeVideo(s.path);
    const cut = cutShortMessage(info);
    if (cut) return fail('cut-short', `${cut} (fix: ${CUT_FIX})`);
    if (!(info.durationS > 0)) return fail('no-duration', `duration is ${info.durationS} s`);
    if (s.start !== undefined && s.start >= info.durationS) {
      return fail('bad-window', `clip window starts at ${s.start} s, after the video's end (${info.durationS.toFixed(2)} s)`);
    }
    return { ok: true, seconds: info.durationS };
  } catch (err) {
    // A DecodeError is this file's problem; anything else is a bug and stops the check.
    if (err instanceof CoverError && err.code === 'DECODE') {
      return fail('decode-failed', err.suggestion ? `${err.message} (fix: ${err.suggestion})` : err.message);
    }
    throw err;
  }
}
