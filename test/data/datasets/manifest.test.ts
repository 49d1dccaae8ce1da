import { promises as fs } from 'fs';
import * as path from 'path';
import { DatasetError } from '../../../src/errors';
import { manifestSplit, readManifest } from '../../../src/data/datasets/manifest';
import { openDataset } from '../../../src/data/datasets/registry';
import { readMit } from '../../../src/data/datasets/mit';
import { readImageFolder } from '../../../src/data/datasets/imagefolder';
import { Sample } from '../../../src/data/types';
import { TinySuite, makeTinySuite } from './fixture';
import { failFs } from './fs_fault';

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

describe('a manifest file given for one split: other splits from the files named for them, never its own rows', () => {
  /** DIR/train.csv (4 rows) and DIR/val.csv (1 row), as the cotrain help's `--data mine=manifest:DIR/train.csv` expects. */
  const pair = async (name: string): Promise<string> => {
    const dir = path.join(suite.scratch, name);
    await fs.mkdir(dir);
    const rel = (p: string) => path.relative(dir, p);
    await fs.writeFile(path.join(dir, 'train.csv'), ['path,label', ...videos.slice(0, 4).map((s) => `${rel(s.path)},${videoLabels[s.label]}`)].join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'val.csv'), ['path,label', `${rel(videos[4].path)},${videoLabels[videos[0].label]}`].join('\n') + '\n');
    return dir;
  };

  test('--data vb=manifest:DIR/train.csv: training reads train.csv, val (eval, cotrain) reads val.csv', async () => {
    const dir = await pair('split-pair');
    // What run_datasets.ts makes of `--data vb=manifest:DIR/train.csv`, for training and for `cover eval`.
    const spec = `manifest:${path.join(dir, 'train.csv')}`;
    const train = await openDataset(spec, { split: 'train', name: 'vb' });
    const val = await openDataset(spec, { split: 'val', name: 'vb' });
    expect(train.samples.map((s) => s.source)).toEqual([2, 3, 4, 5].map((l) => `${path.join(dir, 'train.csv')}:${l}`));
    expect(val.samples.map((s) => s.source)).toEqual([`${path.join(dir, 'val.csv')}:2`]);
    expect(val).toMatchObject({ name: 'vb', split: 'val', labels: train.labels });
    // The file's own split when none is asked for (`cover data check DIR/val.csv`).
    expect(await openDataset(path.join(dir, 'val.csv'), {})).toMatchObject({ split: 'val', samples: [expect.objectContaining({ source: `${path.join(dir, 'val.csv')}:2` })] });
  });

  test('no val file beside train.csv, or a file whose name gives no split, is one DatasetError for the val split', async () => {
    const dir = await pair('split-alone');
    await fs.rm(path.join(dir, 'val.csv'));
    await fs.copyFile(path.join(dir, 'train.csv'), path.join(dir, 'mine.csv'));
    const oneLine = (file: string) => readManifest(file, { split: 'val' }).then(() => 'read', (e: DatasetError) => e.oneLine());
    expect(await oneLine(path.join(dir, 'train.csv'))).toBe(
      `${path.join(dir, 'train.csv')}: holds the train split (by its name), and there is no val file next to it (fix: add val.csv or val.jsonl to ${dir}, or give the val file itself)`,
    );
    expect(await oneLine(path.join(dir, 'mine.csv'))).toBe(
      `${path.join(dir, 'mine.csv')}: its name gives no split, so cover reads it only as the train split, not as the val split (fix: name the val file val.csv or val.jsonl (next to train.csv), or read this one as it is with --split train)`,
    );
    expect((await readManifest(path.join(dir, 'mine.csv'), { split: 'train' })).samples).toHaveLength(4);
    expect(manifestSplit('manifest_validation.JSONL')).toBe('val');
  });
});

test('JSONL with no "label" (or "path") key on any line names the key once; an empty or non-scalar label, a huge start are bad rows', async () => {
  const dir = path.join(suite.scratch, 'jsonl-keys');
  await fs.mkdir(dir);
  const file = path.join(dir, 'train.jsonl');
  await fs.writeFile(file, images.map((s) => JSON.stringify({ path: s.path, class: 'a' })).join('\n') + '\n');
  await expect(readManifest(file, { split: 'train' })).rejects.toMatchObject({
    path: file,
    message: 'no line of the manifest has a "label" key (its keys: path, class)',
  });
  await fs.writeFile(file, images.map((s) => JSON.stringify({ file: s.path, label: 'a' })).join('\n') + '\n');
  await expect(readManifest(file, { split: 'train' })).rejects.toMatchObject({ message: expect.stringContaining('has a "path" key') });
  const rows = [{ path: images[0].path, label: 'a' }, { path: images[1].path }, { path: images[1].path, label: ['a'] }, { path: images[1].path, label: 'a', start: 1e21 }];
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  expect((await readManifest(file, { split: 'train' })).problems.map((p) => [p.kind, p.source, p.problem])).toEqual([
    ['bad-row', `${file}:2`, 'empty label'],
    ['bad-row', `${file}:3`, '"label" is ["a"], not a string or a number'],
    ['bad-row', `${file}:4`, "start='1e+21' is not a number of seconds from 0 to 86400"],
  ]);
});

test('clip times must be plain seconds from 0 to a day: hex, Infinity, 1e9 and negatives are bad rows', async () => {
  const dir = path.join(suite.scratch, 'times');
  await fs.mkdir(dir);
  const file = path.join(dir, 'train.csv');
  const p = videos[0].path;
  const rows = ['0.5,1.5', '0x10,20', 'Infinity,', '1,1e9', '-1,2', '1e1,2e1', '.5,86400'];
  await fs.writeFile(file, ['path,label,start,end', ...rows.map((r) => `${p},a,${r}`)].join('\n') + '\n');
  const idx = await readManifest(file, { split: 'train' });
  expect(idx.samples.map((s) => [s.start, s.end])).toEqual([[0.5, 1.5], [10, 20], [0.5, 86400]]);
  expect(idx.problems.map((x) => [x.source, x.problem])).toEqual([
    [`${file}:3`, "start='0x10' is not a number of seconds from 0 to 86400"],
    [`${file}:4`, "start='Infinity' is not a number of seconds from 0 to 86400"],
    [`${file}:5`, "end='1e9' is not a number of seconds from 0 to 86400"],
    [`${file}:6`, "start='-1' is not a number of seconds from 0 to 86400"],
  ]);
});

test('a row whose folder cannot be read says so (EACCES), not "file not found"', async () => {
  const dir = path.join(suite.scratch, 'noperm-rows');
  await fs.mkdir(path.join(dir, 'clips'), { recursive: true });
  await fs.copyFile(videos[0].path, path.join(dir, 'clips', 'a.mp4'));
  await fs.writeFile(path.join(dir, 'train.csv'), 'path,label\nclips/a.mp4,a\n');
  const spy = failFs('readdir', path.join(dir, 'clips'), 'EACCES');
  try {
    const idx = await readManifest(path.join(dir, 'train.csv'), { split: 'train' });
    expect(idx.problems).toEqual([
      {
        kind: 'missing-file',
        source: `${path.join(dir, 'train.csv')}:2`,
        path: path.join(dir, 'clips'),
        problem: 'its folder cannot be read: permission denied (EACCES) (fix: let this user read it (chmod a+rx on it, a+x on the folders above it), or run cover as a user who can)',
      },
    ]);
  } finally {
    spy.mockRestore();
  }
});
