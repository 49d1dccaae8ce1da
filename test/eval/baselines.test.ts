// The published tables must be exactly the research spec's §3.0, of which test/fixtures/published-tables.md is a copy.

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
  TRANSFER_GAINS,
} from '../../src/eval/baselines';
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
  test('every row of the three comparison tables, in order', () => {
    const found = tables(section30()).filter((t) => t.title in TITLES);
    expect(found.map((t) => TITLES[t.title]).sort()).toEqual(['k400', 'mit', 'ssv2']);
    for (const t of found) {
      const ours = BASELINE_TABLES[TITLES[t.title]];
      expect(ours.dataset).toBe(t.title);
      expect(t.header).toEqual(['Model', 'Pretrain', 'Finetune', 'Top-1']);
      expect(ours.rows).toHaveLength(t.rows.length);
      t.rows.forEach(([model, pretrain, finetune, top1], i) => {
        const row = ours.rows[i];
        const remark = /^(\S+) \((.+)\)$/.exec(finetune);
        expect({ model: row.model, pretrain: row.pretrain, finetune: row.finetune, top1: row.top1 }).toEqual({
          model,
          pretrain,
          finetune: remark ? remark[1] : finetune,
          top1: Number(top1),
        });
        // A remark in the spec's cell becomes a footnote on the row.
        if (remark) expect(ours.footnotes[row.footnote ?? -1]).toMatch(/typo/);
        else expect(row.footnote).toBeUndefined();
      });
    }
  });

  test('the transfer gains and the other headline numbers', () => {
    const transfer = tables(section30()).filter((t) => t.header[0] === 'Target');
    expect(transfer).toHaveLength(TRANSFER_GAINS.length);
    transfer.forEach((t, i) => {
      expect(t.rows).toHaveLength(1);
      const [target, ...gains] = t.rows[0];
      expect(TRANSFER_GAINS[i].target).toBe(target);
      expect(TRANSFER_GAINS[i].versus).toEqual(t.header.slice(1).map((h, j) => ({ paradigm: h.replace(/^vs /, ''), gain: Number(gains[j]) })));
    });
    const other = /Other CoVeR headline numbers: (.*)/.exec(section30());
    expect(other).not.toBeNull();
    const pairs = [...other![1].matchAll(/(K\d+) (\d+\.\d)/g)].map((m) => ({ dataset: m[1], top1: Number(m[2]) }));
    expect(pairs).toEqual(COVER_OTHER_HEADLINES);
  });

  test('no number in a §3.0 table is missing from the source', () => {
    const ours = new Set<number>([
      ...Object.values(BASELINE_TABLES).flatMap((t) => t.rows.map((r) => r.top1)),
      ...COVER_OTHER_HEADLINES.map((h) => h.top1),
      ...TRANSFER_GAINS.flatMap((t) => t.versus.map((v) => v.gain)),
    ]);
    const cells = tables(section30()).flatMap((t) => t.rows.flat());
    const numbers = cells.filter((c) => /^\+?\d+\.\d+$/.test(c)).map(Number);
    expect(numbers.length).toBe(19); // 5 + 5 + 3 table rows, 6 transfer gains
    for (const n of numbers) expect(ours).toContain(n);
  });
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
    expect(baselinesFor('k400')!.rows.at(-1)).toEqual({ model: 'CoVeR', pretrain: 'JFT-3B', finetune: 'K400+SSv2+MiT+ImNet', top1: 87.2 });
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
