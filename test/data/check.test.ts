import { spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { checkDataset } from '../../src/data/check/check';
import { openDataset } from '../../src/data/datasets/registry';
import { demoSuitePaths } from '../../src/demo/suite';
import { SIZE_PRESETS } from '../../src/demo/plan';
import { TinySuite, appendLines, makeTinySuite } from './datasets/fixture';

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'cover.js');

let suite: TinySuite;
/** A copy of the demo k400 with a truncated clip, an empty clip and a bad CSV row. */
let broken: { root: string; truncated: string; empty: string };

beforeAll(async () => {
  suite = await makeTinySuite();
  const root = path.join(suite.scratch, 'k400-broken');
  await fs.cp(demoSuitePaths(suite.root).k400.root, root, { recursive: true });
  // The first two bag clips in CSV order: the first truncated to half (its moov atom, at the end, is lost), the second emptied.
  const index = await openDataset(`kinetics:${root}`, { split: 'train' });
  const [a, b] = index.samples.filter((s) => index.labels[s.label] === 'bag').map((s) => s.path);
  const truncated = a;
  const data = await fs.readFile(truncated);
  await fs.writeFile(truncated, data.subarray(0, Math.floor(data.length / 2)));
  const empty = b;
  await fs.writeFile(empty, '');
  await appendLines(path.join(root, 'annotations', 'train.csv'), ['bag,short_row']);
  broken = { root, truncated, empty };
});
afterAll(() => suite?.cleanup());

test('every demo dataset checks clean, with per-class counts and the clips duration', async () => {
  const preset = SIZE_PRESETS.tiny;
  const fps: Record<string, number> = { k400: 12, ssv2: 12, mit: 10 };
  for (const [name, { root }] of Object.entries(demoSuitePaths(suite.root))) {
    const index = await openDataset(root, { split: 'val' });
    const seen: number[] = [];
    const r = await checkDataset(index, { onProgress: (done) => seen.push(done) });
    expect([name, r.clean, r.ok, r.samples, r.problemCount]).toEqual([name, true, 8, 8, 0]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.perClass.map((c) => [c.samples, c.ok])).toEqual(index.labels.map(() => [preset.val, preset.val]));
    if (name === 'imnet') {
      expect([r.images, r.videos, r.videoSeconds]).toEqual([8, 0, 0]);
    } else {
      expect(r.videos).toBe(8);
      expect(r.videoSeconds).toBeCloseTo((8 * preset.frames) / fps[name], 0);
    }
  }
});

test('a truncated clip, an empty clip and a bad row are each reported by kind, with paths', async () => {
  const index = await openDataset(`kinetics:${broken.root}`, { split: 'train' });
  const r = await checkDataset(index, { maxProblems: 2 });
  expect(r.clean).toBe(false);
  expect(r.entries).toBe(17);
  expect(r.ok).toBe(14);
  expect(r.problemCount).toBe(3);
  expect(r.problemsByKind).toMatchObject({ 'bad-row': 1, 'decode-failed': 1, 'empty-file': 1, 'missing-file': 0 });
  // maxProblems keeps the first ones (reader problems, then files in index order); the counts cover all.
  expect(r.problems.map((p) => [p.kind, p.path])).toEqual([
    ['bad-row', undefined],
    ['decode-failed', broken.truncated],
  ]);
  expect(r.perClass.find((c) => c.name === 'bag')).toEqual({ label: 1, name: 'bag', samples: 4, ok: 2 });
});

test('a manifest clip window that starts after the video ends is a bad-window problem', async () => {
  const clip = (await openDataset(demoSuitePaths(suite.root).mit.root, { split: 'val' })).samples[0].path;
  const dir = path.join(suite.scratch, 'windows');
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'train.csv'), `path,label,start,end\n${clip},a,0,1\n${clip},b,100,101\n`);
  const r = await checkDataset(await openDataset(path.join(dir, 'train.csv'), { split: 'train' }));
  expect(r.problemsByKind['bad-window']).toBe(1);
  expect(r.problems).toEqual([expect.objectContaining({ kind: 'bad-window', source: `${path.join(dir, 'train.csv')}:3` })]);
  expect(r.problems[0].message).toMatch(/starts at 100 s, after the video's end \(1\.60 s\)/);
});

describe('cover data check (built CLI)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'data', 'check', ...args], { encoding: 'utf8', cwd: suite.scratch });

  beforeAll(() => {
    if (!existsSync(path.join(REPO, 'dist', 'src', 'cli', 'commands', 'data.js'))) throw new Error('run `npm run build` before these tests');
  });

  test('a clean dataset prints the class table and exits 0', () => {
    const res = run('k400', '--data', `k400=${demoSuitePaths(suite.root).k400.root}`, '--split', 'val');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^k400 \(kinetics, val split\): /);
    expect(res.stdout).toMatch(/│ class │ name\s+│ entries │ ok │ bad │/);
    expect(res.stdout).toContain('no problems');
  });

  test('the broken copy names the truncated and the empty clip and exits 1', () => {
    const res = run(broken.root, '--split', 'train');
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('3 problems: bad-row 1, empty-file 1, decode-failed 1');
    expect(res.stdout).toMatch(new RegExp(`decode-failed +${escape(broken.truncated)} \\(.*train\\.csv:\\d+\\): cannot be read as a video`));
    expect(res.stdout).toMatch(new RegExp(`empty-file +${escape(broken.empty)} \\(.*train\\.csv:\\d+\\): file is empty`));
    const json = JSON.parse(run(broken.root, '--json').stdout) as { problemCount: number; problems: Array<{ path?: string }> };
    expect(json.problemCount).toBe(3);
    expect(json.problems.map((p) => p.path)).toEqual([undefined, broken.truncated, broken.empty]);
  });

  test('a dataset name without --data is one line on stderr, exit 2', () => {
    const res = run('ssv2');
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe("cover: error: no folder given for the dataset 'ssv2' (fix: pass --data ssv2=/path/to/ssv2 (or give the folder itself, or ssv2:PATH))\n");
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('a file symlink loop is unreadable with its fix (not "file not found"); a class without a train sample is an empty-class problem', async () => {
  const clip = (await openDataset(demoSuitePaths(suite.root).mit.root, { split: 'val' })).samples[0].path;
  const dir = path.join(suite.scratch, 'loops');
  await fs.mkdir(dir);
  await fs.symlink('loop.mp4', path.join(dir, 'loop.mp4'));
  await fs.writeFile(path.join(dir, 'classes.txt'), 'a\nb\nc\n');
  await fs.writeFile(path.join(dir, 'train.csv'), `path,label\n${clip},a\nloop.mp4,b\n`);
  const r = await checkDataset(await openDataset(path.join(dir, 'train.csv'), { split: 'train' }));
  expect(r.problems).toEqual([
    { kind: 'empty-class', path: dir, message: "class 2 'c' has no train sample: its head class would never be trained" },
    {
      kind: 'unreadable',
      path: path.join(dir, 'loop.mp4'),
      source: `${path.join(dir, 'train.csv')}:3`,
      message: 'is a symbolic link that loops (ELOOP) (fix: remove the link, or point it at the real file)',
    },
  ]);
  expect([r.clean, r.ok, r.problemsByKind['empty-class'], r.problemsByKind.unreadable, r.problemsByKind['missing-file']]).toEqual([false, 1, 1, 1, 0]);
  // A val split may lack a class (a small val set): only the train split's empty classes are problems.
  await fs.writeFile(path.join(dir, 'val.csv'), `path,label\n${clip},a\n`);
  expect((await checkDataset(await openDataset(path.join(dir, 'val.csv'), {}))).clean).toBe(true);
});
