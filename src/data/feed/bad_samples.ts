// The one bad-sample policy of training and evaluation. A sample that cannot be read (missing, empty, undecodable, any
// other error of that one sample) is skipped, counted by reason and named; never dropped in silence. `--max-bad` means
// one thing everywhere: per dataset split, the rows its reader dropped (drops.ts) plus the samples found unreadable may
// not exceed a count (>= 1) or a fraction (< 1) of the split's rows (samples + dropped rows); past it the feed stops with
// one DatasetError naming the dataset, the counts by reason and the first files.
//
// A temporary failure (EAGAIN, EMFILE, a decode timeout: retry.ts) is retried by the decoder first; a sample that still
// fails that way counts as bad only until it decodes again (it is tried again whenever it is drawn). Any other failure
// is remembered, so the sample is not decoded again (`knownBad`).
//
// Counting happens when a batch is handed out, in batch order, so the error comes at the same batch whatever the
// timing of the decodes. With several ranks, each counts the samples of its own share against the whole split's limit
// (a rank sees only its share, so the limit is checked per rank, not on the sum).

import { CoverError, DatasetError } from '../../errors';
import { badLimit, describeLimit } from '../datasets/drops';
import { isTransient } from '../decode/retry';

/** Why a sample was skipped. */
export type BadReason = 'missing-file' | 'empty-file' | 'undecodable' | 'temporary' | 'error';

export const BAD_REASONS: readonly BadReason[] = ['missing-file', 'empty-file', 'undecodable', 'temporary', 'error'];

const REASON_WORDS: Record<BadReason, [string, string]> = {
  'missing-file': ['missing file', 'missing files'],
  'empty-file': ['empty file', 'empty files'],
  undecodable: ['undecodable file', 'undecodable files'],
  temporary: ['temporary failure', 'temporary failures'],
  error: ['other error', 'other errors'],
};

/** The reason of a sample's failure: the decoder's own words for a missing or empty file, else its kind. */
export function badReason(err: unknown): BadReason {
  if (isTransient(err)) return 'temporary';
  if (!(err instanceof CoverError)) return 'error';
  if (/file not found/.test(err.message)) return 'missing-file';
  if (/file is empty/.test(err.message)) return 'empty-file';
  return 'undecodable';
}

export interface BadSample {
  dataset: string;
  /** Index of the sample in its DatasetIndex.samples. */
  sampleIdx: number;
  path: string;
  reason: BadReason;
  /** One line: the file and what is wrong with it. */
  problem: string;
}

/** One dataset split under the limit: its rows and what its reader already dropped. */
export interface BadBudget {
  dataset: string;
  /** Where the dataset lives (for the error's path). */
  root: string;
  /** Samples the feed may draw from it. */
  samples: number;
  /** Rows the reader dropped (missing files, unknown labels, bad lines, unlabelled rows). */
  droppedRows: number;
}

export const DEFAULT_MAX_BAD = 0.05;

/** `2 unreadable samples (1 missing file, 1 undecodable file)`. */
export function describeBad(list: readonly BadSample[]): string {
  const counts = new Map<BadReason, number>();
  for (const b of list) counts.set(b.reason, (counts.get(b.reason) ?? 0) + 1);
  const parts = BAD_REASONS.filter((r) => counts.has(r)).map((r) => `${counts.get(r)} ${REASON_WORDS[r][counts.get(r) === 1 ? 0 : 1]}`);
  return `${list.length} unreadable sample${list.length === 1 ? '' : 's'} (${parts.join(', ')})`;
}

export class BadSamples {
  private readonly budgets: Map<string, BadBudget>;
  /** `dataset\0sampleIdx` -> the sample, in the order they were first counted. */
  private readonly counted = new Map<string, BadSample>();
  /** Samples whose failure was not temporary: not decoded again (set as soon as a decode fails, for the launcher). */
  private readonly permanent = new Map<string, { problem: string; reason: BadReason }>();

  constructor(budgets: BadBudget[], private readonly maxBad = DEFAULT_MAX_BAD) {
    this.budgets = new Map(budgets.map((b) => [b.dataset, b]));
  }

  /** Why a sample already known to be bad for good is, or undefined. */
  knownBad(dataset: string, sampleIdx: number): { problem: string; reason: BadReason } | undefined {
    return this.permanent.get(key(dataset, sampleIdx));
  }

  /** Notes a failed decode at once, so that the sample is not decoded again when it is drawn again. */
  failed(dataset: string, sampleIdx: number, reason: BadReason, problem: string): void {
    if (reason !== 'temporary') this.permanent.set(key(dataset, sampleIdx), { problem, reason });
  }

  /** A sample decoded: a temporary failure of it is forgotten. */
  decoded(dataset: string, sampleIdx: number): void {
    const k = key(dataset, sampleIdx);
    if (this.counted.get(k)?.reason === 'temporary') this.counted.delete(k);
  }

  /** Counts a skipped sample (once per sample); throws the DatasetError when its dataset is past --max-bad. */
  count(bad: BadSample): void {
    const k = key(bad.dataset, bad.sampleIdx);
    const had = this.counted.has(k);
    this.counted.set(k, bad);
    if (!had) this.check(bad.dataset);
  }

  /** Skipped samples (not decoded since), in the order they were first counted. */
  list(dataset?: string): BadSample[] {
    const all = [...this.counted.values()];
    return dataset === undefined ? all : all.filter((b) => b.dataset === dataset);
  }

  /** Skipped samples per dataset (every dataset present, 0 where none). */
  counts(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries([...this.budgets.keys()].map((d) => [d, 0]));
    for (const b of this.counted.values()) out[b.dataset] = (out[b.dataset] ?? 0) + 1;
    return out;
  }

  /** Skipped samples per reason (every reason present, 0 where none). */
  byReason(dataset?: string): Record<BadReason, number> {
    const out = Object.fromEntries(BAD_REASONS.map((r) => [r, 0])) as Record<BadReason, number>;
    for (const b of this.list(dataset)) out[b.reason]++;
    return out;
  }

  private check(dataset: string): void {
    const budget = this.budgets.get(dataset);
    if (!budget) throw new Error(`bad samples: no budget for dataset '${dataset}'`);
    const mine = this.list(dataset);
    const rows = budget.samples + budget.droppedRows;
    if (mine.length + budget.droppedRows <= badLimit(this.maxBad, rows)) return;
    const rowsPart = budget.droppedRows > 0 ? ` and ${budget.droppedRows} rows dropped when its index was read` : '';
    // Each problem's own fix is left out: the line ends with the one fix for the whole dataset.
    const first = mine.slice(0, 3).map((b) => b.problem.replace(/ \(fix: .*\)$/, '')).join('; ');
    throw new DatasetError(`dataset '${dataset}': ${describeBad(mine)}${rowsPart}, more than ${describeLimit(this.maxBad, rows)} allows; first: ${first}`, {
      path: budget.root,
      suggestion: 'run `cover data check` on the dataset, fix or remove the files, or raise --max-bad',
    });
  }
}

function key(dataset: string, sampleIdx: number): string {
  return `${dataset}\0${sampleIdx}`;
}
