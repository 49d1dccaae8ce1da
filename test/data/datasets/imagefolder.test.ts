import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { readImageFolder } from '../../../src/data/datasets/imagefolder';
import { TinySuite, makeTinySuite } from './fixture';
import { AS_ROOT, failFs } from './fs_fault';

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

describe('folders that cannot be read, are empty or loop: an error naming them, never an empty class', () => {
  /** A copy of the suite's imnet under scratch/name. */
  const copy = async (name: string): Promise<string> => {
    const root = path.join(suite.scratch, name);
    await fs.cp(imnet, root, { recursive: true });
    return root;
  };
  const oneLine = (p: Promise<unknown>): Promise<string> => p.then(() => 'read', (e: unknown) => (e instanceof DatasetError ? e.oneLine() : String(e)));

  test('an unreadable class folder (EACCES) is a DatasetError with the fix, not a class of 0 images', async () => {
    const root = await copy('noperm-class');
    const cls = path.join(root, 'train', (await fs.readdir(path.join(root, 'train'))).sort()[1]);
    const spy = failFs('readdir', cls, 'EACCES');
    try {
      expect(await oneLine(readImageFolder(root, { split: 'train' }))).toBe(
        `${cls}: cannot read the folder: permission denied (EACCES) (fix: let this user read it (chmod a+rx on it, a+x on the folders above it), or run cover as a user who can)`,
      );
    } finally {
      spy.mockRestore();
    }
  });

  test('an unreadable root says it cannot be read, not "no train/ folder"', async () => {
    const root = await copy('noperm-root');
    const spy = failFs('access', root, 'EACCES');
    try {
      expect(await oneLine(readImageFolder(root, { split: 'train' }))).toMatch(new RegExp(`^${root}: cannot read the image dataset root: permission denied \\(EACCES\\) \\(fix: let this user read it`));
    } finally {
      spy.mockRestore();
    }
  });

  (AS_ROOT ? test.skip : test)('chmod 000 on a class folder and on the root, as a user (skipped when run as root: chmod stops no read by root)', async () => {
    const root = await copy('chmod');
    const cls = path.join(root, 'train', (await fs.readdir(path.join(root, 'train'))).sort()[0]);
    await fs.chmod(cls, 0);
    try {
      expect(await oneLine(readImageFolder(root, { split: 'train' }))).toMatch(new RegExp(`^${cls}: cannot read the folder: permission denied \\(EACCES\\)`));
    } finally {
      await fs.chmod(cls, 0o755);
    }
    await fs.chmod(root, 0);
    try {
      expect(await oneLine(readImageFolder(root, { split: 'train' }))).toMatch(/cannot read the image dataset root: permission denied \(EACCES\)/);
    } finally {
      await fs.chmod(root, 0o755);
    }
  });

  test('an empty class folder is refused, naming it (as torchvision ImageFolder refuses it); in val/ it is no class problem', async () => {
    const root = await copy('empty-class');
    await fs.mkdir(path.join(root, 'train', 'n99999999'));
    await fs.writeFile(path.join(root, 'train', 'n99999999', 'notes.txt'), 'not an image\n');
    expect(await oneLine(readImageFolder(root, { split: 'train' }))).toBe(
      `${path.join(root, 'train')}: 1 class folder without an image file: n99999999/ (fix: put the images of each class in its folder, or remove the empty folders (each folder of train/ is a class))`,
    );
    expect((await readImageFolder(root, { split: 'val' })).samples).toHaveLength(8);
  });

  test('a folder link that loops (self -> ., up -> .., x -> x) or points nowhere is refused; a link to another folder is a class', async () => {
    const root = await copy('links');
    const train = path.join(root, 'train');
    const [first] = (await fs.readdir(train)).sort();
    await fs.rename(path.join(train, first), path.join(root, 'elsewhere'));
    await fs.symlink(path.join(root, 'elsewhere'), path.join(train, first));
    expect((await readImageFolder(root, { split: 'train' })).samples).toHaveLength(16);
    const cases: Array<[string, string, RegExp]> = [
      ['self', '.', new RegExp(`^${train}/self: is a symbolic link to ${train}, a folder that holds it: a loop, not a class folder \\(fix: remove the link`)],
      ['up', '..', new RegExp(`^${train}/up: is a symbolic link to ${root}, a folder that holds it: a loop`)],
      ['x', 'x', new RegExp(`^${train}/x: cannot read the folder link: is a symbolic link that loops \\(ELOOP\\) \\(fix: remove the link, or point it at the real folder\\)`)],
      ['gone', '/nonexistent-cover-test', new RegExp(`^${train}/gone: is a symbolic link to /nonexistent-cover-test, which does not exist \\(fix: remove the link`)],
    ];
    for (const [name, target, message] of cases) {
      await fs.symlink(target, path.join(train, name));
      expect([name, await oneLine(readImageFolder(root, { split: 'train' }))]).toEqual([name, expect.stringMatching(message)]);
      await fs.unlink(path.join(train, name));
    }
  });
});
