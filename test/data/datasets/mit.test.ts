import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { readMit } from '../../../src/data/datasets/mit';
import { TinySuite, appendLines, copyDataset, lineCount, makeTinySuite } from './fixture';

let suite: TinySuite;
let mit: string;

beforeAll(async () => {
  suite = await makeTinySuite();
  mit = path.join(suite.root, 'mit');
});
afterAll(() => suite?.cleanup());

test('reads the generated layout: categories by their index, clips under videos/<split>/<category>/', async () => {
  const train = await readMit(mit, { split: 'train', name: 'mit' });
  const val = await readMit(mit, { split: 'val' });
  const cats = (await fs.readFile(path.join(mit, 'moments_categories.txt'), 'utf8')).trim().split('\n').map((l) => l.split(','));
  expect(train.labels).toEqual(cats.map(([name]) => name));
  expect(cats.map(([, i]) => Number(i))).toEqual([0, 1, 2, 3]);
  expect(train).toMatchObject({ format: 'mit', sampling: 'uniform', flipAllowed: true, problems: [] });
  expect(train.samples).toHaveLength(16);
  expect(val.samples).toHaveLength(8);
  for (const s of train.samples) {
    expect(path.relative(path.join(mit, 'videos', 'training'), s.path).split(path.sep)[0]).toBe(train.labels[s.label]);
  }
  expect(val.samples.every((s) => s.path.startsWith(path.join(mit, 'videos', 'validation')))).toBe(true);
});

test('annotations/ and training/ without videos/ work too', async () => {
  const root = path.join(suite.scratch, 'flat');
  await fs.mkdir(path.join(root, 'annotations'), { recursive: true });
  for (const f of ['moments_categories.txt', 'trainingSet.csv']) await fs.copyFile(path.join(mit, f), path.join(root, 'annotations', f));
  await fs.cp(path.join(mit, 'videos', 'training'), path.join(root, 'training'), { recursive: true });
  const idx = await readMit(root, { split: 'train' });
  expect(idx.samples).toHaveLength(16);
  expect(idx.problems).toEqual([]);
});

test('short rows, unknown categories and missing clips are counted with file:line', async () => {
  const root = await copyDataset(mit, path.join(suite.scratch, 'broken'));
  const csv = path.join(root, 'validationSet.csv');
  const n = await lineCount(csv);
  await appendLines(csv, ['just_one_column.mp4', 'juggling/yt-x_1.mp4,juggling,3,1', 'bouncing/yt-missing_1.mp4,bouncing,3,1']);
  const idx = await readMit(root, { split: 'val' });
  expect(idx.samples).toHaveLength(8);
  expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([
    ['bad-row', `${csv}:${n + 1}`],
    ['unknown-label', `${csv}:${n + 2}`],
    ['missing-file', `${csv}:${n + 3}`],
  ]);
  expect(idx.problems[2].path).toBe(path.join(root, 'videos', 'validation', 'bouncing', 'yt-missing_1.mp4'));
});

test('missing files and the test split are DatasetErrors with a fix', async () => {
  const root = path.join(suite.scratch, 'nocats');
  await fs.mkdir(root);
  await expect(readMit(root, { split: 'train' })).rejects.toMatchObject({ path: root, message: 'no moments_categories.txt' });
  await expect(readMit(mit, { split: 'test' })).rejects.toThrow(DatasetError);
  await expect(readMit(mit, { split: 'test' })).rejects.toMatchObject({ suggestion: expect.stringContaining('--split val') });
});
