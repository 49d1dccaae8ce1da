// `cover data check --shard i/N --out FILE` and `cover data merge-checks`, through the built CLI on a real dataset (the
// demo k400, clips made with ffmpeg) with a truncated clip, an empty clip and a bad row: two shards merged give the
// totals of one unsharded check.

import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { openDataset } from '../../src/data/datasets/registry';
import { mergeChecks, readShardReport } from '../../src/data/check/merge_checks';
import { ConfigError } from '../../src/errors';
import { demoSuitePaths } from '../../src/demo/suite';
import { TinySuite, appendLines, makeTinySuite } from './datasets/fixture';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'cover.js');

let suite: TinySuite;
let root: string;

function cover(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: suite.scratch });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  suite = await makeTinySuite();
  root = path.join(suite.scratch, 'k400-broken');
  await fs.cp(demoSuitePaths(suite.root).k400.root, root, { recursive: true });
  const index = await openDataset(`kinetics:${root}`, { split: 'train' });
  const [a, b] = index.samples.slice(0, 2).map((s) => s.path);
  const data = await fs.readFile(a);
  await fs.writeFile(a, data.subarray(0, Math.floor(data.length / 2)));
  await fs.writeFile(b, '');
  await appendLines(path.join(root, 'annotations', 'train.csv'), ['bag,short_row']);
});
afterAll(() => suite?.cleanup());

test('two shards merged by merge-checks have the totals of one unsharded check', () => {
  const whole = cover(['data', 'check', `kinetics:${root}`, '--json']);
  expect(whole.code).toBe(1);
  const one = JSON.parse(whole.stdout);
  const s0 = cover(['data', 'check', `kinetics:${root}`, '--shard', '0/2', '--out', 'a.json']);
  const s1 = cover(['data', 'check', `kinetics:${root}`, '--shard', '1/2', '--out', 'b.json']);
  expect(s0.stdout).toMatch(/train split, shard 0\/2: 8 of 16 samples/);
  expect(s1.stdout).toMatch(/train split, shard 1\/2: 8 of 16 samples/);
  const merged = cover(['data', 'merge-checks', 'b.json', 'a.json', '--json']);
  expect([merged.code, merged.stderr]).toEqual([1, '']);
  const m = JSON.parse(merged.stdout);
  for (const k of ['entries', 'samples', 'ok', 'problemsByKind', 'problemCount', 'videos', 'images', 'clean']) expect([k, m[k]]).toEqual([k, one[k]]);
  expect(m.perClass).toEqual(one.perClass);
  expect(m.videoSeconds).toBeCloseTo(one.videoSeconds, 6);
  expect(m.problems.map((p: { path?: string; kind: string }) => [p.kind, p.path])).toEqual(one.problems.map((p: { path?: string; kind: string }) => [p.kind, p.path]));
  expect(one.problemCount).toBe(3); // the bad row, the truncated clip and the empty one
  const text = cover(['data', 'merge-checks', 'a.json', 'b.json']);
  expect(text.stdout).toMatch(/^k400-broken \(kinetics, train split\): /);
  expect(text.stdout).toMatch(/3 problems: bad-row 1, empty-file 1, decode-failed 1/);
});

test('a missing shard, a shard without --out and a bad --shard are one line each', () => {
  const missing = cover(['data', 'merge-checks', 'a.json']);
  expect([missing.code, missing.stderr]).toEqual([2, "cover: error: shard 1/2 of k400-broken (train) is missing (fix: run `cover data check ... --shard 1/2 --out FILE` and merge its report too)\n"]);
  const noOut = cover(['data', 'check', `kinetics:${root}`, '--shard', '0/2']);
  expect(noOut.code).toBe(2);
  expect(noOut.stderr).toBe('cover: error: --shard 0/2 needs --out FILE, the report that `cover data merge-checks` adds up (fix: add e.g. --out check.0-of-2.json)\n');
  const bad = cover(['data', 'check', `kinetics:${root}`, '--shard', '2/2', '--out', 'c.json']);
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/--shard takes i\/N.*got '2\/2' \(fix: parts are numbered from 0: the last of 2 is 1\/2\)/);
});

test('a shard report whose counts are not whole numbers in range is refused in one line, not added up to NaN', async () => {
  const refusal = (file: string): string => {
    try {
      readShardReport(file);
      return 'read';
    } catch (e) {
      return (e as ConfigError).message;
    }
  };
  const good = JSON.parse(await fs.readFile(path.join(suite.scratch, 'a.json'), 'utf8')) as Record<string, unknown> & { shard: object; perClass: object[] };
  const cases: Array<[string, object, string]> = [
    ['count', { shard: { ...good.shard, count: 1e9 } }, 'holds shard.count 1000000000, not a whole number >= 0 in range'],
    ['index', { shard: { ...good.shard, index: 5 } }, 'holds shard.index 5 (of 2), not a whole number >= 0 in range'],
    ['ok', { ok: -1 }, 'holds ok -1, not a whole number >= 0 in range'],
    ['seconds', { videoSeconds: 'soon' }, 'holds videoSeconds "soon", not a whole number >= 0 in range'],
    ['class', { perClass: [{ ...good.perClass[0], samples: 1.5 }, ...good.perClass.slice(1)] }, 'holds perClass[0]'],
  ];
  for (const [name, change, message] of cases) {
    const file = path.join(suite.scratch, `bad-${name}.json`);
    await fs.writeFile(file, JSON.stringify({ ...good, ...change }));
    expect([name, refusal(file)]).toEqual([name, expect.stringContaining(message)]);
  }
  const fewer = { ...good, perClass: good.perClass.slice(1) };
  await fs.writeFile(path.join(suite.scratch, 'fewer.json'), JSON.stringify({ ...fewer, shard: { ...good.shard, index: 1 } }));
  expect(() => mergeChecks([readShardReport(path.join(suite.scratch, 'a.json')), readShardReport(path.join(suite.scratch, 'fewer.json'))])).toThrow(/3 classes\), not of .* 4 classes\)/);
});
