import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { readManifest } from '../../../src/data/datasets/manifest';
import { readMit } from '../../../src/data/datasets/mit';
import { readImageFolder } from '../../../src/data/datasets/imagefolder';
import { Sample } from '../../../src/data/types';
import { TinySuite, makeTinySuite } from './fixture';

let suite: TinySuite;
let videos: Sample[];
let images: Sample[];
let videoLabels: string[];

beforeAll(async () => {
  suite = await makeTinySuite();
  const mit = await readMit(path.join(suite.root, 'mit'), { split: 'train' });
  videos = mit.samples.slice(0, 6);
  videoLabels = mit.labels;
  images = (await readImageFolder(path.join(suite.root, 'imnet'), { split: 'train' })).samples.slice(0, 4);
});
afterAll(() => suite?.cleanup());

test('CSV with names, clip windows and paths relative to the manifest; classes from the train manifest', async () => {
  const dir = path.join(suite.scratch, 'csv');
  await fs.mkdir(dir);
  const rel = (p: string) => path.relative(dir, p);
  const rows = videos.map((s, i) => `${rel(s.path)},${videoLabels[s.label]},${i * 0.5},${i * 0.5 + 1.5}`);
  await fs.writeFile(path.join(dir, 'train.csv'), ['path,label,start,end', ...rows].join('\n') + '\n');
  await fs.writeFile(path.join(dir, 'val.csv'), ['path,label,start,end', rows[0], `${rel(videos[1].path)},juggling,,`].join('\n') + '\n');
  const train = await readManifest(dir, { split: 'train', name: 'mine' });
  const used = [...new Set(videos.map((s) => videoLabels[s.label]))].sort();
  expect(train.labels).toEqual(used);
  expect(train).toMatchObject({ name: 'mine', format: 'manifest', root: dir, problems: [] });
  expect(train.samples.map((s) => [s.path, train.labels[s.label], s.kind, s.start, s.end])).toEqual(
    videos.map((s, i) => [s.path, videoLabels[s.label], 'video', i * 0.5, i * 0.5 + 1.5]),
  );
  const val = await readManifest(path.join(dir, 'val.csv'), { split: 'val' });
  expect(val.labels).toEqual(used); // from train.csv next to it
  expect(val.samples).toHaveLength(1);
  expect(val.problems).toEqual([expect.objectContaining({ kind: 'unknown-label', source: `${path.join(dir, 'val.csv')}:3` })]);
});

test('JSONL with class indices, a classes.json, images by extension, and broken lines counted', async () => {
  const dir = path.join(suite.scratch, 'jsonl');
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'classes.json'), JSON.stringify(['a', 'b', 'c', 'd']));
  const lines = images.map((s, i) => JSON.stringify({ path: s.path, label: i % 2 === 0 ? i : ['a', 'b', 'c', 'd'][i] }));
  lines.push(
    '{"path": "x.mp4", "label": 1', // 5: not JSON
    JSON.stringify({ path: images[0].path, label: 9 }), // 6: index out of range
    JSON.stringify({ path: 'missing.jpg', label: 'a' }), // 7: missing file
    JSON.stringify({ path: images[0].path, label: 'a', start: 'soon' }), // 8: bad start
    JSON.stringify({ path: images[0].path, label: 'a', start: 3, end: 2 }), // 9: end before start
  );
  const file = path.join(dir, 'train.jsonl');
  await fs.writeFile(file, lines.join('\n') + '\n');
  const idx = await readManifest(file, { split: 'train', sampling: 'segments', flipAllowed: false });
  expect(idx.labels).toEqual(['a', 'b', 'c', 'd']);
  expect(idx.samples.map((s) => [s.path, s.label, s.kind])).toEqual(images.map((s, i) => [s.path, i, 'image']));
  expect(idx).toMatchObject({ sampling: 'segments', flipAllowed: false });
  expect(idx.problems.map((p) => [p.kind, p.source])).toEqual([
    ['bad-row', `${file}:5`],
    ['unknown-label', `${file}:6`],
    ['missing-file', `${file}:7`],
    ['bad-row', `${file}:8`],
    ['bad-row', `${file}:9`],
  ]);
});

test('a CSV without path,label header and a missing manifest are DatasetErrors', async () => {
  const dir = path.join(suite.scratch, 'bad');
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'train.csv'), 'file,class\na.mp4,x\n');
  await expect(readManifest(path.join(dir, 'train.csv'), { split: 'train' })).rejects.toMatchObject({
    path: `${path.join(dir, 'train.csv')}:1`,
    suggestion: expect.stringContaining('path,label'),
  });
  await expect(readManifest(dir, { split: 'val' })).rejects.toThrow(DatasetError);
  await expect(readManifest(path.join(dir, 'nope.jsonl'), { split: 'val' })).rejects.toThrow(/does not exist/);
});
