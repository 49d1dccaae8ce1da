// The published results `cover eval` prints next to a run's own numbers: the three comparison tables of the CoVeR
// announcement (docs/notes/cover-spec.md §3.0; Zhang et al., "Co-training Transformer with Videos and Images Improves
// Action Recognition", arXiv 2112.07175), copied here exactly as published, plus the protocol those CoVeR numbers were
// measured with, so the caller can print "published: 87.2 top-1 (1×3 views, 16×448) / this run: ..." and make the
// difference in protocol visible. Numbers are top-1 accuracy in percent.

export type BaselineKey = 'k400' | 'ssv2' | 'mit';

export interface BaselineRow {
  model: string;
  /** Pre-training data, as published. */
  pretrain: string;
  /** Fine-tuning / co-training data, as published (corrected where the footnote says so). */
  finetune: string;
  /** Top-1 accuracy in percent. */
  top1: number;
  /** Index into the table's footnotes, when the row has one. */
  footnote?: number;
}

/** How a published number was measured; `views` is temporal clips × spatial crops. */
export interface EvalProtocol {
  temporalClips: number;
  spatialCrops: number;
  frames: number;
  /** Crop side in pixels. */
  resolution: number;
}

export interface BaselineTable {
  key: BaselineKey;
  dataset: string;
  metric: 'top-1';
  rows: BaselineRow[];
  footnotes: string[];
  /** The protocol of the CoVeR row (docs/notes/cover-spec.md §2.2, §2.5); the other rows follow their own papers. */
  coverProtocol: EvalProtocol;
}

/** CoVeR's evaluation: 1 temporal clip × 3 spatial crops of 16 frames at 448×448 (UniFormerV2, X-CLIP: "16×3×1"). */
export const COVER_PROTOCOL: EvalProtocol = { temporalClips: 1, spatialCrops: 3, frames: 16, resolution: 448 };

const COVER_ROW = (top1: number): BaselineRow => ({ model: 'CoVeR', pretrain: 'JFT-3B', finetune: 'K400+SSv2+MiT+ImNet', top1 });

export const BASELINE_TABLES: Record<BaselineKey, BaselineTable> = {
  k400: {
    key: 'k400',
    dataset: 'Kinetics-400',
    metric: 'top-1',
    rows: [
      { model: 'VATT', pretrain: 'AudioSet+Videos', finetune: 'K400', top1: 82.1 },
      { model: 'Omnisource', pretrain: 'IG-Kinetics-65M', finetune: 'K400', top1: 83.6 },
      { model: 'ViViT', pretrain: 'JFT-300M', finetune: 'K400', top1: 85.4 },
      { model: 'Video Swin Transformer', pretrain: 'ImageNet21K+external', finetune: 'K400', top1: 86.8 },
      COVER_ROW(87.2),
    ],
    footnotes: [],
    coverProtocol: COVER_PROTOCOL,
  },
  ssv2: {
    key: 'ssv2',
    dataset: 'Something-Something-v2',
    metric: 'top-1',
    rows: [
      { model: 'TimeSformer', pretrain: 'ImageNet21k', finetune: 'SSv2', top1: 62.4 },
      { model: 'VidTr', pretrain: 'ImageNet21k', finetune: 'SSv2', top1: 63.0 },
      { model: 'ViViT', pretrain: 'ImageNet21k', finetune: 'SSv2', top1: 65.9 },
      { model: 'Video Swin Transformer', pretrain: 'ImageNet21K+external', finetune: 'SSv2', top1: 69.6 },
      COVER_ROW(70.9),
    ],
    footnotes: [],
    coverProtocol: COVER_PROTOCOL,
  },
  mit: {
    key: 'mit',
    dataset: 'Moments-in-Time',
    metric: 'top-1',
    rows: [
      { model: 'ViViT', pretrain: 'ImageNet21k', finetune: 'MiT', top1: 38.5 },
      { model: 'VidTr', pretrain: 'ImageNet21k', finetune: 'MiT', top1: 41.1, footnote: 0 },
      COVER_ROW(46.1),
    ],
    footnotes: ['VidTr: the announcement prints the fine-tune data as "SSv2", an evident typo for MiT.'],
    coverProtocol: COVER_PROTOCOL,
  },
};

/** CoVeR's other headline top-1 numbers (same announcement), for datasets without a comparison table. */
export const COVER_OTHER_HEADLINES: ReadonlyArray<{ dataset: string; top1: number }> = [
  { dataset: 'K600', top1: 87.9 },
  { dataset: 'K700', top1: 79.8 },
];

/** Announcement: top-1 gain of the CoVeR-co-trained representation over the standard A→B paradigm, in points. */
export const TRANSFER_GAINS: ReadonlyArray<{ target: string; versus: ReadonlyArray<{ paradigm: string; gain: number }> }> = [
  {
    target: 'K400',
    versus: [
      { paradigm: 'K400→K400', gain: 1.3 },
      { paradigm: 'SSv2→K400', gain: 1.7 },
      { paradigm: 'MiT→K400', gain: 0.4 },
    ],
  },
  {
    target: 'SSv2',
    versus: [
      { paradigm: 'SSv2→SSv2', gain: 2.0 },
      { paradigm: 'K400→SSv2', gain: 1.8 },
      { paradigm: 'MiT→SSv2', gain: 1.1 },
    ],
  },
];

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
 * baselinesFor('Kinetics-400')?.rows.at(-1) // { model: 'CoVeR', pretrain: 'JFT-3B', finetune: 'K400+SSv2+MiT+ImNet', top1: 87.2 }
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
