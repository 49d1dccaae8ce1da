import { spawnSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError, DatasetError } from '../../src/errors';
import { createRng } from '../../src/data/rng';
import { generateDemoSuite, verifyDemoSuite } from '../../src/demo/suite';
import { DEBIAN_FASHION_MNIST, SPRITE_SIZE, drawShape, loadSprites } from '../../src/demo/sprites';
import { SSV2_ACTIONS, ssv2Motion, mitMotion } from '../../src/demo/motion';
import { readIdx } from '../../src/demo/idx';
import { renderFrame } from '../../src/demo/render';
import { readImageFolder } from '../../src/data/datasets/imagefolder';
import { readKinetics } from '../../src/data/datasets/kinetics';

let base: string;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'cover-demo-test-'));
});
afterAll(() => fs.rm(base, { recursive: true, force: true }));

test('same seed, same bytes: two full tiny suites have identical SHA256SUMS; another seed differs', async () => {
  const a = await generateDemoSuite({ out: path.join(base, 'a'), size: 'tiny', seed: 7 });
  const b = await generateDemoSuite({ out: path.join(base, 'b'), size: 'tiny', seed: 7 });
  const sums = async (root: string) => fs.readFile(path.join(root, 'SHA256SUMS'), 'utf8');
  const sa = await sums(a.root);
  expect(sa).toBe(await sums(b.root));
  // 4 datasets x (4 classes x (4 + 2)) files, plus annotations, labels and demo.json.
  expect(sa.split('\n').filter((l) => /\.(mp4|webm|JPEG)$/.test(l))).toHaveLength(4 * 4 * 6);
  expect(a.files).toBe(sa.trim().split('\n').length);
  expect(await verifyDemoSuite(a.root)).toEqual({ checked: a.files, mismatched: [] });

  const c = await generateDemoSuite({ out: path.join(base, 'c'), size: 'tiny', seed: 8, only: ['imnet'] });
  const imnetLines = (s: string) => s.split('\n').filter((l) => l.includes('imnet/train/'));
  expect(imnetLines(await sums(c.root))).toHaveLength(16);
  expect(imnetLines(await sums(c.root))).not.toEqual(imnetLines(sa));

  // A changed file is caught.
  const clip = path.join(a.root, 'k400', 'annotations', 'val.csv');
  await fs.appendFile(clip, 'x\n');
  expect((await verifyDemoSuite(a.root)).mismatched).toEqual(['k400/annotations/val.csv']);
});

test('regenerating replaces an earlier suite only when asked (overwrite), and never a folder that is not one', async () => {
  const out = path.join(base, 'replace');
  await generateDemoSuite({ out, size: 'tiny', seed: 1, only: ['imnet'] });
  const refused = await generateDemoSuite({ out, size: 'tiny', seed: 1, only: ['k400'] }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(UsageError);
  expect((refused as UsageError).oneLine()).toMatch(/replace: holds the tiny demo suite \(seed 1: imnet\), not the one asked for \(no k400\); cover will not replace it/);
  expect((await fs.readdir(out)).sort()).toEqual(['SHA256SUMS', 'demo.json', 'imnet']);
  const same = await generateDemoSuite({ out, size: 'tiny', seed: 1, only: ['imnet'] });
  expect(same.reused).toBe(true);
  const again = await generateDemoSuite({ out, size: 'tiny', seed: 1, only: ['k400'], overwrite: true });
  expect((await fs.readdir(out)).sort()).toEqual(['SHA256SUMS', 'demo.json', 'k400']);
  expect(again.datasets.map((d) => d.name)).toEqual(['k400']);
  expect((await fs.readdir(base)).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);

  const mine = path.join(base, 'mine');
  await fs.mkdir(mine);
  await fs.writeFile(path.join(mine, 'thesis.tex'), 'precious');
  const err = await generateDemoSuite({ out: mine, size: 'tiny', only: ['imnet'] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).oneLine()).toMatch(/mine: --out is a folder with other files in it.*\(fix: choose an empty or new folder/);
  expect(await fs.readFile(path.join(mine, 'thesis.tex'), 'utf8')).toBe('precious');
});

test('drawn shapes work without Fashion-MNIST and give readable datasets', async () => {
  const r = await generateDemoSuite({ out: path.join(base, 'shapes'), size: 'tiny', sprites: 'shapes', only: ['k400', 'imnet'] });
  expect(r.spriteSource).toBe('procedural shapes');
  const k400 = await readKinetics(path.join(r.root, 'k400'), { split: 'train' });
  expect(k400.labels).toEqual(['circle', 'cross', 'square', 'triangle']);
  expect(k400.samples).toHaveLength(16);
  const imnet = await readImageFolder(path.join(r.root, 'imnet'), { split: 'val' });
  expect(imnet.displayNames).toEqual(['circle', 'square', 'triangle', 'cross']);
  // Every shape draws a visible, instance-varying object.
  const bank = await loadSprites('shapes');
  bank.classes.forEach((_, cls) => {
    const a = bank.sprite(cls, 'train', createRng(0, cls, 'a'));
    const b = bank.sprite(cls, 'train', createRng(0, cls, 'b'));
    const covered = a.filter((v) => v > 128).length / (SPRITE_SIZE * SPRITE_SIZE);
    expect(covered).toBeGreaterThan(0.1);
    expect(covered).toBeLessThan(0.9);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
  });
  expect(() => drawShape('circle', createRng(1))).not.toThrow();
});

test('Fashion-MNIST sprites: IDX files are read and train/val pools are distinct', async () => {
  if (!existsSync(DEBIAN_FASHION_MNIST)) return; // the shapes test above covers machines without it
  const images = await readIdx(path.join(DEBIAN_FASHION_MNIST, 'train-images-idx3-ubyte.gz'));
  expect(images.dims).toEqual([60000, 28, 28]);
  const bank = await loadSprites();
  expect(bank.source).toBe(`fashion-mnist (${DEBIAN_FASHION_MNIST})`);
  expect(bank.classes.slice(0, 4).map((c) => c.name)).toEqual(['t-shirt', 'trouser', 'bag', 'ankle boot']);
  const bad = path.join(base, 'bad-idx');
  await fs.mkdir(bad);
  await fs.writeFile(path.join(bad, 'train-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0]));
  await fs.writeFile(path.join(bad, 'train-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 0]));
  const err = await loadSprites(bad).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatasetError);
  expect((err as DatasetError).oneLine()).toMatch(/train-images-idx3-ubyte: not an IDX ubyte file: truncated header/);
});

test('a positive angle turns the sprite clockwise on screen (so "clockwise" clips are)', () => {
  const S = 84;
  const sprite = new Uint8Array(SPRITE_SIZE * SPRITE_SIZE);
  for (let y = 2; y < 6; y++) for (let x = 12; x < 16; x++) sprite[y * SPRITE_SIZE + x] = 255; // a block above the centre
  const scene = { size: S, background: new Float32Array(S * S * 3), sprite, color: [255, 255, 255] as [number, number, number], noise: new Int8Array(65536) };
  const centroid = (angle: number): [number, number] => {
    const out = new Uint8Array(S * S * 3); // [S, S, 3]
    renderFrame(scene, { cx: S / 2, cy: S / 2, angle, scale: 1, alpha: 1 }, createRng(0), out, 0);
    let [sx, sy, n] = [0, 0, 0];
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (out[(y * S + x) * 3] > 100) [sx, sy, n] = [sx + x, sy + y, n + 1];
    return [sx / n - S / 2, sy / n - S / 2];
  };
  const [nx, ny] = centroid(0);
  const [ex, ey] = centroid(Math.PI / 2);
  expect(Math.abs(nx)).toBeLessThan(1);
  expect(ny).toBeLessThan(-8); // north
  expect(ex).toBeGreaterThan(8); // a quarter turn clockwise: east
  expect(Math.abs(ey)).toBeLessThan(1);
});

test('SSv2 motions are mirror pairs: a horizontal flip turns left-to-right into right-to-left, cw into ccw', () => {
  const S = 64;
  const T = 16;
  const ltr = ssv2Motion('left-to-right', T, S, createRng(3));
  const rtl = ssv2Motion('right-to-left', T, S, createRng(3));
  ltr.forEach((p, t) => {
    expect(rtl[t].cx).toBeCloseTo(S - p.cx, 9);
    expect(rtl[t].cy).toBeCloseTo(p.cy, 9);
  });
  expect(ltr[T - 1].cx - ltr[0].cx).toBeGreaterThan(0.3 * S);
  const cw = ssv2Motion('clockwise', T, S, createRng(4));
  const ccw = ssv2Motion('anticlockwise', T, S, createRng(4));
  expect(cw[T - 1].angle - cw[0].angle).toBeCloseTo(-(ccw[T - 1].angle - ccw[0].angle), 9);
  expect(cw[T - 1].angle - cw[0].angle).toBeGreaterThan(0.5 * Math.PI);
  expect(SSV2_ACTIONS.slice(0, 4).map((a) => a.motion)).toEqual(['left-to-right', 'right-to-left', 'up', 'down']);
  // Blinking hides the object in some frames and shows it in others.
  const blink = mitMotion('blinking', T, S, createRng(5)).map((p) => p.alpha);
  expect(new Set(blink)).toEqual(new Set([0, 1]));
});

test('cover demo-data (built CLI): --json report, and a bad --only is a usage error', () => {
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'cover.js');
  if (!existsSync(path.resolve(__dirname, '..', '..', 'dist', 'src', 'cli', 'commands', 'demo_data.js'))) throw new Error('run `npm run build` before these tests');
  const out = path.join(base, 'cli');
  const res = spawnSync(process.execPath, [bin, 'demo-data', '--out', out, '--size', 'tiny', '--seed', '3', '--only', 'imnet', '--json'], { encoding: 'utf8' });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  const report = JSON.parse(res.stdout) as { root: string; seed: number; datasets: Array<{ name: string; train: number; val: number }> };
  expect(report).toMatchObject({ root: out, seed: 3, datasets: [{ name: 'imnet', train: 16, val: 8 }] });
  const text = spawnSync(process.execPath, [bin, 'demo-data', '--out', out, '--size', 'tiny', '--only', 'imnet', '--overwrite'], { encoding: 'utf8', cwd: base });
  expect(text.status).toBe(0);
  expect(text.stdout).toMatch(/^wrote the tiny demo suite \(seed 0\) to .* in [\d.]+ s\nobjects: /);
  expect(text.stdout).toContain('check one: cover data check imnet --data imnet=cli/imnet');
  const bad = spawnSync(process.execPath, [bin, 'demo-data', '--only', 'k900'], { encoding: 'utf8', cwd: base });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain("--only takes names from k400,ssv2,mit,imnet, got 'k900'");
});
