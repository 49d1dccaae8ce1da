import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { kineticsClipName, kineticsLabelFolder, readKinetics } from '../../../src/data/datasets/kinetics';
import { TinySuite, appendLines, copyDataset, lineCount, makeTinySuite } from './fixture';
import { failFs } from './fs_fault';

let suite: TinySuite;
let k400: string;

beforeAll(async () => {
  suite = await makeTinySuite();
  k400 = path.join(suite.root, 'k400');
});
afterAll(() => suite?.cleanup());

describe('kinetics names', () => {
  test('label folders follow torchvision: spaces to _, quotes and brackets removed', () => {
    expect(kineticsLabelFolder("passing American football (in game)")).toBe('passing_American_football_in_game');
    expect(kineticsLabelFolder("massaging person's head")).toBe('massaging_persons_head');
  });
  test('clip names pad whole seconds to 6 digits', () => {
    expect(kineticsClipName('--07WQ2iBlw', 1, 11)).toBe('--07WQ2iBlw_000001_000011.mp4');
    expect(kineticsClipName('abc', 12.9, 22.0)).toBe('abc_000012_000022.mp4');
  });
});

describe('readKinetics on the annotation-CSV layout', () => {
  test('reads both splits with sorted label strings as classes', async () => {
    const train = await readKinetics(k400, { split: 'train', name: 'k400' });
    const val = await readKinetics(k400, { split: 'val' });
    expect(train.labels).toEqual(['ankle boot', 'bag', 't-shirt', 'trouser']);
    expect(val.labels).toEqual(train.labels);
    expect(train.samples).toHaveLength(16);
    expect(val.samples).toHaveLength(8);
    expect(train.problems).toEqual([]);
    expect(train).toMatchObject({ name: 'k400', format: 'kinetics', split: 'train', sampling: 'dense', flipAllowed: true });
    for (const s of [...train.samples, ...val.samples]) {
      // The folder is the label's torchvision folder; the file name carries the CSV's times.
      expect(path.basename(path.dirname(s.path))).toBe(kineticsLabelFolder(train.labels[s.label]));
      expect(path.basename(s.path)).toMatch(/^[\w-]{11}_\d{6}_\d{6}\.mp4$/);
      expect(s.kind).toBe('video');
      expect(s.source).toMatch(/annotations\/(train|val)\.csv:\d+$/);
    }
    expect(train.samples.filter((s) => s.label === 0).every((s) => s.path.includes('/train/ankle_boot/'))).toBe(true);
  });

  test('bad rows, unknown labels and missing files are counted with file:line, not thrown', async () => {
    const root = await copyDataset(k400, path.join(suite.scratch, 'k400-broken'));
    const csv = path.join(root, 'annotations', 'val.csv');
    const n = await lineCount(csv);
    await appendLines(csv, [
      'bag,only_three_cols,1', // n+1: wrong column count
      'bag,abcdefghijk,soon,20,val', // n+2: unparsable time
      'juggling,abcdefghijk,1,11,val', // n+3: label not in the train split
      'bag,nosuchclip00,5,15,val', // n+4: file missing
    ]);
    const idx = await readKinetics(root, { split: 'val' });
    expect(idx.samples).toHaveLength(8);
    expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([
      ['bad-row', `${csv}:${n + 1}`],
      ['bad-row', `${csv}:${n + 2}`],
      ['unknown-label', `${csv}:${n + 3}`],
      ['missing-file', `${csv}:${n + 4}`],
    ]);
    expect(idx.problems[3].path).toBe(path.join(root, 'val', 'bag', 'nosuchclip00_000005_000015.mp4'));
    expect(idx.problems[2].problem).toContain("'juggling'");
  });

  test('extra columns, float times and labels with brackets and quotes', async () => {
    const root = await copyDataset(k400, path.join(suite.scratch, 'k400-extra'));
    const csv = path.join(root, 'annotations', 'train.csv');
    const rows = (await fs.readFile(csv, 'utf8')).trim().split('\n');
    // K400's is_cc column; a label as torchvision sanitises it; float seconds.
    const label = "passing American football (in game)";
    const folder = path.join(root, 'train', kineticsLabelFolder(label));
    await fs.mkdir(folder);
    const some = path.join(root, 'train', 'bag', (await fs.readdir(path.join(root, 'train', 'bag')))[0]);
    await fs.copyFile(some, path.join(folder, 'AbCdEfGhIjK_000012_000022.mp4'));
    const out = [`${rows[0]},is_cc`, ...rows.slice(1).map((r) => `${r},0`), `"${label}",AbCdEfGhIjK,12.0,22.0,train,1`];
    await fs.writeFile(csv, out.join('\n') + '\n');
    const idx = await readKinetics(root, { split: 'train' });
    expect(idx.problems).toEqual([]);
    expect(idx.labels).toContain(label);
    const s = idx.samples.find((x) => idx.labels[x.label] === label);
    expect(s?.path).toBe(path.join(folder, 'AbCdEfGhIjK_000012_000022.mp4'));
  });
});

describe('readKinetics on the PySlowFast list layout', () => {
  test('reads `path label_index` lines with a class list, and flags bad lines', async () => {
    const root = path.join(suite.scratch, 'k400-slowfast');
    await fs.mkdir(root);
    const train = await readKinetics(k400, { split: 'train' });
    const lines = train.samples.map((s) => `${path.relative(root, s.path)} ${s.label}`);
    await fs.writeFile(path.join(root, 'train.csv'), [...lines, 'only_a_path.mp4', `${lines[0].split(' ')[0]} 7`].join('\n') + '\n');
    await fs.writeFile(path.join(root, 'classes.txt'), train.labels.join('\n') + '\n');
    const idx = await readKinetics(root, { split: 'train' });
    expect(idx.labels).toEqual(train.labels);
    expect(idx.samples.map((s) => [s.path, s.label])).toEqual(train.samples.map((s) => [s.path, s.label]));
    expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([
      ['bad-row', `${path.join(root, 'train.csv')}:17`],
      ['unknown-label', `${path.join(root, 'train.csv')}:18`],
    ]);
  });
});

describe('readKinetics errors', () => {
  test('a root that does not exist is a DatasetError naming it', async () => {
    const missing = path.join(suite.scratch, 'nope');
    await expect(readKinetics(missing, { split: 'train' })).rejects.toThrow(DatasetError);
    await expect(readKinetics(missing, { split: 'train' })).rejects.toMatchObject({ path: missing, message: expect.stringContaining('does not exist') });
  });
  test('a root without annotations is a DatasetError with the fix', async () => {
    const empty = path.join(suite.scratch, 'empty');
    await fs.mkdir(empty);
    const err = await readKinetics(empty, { split: 'val' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).oneLine()).toMatch(/no Kinetics annotation file for the val split \(fix: put the val\.csv/);
  });
});

describe('readKinetics: every header and number checked', () => {
  test('a CSV without a label column names the header once (not one "empty label" per row); a test split may lack it', async () => {
    const root = await copyDataset(k400, path.join(suite.scratch, 'k400-nolabel'));
    for (const split of ['train', 'val']) {
      const csv = path.join(root, 'annotations', `${split}.csv`);
      const rows = (await fs.readFile(csv, 'utf8')).trim().split('\n');
      await fs.writeFile(csv, rows.map((r) => r.split(',').slice(1).join(',')).join('\n') + '\n');
    }
    const err = await readKinetics(root, { split: 'val' }).catch((e: unknown) => e);
    expect((err as DatasetError).oneLine()).toBe(
      `${path.join(root, 'annotations', 'val.csv')}:1: the annotation header lacks label (only a test split may have no labels) (fix: use the Kinetics header label,youtube_id,time_start,time_end,split)`,
    );
    await fs.copyFile(path.join(root, 'annotations', 'val.csv'), path.join(root, 'annotations', 'test.csv'));
    const test = await readKinetics(root, { split: 'test' });
    expect(test.problems.every((p) => p.kind === 'missing-file')).toBe(true); // unlabelled rows are read; the clips are not in test/
  });

  test('clip times are plain seconds from 0 to a day with the end after the start: anything else is a named bad row', async () => {
    const root = await copyDataset(k400, path.join(suite.scratch, 'k400-times'));
    const csv = path.join(root, 'annotations', 'val.csv');
    const n = await lineCount(csv);
    await appendLines(csv, ['bag,abcdefghijk,0x10,20,val', 'bag,abcdefghijk,1,1e9,val', 'bag,abcdefghijk,5,5,val', 'bag,abcdefghijk,NaN,10,val', 'bag,abcdefghijk,-1,9,val']);
    const idx = await readKinetics(root, { split: 'val' });
    expect(idx.samples).toHaveLength(8);
    expect(idx.problems.map((p) => [p.kind, p.source, p.problem])).toEqual(
      [
        ['0x10', '20'],
        ['1', '1e9'],
        ['5', '5'],
        ['NaN', '10'],
        ['-1', '9'],
      ].map(([s, e], i) => ['bad-row', `${csv}:${n + 1 + i}`, `bad clip times time_start='${s}' time_end='${e}' (need seconds from 0 to 86400, end after start)`]),
    );
  });

  test('list-file label indices are digits only: 0x1, 1.0, 1e0 and -1 are bad rows', async () => {
    const root = path.join(suite.scratch, 'k400-indices');
    await fs.mkdir(root);
    const train = await readKinetics(k400, { split: 'train' });
    const clip = path.relative(root, train.samples[0].path);
    await fs.writeFile(path.join(root, 'train.csv'), [`${clip} 1`, `${clip} 0x1`, `${clip} 1.0`, `${clip} 1e0`, `${clip} -1`].join('\n') + '\n');
    await fs.writeFile(path.join(root, 'classes.txt'), train.labels.join('\n') + '\n');
    const idx = await readKinetics(root, { split: 'train' });
    expect(idx.samples.map((s) => s.label)).toEqual([1]);
    expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([2, 3, 4, 5].map((l) => ['bad-row', `${path.join(root, 'train.csv')}:${l}`]));
  });

  test('a class folder that cannot be read makes its rows say so (EACCES), not "clip not found"', async () => {
    const bag = path.join(k400, 'val', 'bag');
    const spy = failFs('readdir', bag, 'EACCES');
    try {
      const idx = await readKinetics(k400, { split: 'val' });
      expect(idx.problems.length).toBeGreaterThan(0);
      for (const p of idx.problems) {
        expect(p).toMatchObject({ kind: 'missing-file', path: bag, problem: expect.stringMatching(/^its folder cannot be read: permission denied \(EACCES\) \(fix: /) });
      }
    } finally {
      spy.mockRestore();
    }
  });
});
