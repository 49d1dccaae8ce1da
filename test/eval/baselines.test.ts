// The published tables: each announcement row of the research spec's §3.0 (test/fixtures/published-tables.md, verbatim)
// is kept as printed beside the paper's attribution, every row carries its paper, table, setting and verification, and
// the rows the announcement mislabels say so.

import * as fs from 'fs';
import * as path from 'path';
import {
  BASELINE_TABLES,
  BaselineKey,
  baselinesFor,
  comparisonLine,
  COVER_OTHER_HEADLINES,
  COVER_PROTOCOL,
  describeProtocol,
  PublishedRow,
  sourceNote,
  sourceProblems,
  TRANSFER_GAINS,
} from '../../src/eval/baselines';
import { transferFacts } from '../../src/eval/facts';
import { PUBLISHED_TABLES } from '../helpers/fixtures';

const SPEC = PUBLISHED_TABLES;

/** §3.0 of the spec: from its heading to the next `### `. */
function section30(): string {
  const text = fs.readFileSync(SPEC, 'utf8');
  const start = text.indexOf('### 3.0');
  if (start < 0) throw new Error(`${SPEC} has no §3.0`);
  const end = text.indexOf('\n### ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The markdown tables of a text, each as rows of trimmed cells, keyed by the bold title above it (if any). */
function tables(text: string): Array<{ title: string; header: string[]; rows: string[][] }> {
  const out: Array<{ title: string; header: string[]; rows: string[][] }> = [];
  let title = '';
  let current: { title: string; header: string[]; rows: string[][] } | null = null;
  for (const line of text.split('\n')) {
    const bold = /^\*\*(.+?)\*\*\s*$/.exec(line.trim());
    if (bold) title = bold[1];
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.every((c) => /^-+$/.test(c))) continue;
    if (!current) {
      current = { title, header: cells, rows: [] };
      out.push(current);
    } else current.rows.push(cells);
  }
  return out;
}

const TITLES: Record<string, BaselineKey> = { 'Kinetics-400': 'k400', 'Something-Something-v2': 'ssv2', 'Moments-in-Time': 'mit' };

describe(`the tables match ${path.basename(SPEC)}`, () => {
  test('every row of the three comparison tables, in order, is kept as the announcement printed it', () => {
    const found = tables(section30()).filter((t) => t.title in TITLES);
    expect(found.map((t) => TITLES[t.title]).sort()).toEqual(['k400', 'mit', 'ssv2']);
    for (const t of found) {
      const ours = BASELINE_TABLES[TITLES[t.title]];
      expect(ours.dataset).toBe(t.title);
      expect(t.header).toEqual(['Model', 'Pretrain', 'Finetune', 'Top-1']);
      const announced = ours.rows.filter((r) => r.announced).map((r) => r.announced);
      expect(announced).toEqual(
        t.rows.map(([model, pretrain, finetune, top1]) => ({
          model,
          pretrain,
          // A remark in the spec's cell records what the announcement printed there.
          finetune: /printed as "([^"]+)"/.exec(finetune)?.[1] ?? finetune,
          top1: Number(top1),
        })),
      );
    }
  });

  test('the transfer gains and the other headline numbers', () => {
    const transfer = tables(section30()).filter((t) => t.header[0] === 'Target');
    expect(transfer).toHaveLength(TRANSFER_GAINS.length);
    transfer.forEach((t, i) => {
      expect(t.rows).toHaveLength(1);
      const [target, ...gains] = t.rows[0];
      expect(TRANSFER_GAINS[i].target).toBe(target);
      expect([...TRANSFER_GAINS[i].versus]).toEqual(t.header.slice(1).map((h, j) => ({ paradigm: h.replace(/^vs /, ''), gain: Number(gains[j]) })));
    });
    const other = /Other CoVeR headline numbers: (.*)/.exec(section30());
    expect(other).not.toBeNull();
    const pairs = [...other![1].matchAll(/(K\d+) (\d+\.\d)/g)].map((m) => ({ dataset: m[1], top1: Number(m[2]) }));
    expect(pairs).toEqual(COVER_OTHER_HEADLINES.map(({ dataset, top1 }) => ({ dataset, top1 })));
  });

  test('no number in a §3.0 table is missing from the source', () => {
    const ours = new Set<number>([
      ...Object.values(BASELINE_TABLES).flatMap((t) => t.rows.flatMap((r) => (r.announced ? [r.announced.top1] : []))),
      ...COVER_OTHER_HEADLINES.map((h) => h.top1),
      ...TRANSFER_GAINS.flatMap((t) => t.versus.map((v) => v.gain)),
    ]);
    const cells = tables(section30()).flatMap((t) => t.rows.flat());
    const numbers = cells.filter((c) => /^\+?\d+\.\d+$/.test(c)).map(Number);
    expect(numbers.length).toBe(19); // 5 + 5 + 3 table rows, 6 transfer gains
    for (const n of numbers) expect(ours).toContain(n);
  });
});

const ALL_ROWS: Array<[string, PublishedRow]> = Object.values(BASELINE_TABLES).flatMap((t) => t.rows.map((r): [string, PublishedRow] => [`${t.key} ${r.model} ${r.top1}`, r]));

describe('every row has its source', () => {
  test.each(ALL_ROWS)('%s', (_name, row) => {
    expect(sourceProblems(row)).toEqual([]);
    expect(sourceNote(row)).toContain(`arXiv ${row.source.arxiv}, ${row.source.table}: ${row.source.setting}`);
  });

  test('the other headline numbers and the transfer gains too', () => {
    for (const x of [...COVER_OTHER_HEADLINES, ...TRANSFER_GAINS]) {
      expect(sourceProblems({ model: 'CoVeR', pretrain: '-', finetune: '-', top1: 0, source: x.source })).toEqual([]);
    }
  });

  test('a row without a source, or with half of one, fails the check', () => {
    const row = BASELINE_TABLES.k400.rows[0];
    expect(sourceProblems({ ...row, source: undefined } as unknown as PublishedRow)).toEqual(['no source']);
    expect(sourceProblems({ ...row, source: { ...row.source, arxiv: 'arXiv:2102', table: ' ', setting: '' } })).toEqual([
      'arXiv id "arXiv:2102" is not NNNN.NNNNN',
      'no table',
      'no setting',
    ]);
    expect(sourceProblems({ ...row, source: { ...row.source, verified: { status: 'paper', against: '' } } })).toEqual(['no verification']);
    // Printed otherwise by the announcement, with nothing saying why.
    expect(sourceProblems({ ...row, announced: { model: 'ViViT', pretrain: 'JFT-300M', finetune: 'K400', top1: 85.4 } })).toEqual([
      'reads otherwise than the announcement with no correction',
    ]);
    // A less detailed label of the same result needs no correction.
    expect(sourceProblems({ ...row, announced: { model: 'TimeSformer', pretrain: 'ImageNet21k', finetune: 'K400', top1: 78.0 } })).toEqual([]);
  });
});

describe("the announcement's labels that disagree with the papers", () => {
  const row = (key: BaselineKey, top1: number) => BASELINE_TABLES[key].rows.find((r) => r.top1 === top1 && r.announced)!;

  test.each<[BaselineKey, number, string, string, string]>([
    ['mit', 41.1, 'VidTr', 'VATT-Large', '2104.11178'],
    ['k400', 85.4, 'ViViT', 'TokenLearner 16at18+L/10', '2106.11297'],
    ['k400', 86.8, 'Video Swin Transformer', 'SwinV2-G', '2111.09883'],
    ['ssv2', 62.4, 'TimeSformer', 'TimeSformer-L', '2102.05095'],
    ['ssv2', 65.9, 'ViViT', 'ViViT-L/16x2 FE', '2103.15691'],
  ])('%s %d: printed as %s, is %s (arXiv %s); the footnote says what the announcement printed', (key, top1, printed, model, arxiv) => {
    const r = row(key, top1);
    expect(r.announced!.model).toBe(printed);
    expect(r.model).toBe(model);
    expect(r.source.arxiv).toBe(arxiv);
    expect(r.correction).toBeDefined();
    expect(sourceNote(r)).toContain(`The announcement printed "${printed}, ${r.announced!.pretrain}, ${r.announced!.finetune}, ${top1.toFixed(1)}": `);
  });

  test('SSv2 62.4 is ImageNet-1K pre-training (TimeSformer Table 7), not ImageNet-21K', () => {
    expect(row('ssv2', 62.4)).toMatchObject({ pretrain: 'ImageNet-1K', source: { table: 'Table 7' } });
  });

  test('a row that cannot be checked in its paper says so in its footnote', () => {
    expect(sourceNote(row('ssv2', 63.0))).toContain('UNVERIFIED');
    expect(sourceNote(row('k400', 85.4))).toContain('NOT checked in the paper itself');
  });
});

test("TimeSformer's own rows, with their settings", () => {
  const tsf = (key: BaselineKey) =>
    BASELINE_TABLES[key].rows.filter((r) => r.model.startsWith('TimeSformer')).map((r) => [r.model, r.top1, r.pretrain, r.source.table]);
  expect(tsf('k400')).toEqual([
    ['TimeSformer', 78.0, 'ImageNet-21K', 'Table 5'],
    ['TimeSformer-HR', 79.7, 'ImageNet-21K', 'Table 5'],
    ['TimeSformer-L', 80.7, 'ImageNet-21K', 'Table 5'],
  ]);
  expect(tsf('ssv2')).toEqual([
    ['TimeSformer', 59.5, 'ImageNet-1K', 'Table 7'],
    ['TimeSformer-HR', 62.2, 'ImageNet-1K', 'Table 7'],
    ['TimeSformer-L', 62.4, 'ImageNet-1K', 'Table 7'],
  ]);
  expect(BASELINE_TABLES.k400.rows.find((r) => r.model === 'TimeSformer-HR')!.source.setting).toContain('16×448');
});

describe('baselinesFor', () => {
  test.each<[string, BaselineKey | null]>([
    ['k400', 'k400'],
    ['kinetics400', 'k400'],
    ['Kinetics-400', 'k400'],
    ['ssv2', 'ssv2'],
    ['SSv2', 'ssv2'],
    ['something_something_v2', 'ssv2'],
    ['mit', 'mit'],
    ['Moments in Time', 'mit'],
    ['k600', null],
    ['k700', null],
    ['imnet', null],
    ['my_clips', null],
  ])('%s -> %s', (name, key) => {
    expect(baselinesFor(name)?.key ?? null).toBe(key);
  });

  test('the CoVeR rows and their protocol', () => {
    expect(baselinesFor('k400')!.rows.at(-1)).toMatchObject({ model: 'CoVeR', pretrain: 'JFT-3B', finetune: 'K400+SSv2+MiT+ImNet', top1: 87.2 });
    expect(baselinesFor('ssv2')!.rows.at(-1)!.top1).toBe(70.9);
    expect(baselinesFor('mit')!.rows.at(-1)!.top1).toBe(46.1);
    expect(describeProtocol(COVER_PROTOCOL)).toBe('1×3 views, 16×448');
  });
});

test('comparisonLine flags a different protocol', () => {
  const small = { temporalClips: 1, spatialCrops: 3, frames: 8, resolution: 224 };
  expect(comparisonLine(BASELINE_TABLES.k400, { top1: 0.123, protocol: small })).toBe(
    'published CoVeR: 87.2 top-1 (1×3 views, 16×448) / this run: 12.3 top-1 (1×3 views, 8×224; different protocol)',
  );
  expect(comparisonLine(BASELINE_TABLES.mit, { top1: 0.5, protocol: COVER_PROTOCOL })).toBe(
    'published CoVeR: 46.1 top-1 (1×3 views, 16×448) / this run: 50.0 top-1 (1×3 views, 16×448)',
  );
});

test('the transfer comparison says where the published gains come from and that they are unverified', () => {
  const rows = [
    { name: 'ssv2 → k400', top1: 0.5 },
    { name: 'k400 → k400', top1: 0.45 },
  ];
  const real = transferFacts('k400', rows, false);
  expect(real.published).toEqual([...TRANSFER_GAINS[0].versus]);
  expect(real.source).toMatchObject({ arxiv: '2112.07175', verified: { status: 'unverified' } });
  expect(real.note).toMatch(/^CoVeR's announcement reports gains of \+1\.3 over K400→K400, .* \(arXiv 2112\.07175; unverified: the CoVeR announcement only; /);
  expect(transferFacts('k400', rows, true)).toMatchObject({ published: null, source: null });
  expect(transferFacts('mine', [{ name: 'mine → mine', top1: 0.1 }], false)).toMatchObject({ published: null, source: null });
});
