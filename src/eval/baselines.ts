// Looking up and formatting the published results (published_results.ts holds the rows and their sources): the table
// `cover eval` prints next to a run's own numbers for a dataset name, the comparison line with CoVeR's protocol so the
// difference in protocol stays visible, each row's source as a footnote, and the check that every row has one.

import { BaselineKey, EvalProtocol, PUBLISHED_TABLES, PublishedRow, PublishedTable, Source } from './published_results';

export { COVER_OTHER_HEADLINES, COVER_PROTOCOL, TRANSFER_GAINS } from './published_results';
export type { BaselineKey, EvalProtocol, PublishedRow, Source } from './published_results';
export type BaselineTable = PublishedTable;
export type BaselineRow = PublishedRow;

export const BASELINE_TABLES: Record<BaselineKey, BaselineTable> = PUBLISHED_TABLES;

const ALIASES: Record<string, BaselineKey> = {
  k400: 'k400',
  kinetics400: 'k400',
  ssv2: 'ssv2',
  somethingsomethingv2: 'ssv2',
  mit: 'mit',
  momentsintime: 'mit',
};

/**
 * The published table for a dataset name (case, '-', '_' and spaces ignored), or null when there is none and the
 * run's numbers are not comparable with published ones.
 * @example
 * baselinesFor('Kinetics-400')?.rows.at(-1)?.top1 // 87.2 (CoVeR)
 * baselinesFor('k600') // null
 */
export function baselinesFor(datasetName: string): BaselineTable | null {
  const key = ALIASES[datasetName.toLowerCase().replace(/[-_\s]/g, '')];
  return key ? BASELINE_TABLES[key] : null;
}

/** `1×3 views, 16×448` */
export function describeProtocol(p: EvalProtocol): string {
  return `${p.temporalClips}×${p.spatialCrops} views, ${p.frames}×${p.resolution}`;
}

/**
 * The comparison line under the table; says so when the protocols differ, since then the numbers are not like for like.
 * @example
 * comparisonLine(BASELINE_TABLES.k400, { top1: 0.123, protocol: { temporalClips: 1, spatialCrops: 3, frames: 8, resolution: 224 } })
 * // 'published CoVeR: 87.2 top-1 (1×3 views, 16×448) / this run: 12.3 top-1 (1×3 views, 8×224; different protocol)'
 */
export function comparisonLine(table: BaselineTable, run: { top1: number; protocol: EvalProtocol }): string {
  const cover = table.rows.find((r) => r.model === 'CoVeR');
  if (!cover) throw new Error(`baselines: table ${table.key} has no CoVeR row`);
  const p = table.coverProtocol;
  const q = run.protocol;
  const same = p.temporalClips === q.temporalClips && p.spatialCrops === q.spatialCrops && p.frames === q.frames && p.resolution === q.resolution;
  return (
    `published CoVeR: ${cover.top1.toFixed(1)} top-1 (${describeProtocol(p)})` +
    ` / this run: ${(run.top1 * 100).toFixed(1)} top-1 (${describeProtocol(q)}${same ? '' : '; different protocol'})`
  );
}

const VERIFIED: Record<Source['verified']['status'], string> = {
  paper: 'checked in the paper',
  abstract: 'checked in the paper\'s abstract',
  secondary: 'NOT checked in the paper itself, only in later papers',
  unverified: 'UNVERIFIED against the paper',
};

/**
 * A row's footnote under the printed table: paper, arXiv id, table, setting and how far it was checked (what it was
 * checked against is in `source.verified.against`, which --json carries), then what the announcement printed when the
 * row reads otherwise.
 * @example
 * sourceNote(BASELINE_TABLES.mit.rows[1])
 * // 'Akbari et al. 2021 (VATT), arXiv 2104.11178, Table 1: VATT-Large (LBS) vision Transformer, ... fine-tuned on MiT;
 * //  checked in the paper. The announcement printed "VidTr, ImageNet21k, SSv2, 41.1": 41.1 is VATT-Large's ...'
 */
export function sourceNote(row: PublishedRow): string {
  const s = row.source;
  const note = `${s.paper}, arXiv ${s.arxiv}, ${s.table}: ${s.setting}; ${VERIFIED[s.verified.status]}.`;
  if (!row.correction || !row.announced) return note;
  const a = row.announced;
  return `${note} The announcement printed "${a.model}, ${a.pretrain}, ${a.finetune}, ${a.top1.toFixed(1)}": ${row.correction}.`;
}

/** What is missing from a row's source, one phrase each; empty when the row is fully sourced. */
export function sourceProblems(row: PublishedRow): string[] {
  const s = row.source as Partial<Source> | undefined;
  if (!s) return ['no source'];
  const problems: string[] = [];
  if (!s.paper?.trim()) problems.push('no paper');
  if (!/^\d{4}\.\d{4,5}$/.test(s.arxiv ?? '')) problems.push(`arXiv id "${s.arxiv ?? ''}" is not NNNN.NNNNN`);
  if (!s.table?.trim()) problems.push('no table');
  if (!s.setting?.trim()) problems.push('no setting');
  if (!s.verified || !(s.verified.status in VERIFIED) || !s.verified.against?.trim()) problems.push('no verification');
  if (row.announced && !sameLabel(row.announced, row) && !row.correction?.trim()) problems.push('reads otherwise than the announcement with no correction');
  return problems;
}

/**
 * Whether the announcement's row names the same result as the paper's row, with less detail (VATT for VATT-Large,
 * Omnisource for OmniSource): the same number and fine-tuning data, the announced model a prefix of the paper's.
 * Wording of the pre-training data (ImageNet21k, ImageNet-21K) needs no correction.
 */
function sameLabel(a: { model: string; finetune: string; top1: number }, row: PublishedRow): boolean {
  return a.top1 === row.top1 && a.finetune === row.finetune && row.model.toLowerCase().startsWith(a.model.toLowerCase());
}
