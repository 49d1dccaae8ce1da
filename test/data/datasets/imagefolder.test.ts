import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { readImageFolder } from '../../../src/data/datasets/imagefolder';
import { TinySuite, makeTinySuite } from './fixture';

let suite: TinySuite;
let imnet: string;

beforeAll(async () => {
  suite = await makeTinySuite();
  imnet = path.join(suite.root, 'imnet');
});
afterAll(() => suite?.cleanup());

test('synset folders give sorted classes, human names from LOC_synset_mapping.txt, image samples', async () => {
  const train = await readImageFolder(imnet, { split: 'train', name: 'imnet' });
  const val = await readImageFolder(imnet, { split: 'val' });
  const synsets = (await fs.readdir(path.join(imnet, 'train'))).sort();
  expect(train.labels).toEqual(synsets);
  expect(train.labels.every((l) => /^n\d{8}$/.test(l))).toBe(true);
  const mapping = (await fs.readFile(path.join(imnet, 'LOC_synset_mapping.txt'), 'utf8')).trim().split('\n');
  expect(train.displayNames).toEqual(train.labels.map((l) => mapping.find((m) => m.startsWith(l))!.slice(10)));
  expect(train).toMatchObject({ format: 'imagefolder', flipAllowed: true, problems: [] });
  expect(train.samples).toHaveLength(16);
  expect(val.samples).toHaveLength(8);
  for (const s of [...train.samples, ...val.samples]) {
    expect(s.kind).toBe('image');
    expect(path.basename(path.dirname(s.path))).toBe(train.labels[s.label]);
    expect(s.path).toMatch(/\.JPEG$/);
  }
});

/** A copy of the suite's imnet with val/ flattened, as the ImageNet val tar unpacks. */
async function flatVal(name: string): Promise<{ root: string; files: Array<{ file: string; synset: string }> }> {
  const root = path.join(suite.scratch, name);
  await fs.cp(path.join(imnet, 'train'), path.join(root, 'train'), { recursive: true });
  await fs.mkdir(path.join(root, 'val'));
  const files: Array<{ file: string; synset: string }> = [];
  for (const synset of (await fs.readdir(path.join(imnet, 'val'))).sort()) {
    for (const f of (await fs.readdir(path.join(imnet, 'val', synset))).sort()) {
      await fs.copyFile(path.join(imnet, 'val', synset, f), path.join(root, 'val', f));
      files.push({ file: f, synset });
    }
  }
  return { root, files };
}

test('flat val/ with a val.txt of synsets or class indices, with bad lines counted', async () => {
  const { root, files } = await flatVal('flat-valtxt');
  const synsets = (await fs.readdir(path.join(root, 'train'))).sort();
  const lines = files.map((f, i) => `${f.file} ${i % 2 ? f.synset : synsets.indexOf(f.synset)}`);
  lines.push('ILSVRC2012_val_99999999.JPEG 0', `${files[0].file} n99999999`, 'lonely_token');
  await fs.writeFile(path.join(root, 'val.txt'), lines.join('\n') + '\n');
  const idx = await readImageFolder(root, { split: 'val' });
  expect(idx.samples.map((s) => [path.basename(s.path), idx.labels[s.label]])).toEqual(files.map((f) => [f.file, f.synset]));
  const valTxt = path.join(root, 'val.txt');
  expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([
    ['missing-file', `${valTxt}:9`],
    ['unknown-label', `${valTxt}:10`],
    ['bad-row', `${valTxt}:11`],
  ]);
});

test("flat val/ with Kaggle's LOC_val_solution.csv", async () => {
  const { root, files } = await flatVal('flat-kaggle');
  const rows = files.map((f) => `${f.file.replace(/\.JPEG$/, '')},${f.synset} 1 2 30 40 ${f.synset} 5 6 70 80`);
  await fs.writeFile(path.join(root, 'LOC_val_solution.csv'), ['ImageId,PredictionString', ...rows].join('\n') + '\n');
  const idx = await readImageFolder(root, { split: 'val' });
  expect(idx.problems).toEqual([]);
  expect(idx.samples.map((s) => [path.basename(s.path), idx.labels[s.label]])).toEqual(files.map((f) => [f.file, f.synset]));
});

test('unknown synset folders are counted; flat val without labels is a DatasetError', async () => {
  const root = path.join(suite.scratch, 'extra-synset');
  await fs.cp(imnet, root, { recursive: true });
  await fs.mkdir(path.join(root, 'val', 'n00000000'));
  const idx = await readImageFolder(root, { split: 'val' });
  expect(idx.problems).toEqual([expect.objectContaining({ kind: 'unknown-label', source: path.join(root, 'val', 'n00000000') })]);

  const { root: flat } = await flatVal('flat-nolabels');
  const err = await readImageFolder(flat, { split: 'val' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatasetError);
  expect((err as DatasetError).oneLine()).toMatch(/^.*flat-nolabels\/val: 8 images in val\/ but no label file for them \(fix: move them into val\/<synset>\//);
  await fs.writeFile(path.join(flat, 'ILSVRC2012_validation_ground_truth.txt'), '65\n970\n');
  await expect(readImageFolder(flat, { split: 'val' })).rejects.toMatchObject({ message: expect.stringContaining('meta.mat') });
});
