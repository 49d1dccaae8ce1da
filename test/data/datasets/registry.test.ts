import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { detectFormat, openDataset, parseDataPaths } from '../../../src/data/datasets/registry';
import { demoSuitePaths } from '../../../src/demo/suite';
import { TinySuite, makeTinySuite } from './fixture';
import { failFs } from './fs_fault';

let suite: TinySuite;

beforeAll(async () => {
  suite = await makeTinySuite();
});
afterAll(() => suite?.cleanup());

test('every demo dataset is detected as the format demoSuitePaths names', async () => {
  for (const [name, { root, format }] of Object.entries(demoSuitePaths(suite.root))) {
    expect([name, (await detectFormat(root)).format]).toEqual([name, format]);
    const idx = await openDataset(root, { split: 'val' });
    expect([name, idx.format, idx.name, idx.samples.length, idx.problems.length]).toEqual([name, format, name, 8, 0]);
  }
});

test('short names take their folder from --data; FORMAT:PATH and NAME:PATH force the format', async () => {
  const paths = demoSuitePaths(suite.root);
  const data = parseDataPaths([`k400=${paths.k400.root}`, `myssv2=${paths.ssv2.root}`]);
  const k = await openDataset('k400', { split: 'train', data });
  expect(k).toMatchObject({ name: 'k400', format: 'kinetics', root: paths.k400.root });
  expect(k.samples).toHaveLength(16);
  expect(await openDataset('myssv2', { split: 'val', data })).toMatchObject({ name: 'myssv2', format: 'ssv2' });
  expect(await openDataset(`mit:${paths.mit.root}`, { split: 'val' })).toMatchObject({ name: 'mit', format: 'mit' });
  expect(await openDataset(`imagefolder:${paths.imnet.root}`, { split: 'val' })).toMatchObject({ name: 'imnet', format: 'imagefolder' });
  // --format wins over detection: a Kinetics root read as a manifest folder has no manifest.
  await expect(openDataset(paths.k400.root, { split: 'train', format: 'manifest' })).rejects.toThrow(/no manifest for the train split/);
});

test('a Kinetics annotation CSV given directly opens its dataset', async () => {
  const csv = path.join(demoSuitePaths(suite.root).k400.root, 'annotations', 'val.csv');
  expect(await detectFormat(csv)).toEqual({ format: 'kinetics', root: demoSuitePaths(suite.root).k400.root, annotations: csv });
  const idx = await openDataset(csv, { split: 'val' });
  expect(idx.samples).toHaveLength(8);
});

test('unknown names, missing folders and undetectable folders are one-line DatasetErrors', async () => {
  const noData = await openDataset('k600', { split: 'train' }).catch((e: unknown) => e);
  expect(noData).toBeInstanceOf(DatasetError);
  expect((noData as DatasetError).oneLine()).toBe("no folder given for the dataset 'k600' (fix: pass --data k600=/path/to/k600 (or give the folder itself, or kinetics:PATH))");
  await expect(openDataset(path.join(suite.scratch, 'nope'), { split: 'train' })).rejects.toMatchObject({ message: 'no such dataset folder or file' });
  const plain = path.join(suite.scratch, 'plain');
  await fs.mkdir(plain);
  await expect(openDataset(plain, { split: 'train' })).rejects.toMatchObject({ path: plain, suggestion: expect.stringContaining('--format') });
  expect(() => parseDataPaths(['k400'])).toThrow(/is not NAME=PATH/);
});

test('an annotation file names its split: another split reads the file named for it, none asked reads its own', async () => {
  const { root } = demoSuitePaths(suite.root).k400;
  const ann = (s: string) => path.join(root, 'annotations', `${s}.csv`);
  for (const spec of [ann('train'), `kinetics:${ann('train')}`]) {
    const val = await openDataset(spec, { split: 'val', name: 'k' });
    expect([spec, val.split, val.samples.length, val.samples.every((s) => s.source!.startsWith(`${ann('val')}:`))]).toEqual([spec, 'val', 8, true]);
  }
  expect(await openDataset(ann('val'), {})).toMatchObject({ split: 'val', samples: expect.arrayContaining([expect.objectContaining({ source: `${ann('val')}:2` })]) });
  expect(await openDataset(ann('train'), {})).toMatchObject({ split: 'train' });
  const lone = path.join(suite.scratch, 'lone');
  await fs.mkdir(lone);
  await fs.copyFile(ann('train'), path.join(lone, 'train.csv'));
  await expect(openDataset(path.join(lone, 'train.csv'), { split: 'val' })).rejects.toMatchObject({
    path: path.join(lone, 'train.csv'),
    message: 'holds the train split (by its name), and there is no val file next to it',
  });
});

test('a root that is there but cannot be read says so, not "no such folder" or a guessed file', async () => {
  const dir = path.join(suite.scratch, 'noperm');
  await fs.mkdir(dir);
  for (const [method, code, message] of [
    ['stat', 'EACCES', 'cannot read the dataset path: permission denied (EACCES)'],
    ['access', 'EACCES', 'cannot read the dataset folder: permission denied (EACCES)'],
    ['stat', 'ELOOP', 'cannot read the dataset path: is a symbolic link that loops (ELOOP)'],
  ] as const) {
    const spy = failFs(method, dir, code);
    try {
      await expect(openDataset(dir, { split: 'train' })).rejects.toMatchObject({ path: dir, message });
    } finally {
      spy.mockRestore();
    }
  }
});
