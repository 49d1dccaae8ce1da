// Rows a dataset reader could not turn into samples (a missing file, a label not in the class list, a line that does
// not parse), counted by reason, so that training and `cover eval` say what they left out instead of working on a
// subset without a word, and the one bad-data limit (`--max-bad`: a count, or a fraction below 1 of the split's rows)
// that covers these rows together with samples that turn out unreadable when decoded.

import { DatasetError } from '../../errors';
import { DatasetIndex, IndexProblem, IndexProblemKind } from '../types';

/** Why a row was left out: the reader's problem kinds, plus rows without a label in a split that needs one. */
export type DropReason = IndexProblemKind | 'unlabelled';

export const DROP_REASONS: readonly DropReason[] = ['missing-file', 'unknown-label', 'bad-row', 'unlabelled'];

const REASON_WORDS: Record<DropReason, [string, string]> = {
  'missing-file': ['missing file', 'missing files'],
  'unknown-label': ['unknown label', 'unknown labels'],
  'bad-row': ['bad line', 'bad lines'],
  unlabelled: ['unlabelled row', 'unlabelled rows'],
};

/** The rows of one split of one dataset that did not become samples. */
export interface DropReport {
  dataset: string;
  split: string;
  /** Rows the reader saw: samples kept + rows dropped. */
  rows: number;
  kept: number;
  dropped: number;
  /** Dropped rows by reason (every reason present, 0 where none). */
  byReason: Record<DropReason, number>;
  /** The first few, `file:line: problem`. */
  examples: string[];
}

/**
 * Counts what the reader of `index` dropped; `unlabelled` rows (label -1) count too when the caller keeps only labelled
 * samples (training, evaluation).
 * @example
 * dropReport(index, { labelledOnly: true })
 * // { dataset: 'k400', split: 'val', rows: 9, kept: 6, dropped: 3,
 * //   byReason: { 'missing-file': 1, 'unknown-label': 1, 'bad-row': 1, unlabelled: 0 }, examples: [...] }
 */
export function dropReport(index: DatasetIndex, opts: { labelledOnly?: boolean } = {}): DropReport {
  const byReason = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  for (const p of index.problems) byReason[p.kind ?? 'bad-row']++;
  const unlabelled = opts.labelledOnly ? index.samples.filter((s) => s.label < 0) : [];
  byReason.unlabelled = unlabelled.length;
  const dropped = index.problems.length + unlabelled.length;
  const examples = index.problems.slice(0, 3).map(describeProblem);
  for (const s of unlabelled.slice(0, Math.max(0, 3 - examples.length))) examples.push(`${s.source ?? s.path}: no label`);
  return {
    dataset: index.name,
    split: index.split,
    rows: index.samples.length + index.problems.length,
    kept: index.samples.length - unlabelled.length,
    dropped,
    byReason,
    examples,
  };
}

/**
 * The classes of an index that no sample has (a class list naming more classes than the rows use, or a class whose
 * every row was dropped): a head class that would never be trained on the train split.
 */
export function emptyClasses(index: Pick<DatasetIndex, 'labels' | 'samples'>): number[] {
  const seen = new Set(index.samples.map((s) => s.label));
  return index.labels.map((_, c) => c).filter((c) => !seen.has(c));
}

function describeProblem(p: IndexProblem): string {
  return `${p.source}: ${p.problem}${p.path ? ` (${p.path})` : ''}`;
}

/** `1 missing file, 1 unknown label, 2 bad lines` (reasons with a count only); `none` when nothing was dropped. */
export function describeReasons(byReason: Record<DropReason, number>): string {
  const parts = DROP_REASONS.filter((r) => byReason[r] > 0).map((r) => `${byReason[r]} ${REASON_WORDS[r][byReason[r] === 1 ? 0 : 1]}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** `3 of 17 rows dropped (1 missing file, 1 unknown label, 1 bad line)`. */
export function describeDrops(d: DropReport): string {
  return `${d.dropped} of ${d.rows} ${d.split} rows dropped (${describeReasons(d.byReason)})`;
}

/**
 * How many bad rows and unreadable samples together `maxBad` allows in a split of `rows` rows: a count when it is 1 or
 * more, else that fraction of the rows (rounded down, so 0.05 of 12 rows allows none).
 */
export function badLimit(maxBad: number, rows: number): number {
  return maxBad >= 1 ? Math.floor(maxBad) : Math.floor(maxBad * rows);
}

/** `--max-bad 0.05 (0 of 17 rows)` or `--max-bad 3`. */
export function describeLimit(maxBad: number, rows: number): string {
  return maxBad >= 1 ? `--max-bad ${maxBad}` : `--max-bad ${maxBad} (${badLimit(maxBad, rows)} of ${rows} rows)`;
}

/**
 * Stops before any work when a split lost more rows than `maxBad` allows: one line naming the dataset, the counts and
 * the `cover data check` command that lists every row.
 */
export function checkDrops(d: DropReport, maxBad: number, index: Pick<DatasetIndex, 'format' | 'root'>): void {
  if (d.dropped <= badLimit(maxBad, d.rows)) return;
  throw new DatasetError(
    `dataset '${d.dataset}': ${describeDrops(d)}, more than ${describeLimit(maxBad, d.rows)} allows; first: ${d.examples[0] ?? '?'}`,
    {
      path: index.root,
      suggestion: `run \`cover data check ${index.format}:${index.root} --split ${d.split}\` to see every row, fix or remove them, or raise --max-bad`,
    },
  );
}
