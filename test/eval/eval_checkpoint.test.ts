// evaluateCheckpoint on the tiny demo suite with tiny-preset checkpoints: metrics and confusion CSVs, a head forced to one
// class (exact numbers), the published comparison for real data named k400 and the "not comparable" note otherwise, the
// checkpoint's own training data used by default, one-line errors, and no leaked tensors.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, ConfigError, CoverError } from '../../src/errors';
import { evaluateCheckpoint, labelMismatch } from '../../src/eval/eval_checkpoint';
import { confusionCsv } from '../../src/eval/metrics';
import { useBackend } from '../helpers/tf';
import { head, tinyCheckpoint, tinyDemo } from '../helpers/tiny_checkpoint';
import { poisonWeights } from '../checkpoint/poison';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-evalck-'));
let demoDir: string; // the shared tiny suite
let labels: { k400: string[]; ssv2: string[] };
let copy: string; // the demo's k400, copied out of the suite: "real" data named k400
const ck = path.join(tmp, 'ck'); // heads k400 + ssv2
const ckBiased = path.join(tmp, 'ck-biased'); // k400 head always says class 2

beforeAll(async () => {
  await useBackend('wasm');
  const d = await tinyDemo();
  demoDir = d.root;
  labels = d;
  copy = path.join(tmp, 'data', 'kinetics-copy');
  fs.cpSync(path.join(d.root, 'k400'), copy, { recursive: true });
  await tinyCheckpoint(ck, [head('k400', d.k400), head('ssv2', d.ssv2)]);
  await tinyCheckpoint(ckBiased, [head('k400', d.k400)], { biasTo: { head: 'k400', cls: 2 } });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<CoverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CoverError);
  expect((err as CoverError).oneLine()).not.toContain('\n');
  return err as CoverError;
}

test('scores every head on its val split and writes the confusion matrices as CSV', async () => {
  const csvDir = path.join(tmp, 'csv');
  const r = await evaluateCheckpoint({ checkpoint: ck, data: {}, views: '1x3', split: 'val', demoDir, demoSize: 'tiny', csvDir });
  expect(r.evals.map((e) => e.head)).toEqual(['k400', 'ssv2']);
  expect(r.demo).toBe(true);
  expect(r.protocol).toEqual({ temporalClips: 1, spatialCrops: 3, frames: 2, resolution: 32 });
  for (const e of r.evals) {
    expect(e.n).toBe(8); // 4 classes x 2 val clips in the tiny suite
    expect(e.views).toEqual({ min: 3, max: 3 });
    expect(e.bad.count).toBe(0);
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(8);
    expect(e.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([2, 2, 2, 2]); // rows are true classes
    const diag = e.confusion.reduce((a, row, i) => a + row[i], 0);
    expect(e.top1).toBeCloseTo(diag / 8, 10);
    expect(e.top5).toBe(1); // k = min(5, 4 classes)
    const file = r.csv[e.head];
    expect(file).toBe(path.join(csvDir, `confusion_${e.head}.csv`));
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(confusionCsv(e.confusion, labels[e.head as 'k400' | 'ssv2']));
    expect(text.split('\n')[0].split(',').length).toBe(5);
  }
  expect(fs.readdirSync(csvDir).sort()).toEqual(['confusion_k400.csv', 'confusion_ssv2.csv']); // no temp files left
  for (const c of r.comparisons) {
    expect(c.published).toBeNull();
    expect(c.note).toMatch(/demo-suite data, so these numbers are not comparable/);
  }
});

test('a head that always answers class 2 scores exactly that class share', async () => {
  const marker = fs.statSync(path.join(demoDir, 'demo.json')).mtimeMs;
  // No demoSize: the suite already in demoDir is used as it is (not regenerated at the default size).
  const r = await evaluateCheckpoint({ checkpoint: ckBiased, data: {}, views: '1x1', split: 'val', demoDir });
  expect(fs.statSync(path.join(demoDir, 'demo.json')).mtimeMs).toBe(marker);
  const [e] = r.evals;
  expect(e.confusion).toEqual([
    [0, 0, 2, 0],
    [0, 0, 2, 0],
    [0, 0, 2, 0],
    [0, 0, 2, 0],
  ]);
  expect(e.top1).toBe(0.25);
  expect(e.meanClassAccuracy).toBe(0.25);
  expect(e.perClass.map((p) => p.accuracy)).toEqual([0, 0, 1, 0]);
  // Default CSV place: inside the checkpoint.
  expect(r.csv.k400).toBe(path.join(ckBiased, 'eval', 'confusion_k400.csv'));
  expect(fs.readFileSync(r.csv.k400, 'utf8').split('\n')[3]).toBe(`${labels.k400[2]},0,0,2,0`);
});

test('real data named k400 is compared with the published table; other names are not comparable', async () => {
  const ck2 = path.join(tmp, 'ck-mine');
  await tinyCheckpoint(ck2, [head('k400', labels.k400), head('mine', labels.k400)]);
  const r = await evaluateCheckpoint({ checkpoint: ck2, data: { k400: copy, mine: `kinetics:${copy}` }, views: '1x1', split: 'val' });
  expect(r.demo).toBe(false);
  expect(r.demoHeads).toEqual([]);
  const [k400, mine] = r.comparisons;
  expect(k400.published?.key).toBe('k400');
  expect(k400.published?.rows.at(-1)).toMatchObject({ model: 'CoVeR', top1: 87.2 });
  expect(k400.note).toBe(
    `published CoVeR: 87.2 top-1 (1×3 views, 16×448) / this run: ${(100 * r.evals[0].top1).toFixed(1)} top-1 (1×1 views, 2×32; different protocol)`,
  );
  expect(mine.published).toBeNull();
  expect(mine.note).toBe('mine: no published baseline for this dataset; its numbers are not comparable with published ones.');
  // The same files through both heads with the same labels: the same confusion shape, both scored on 8 clips.
  expect(r.evals.map((e) => e.n)).toEqual([8, 8]);
});

test("with no --data, the checkpoint's own training datasets are evaluated", async () => {
  const ck3 = path.join(tmp, 'ck-saved');
  const spec = `kinetics:${copy}`;
  await tinyCheckpoint(ck3, [head('k400', labels.k400)], { extra: { run: { config: { datasets: [{ name: 'k400', spec }], data: {} } } } });
  const r = await evaluateCheckpoint({ checkpoint: ck3, data: {}, views: '1x1', split: 'val', maxSamples: 3 });
  expect(r.datasets).toEqual([{ name: 'k400', spec }]);
  expect(r.demo).toBe(false);
  expect(r.evals[0].n).toBe(3);

  // Training data that has moved away: one line saying whose data it was and how to give another folder.
  const ck4 = path.join(tmp, 'ck-moved');
  await tinyCheckpoint(ck4, [head('k400', labels.k400)], { extra: { run: { config: { datasets: [{ name: 'k400', spec: `kinetics:${tmp}/gone` }], data: {} } } } });
  const e = await failure(evaluateCheckpoint({ checkpoint: ck4, data: {}, views: '1x1', split: 'val' }));
  expect(e.oneLine()).toMatch(/gone: no such dataset folder or file \(the checkpoint's training data for 'k400'\) \(fix: give the data with --data k400=PATH/);
});

test('one-line errors: unknown dataset, labels that do not match, missing checkpoint, bad views, missing split', async () => {
  let e = await failure(evaluateCheckpoint({ checkpoint: ck, datasets: ['foo'], data: {}, views: '1x1', split: 'val', demoDir }));
  expect(e).toBeInstanceOf(ConfigError);
  expect(e.oneLine()).toMatch(/unknown dataset 'foo': the checkpoint has no head of that name .*--datasets k400,ssv2/);

  const swapped = [...labels.k400].reverse();
  const ckBad = path.join(tmp, 'ck-bad');
  await tinyCheckpoint(ckBad, [head('k400', swapped)]);
  e = await failure(evaluateCheckpoint({ checkpoint: ckBad, data: {}, views: '1x1', split: 'val', demoDir, demoSize: 'tiny' }));
  expect(e).toBeInstanceOf(CheckpointError);
  expect(e.oneLine()).toContain(`head 'k400' does not match the dataset`);
  expect(e.oneLine()).toContain(`class 0 is '${swapped[0]}' in the head but '${labels.k400[0]}' in the dataset`);

  e = await failure(evaluateCheckpoint({ checkpoint: path.join(tmp, 'nope'), data: {}, views: '1x1', split: 'val' }));
  expect(e).toBeInstanceOf(CheckpointError);
  expect(e.oneLine()).toMatch(/nope: no such checkpoint folder/);

  e = await failure(evaluateCheckpoint({ checkpoint: ck, data: {}, views: '2x2', split: 'val', demoDir }));
  expect(e).toBeInstanceOf(ConfigError);
  expect(e.oneLine()).toMatch(/views '2x2'/);

  // The demo's Kinetics copy has no test split.
  e = await failure(evaluateCheckpoint({ checkpoint: ck, datasets: ['k400'], data: { k400: copy }, views: '1x1', split: 'test' }));
  expect(e.oneLine()).toMatch(/kinetics-copy: no Kinetics annotation file for the test split/);
});

test('weights holding NaN or Inf are refused in one line naming them; allowNonFinite evaluates and names them in the result', async () => {
  const ckNaN = path.join(tmp, 'ck-nan');
  await tinyCheckpoint(ckNaN, [head('k400', labels.k400)]);
  poisonWeights(ckNaN, { 'blocks.0.attn.qkv.weight': Array<number>(12).fill(NaN), 'heads.k400.bias': [Infinity] });
  const opts = { checkpoint: ckNaN, data: {}, views: '1x1', split: 'val' as const, demoDir, demoSize: 'tiny' as const, maxSamples: 2, csvDir: path.join(tmp, 'csv-nan') };
  const e = await failure(evaluateCheckpoint(opts));
  expect(e).toBeInstanceOf(CheckpointError);
  expect(e.oneLine()).toMatch(/ck-nan\/weights\.safetensors: weights are not finite: blocks\.0\.attn\.qkv\.weight has 12 NaN, heads\.k400\.bias 1 Inf \(fix: .*--allow-nonfinite to go on anyway\)$/);
  expect(fs.existsSync(opts.csvDir)).toBe(false);

  const r = await evaluateCheckpoint({ ...opts, allowNonFinite: true });
  expect(r.nonFiniteWeights?.tensors).toEqual([
    { name: 'blocks.0.attn.qkv.weight', nan: 12, inf: 0 },
    { name: 'heads.k400.bias', nan: 0, inf: 1 },
  ]);
  expect(r.evals[0].nonFinite).toBe(2); // both samples' logits
  const clean = await evaluateCheckpoint({ ...opts, checkpoint: ck, datasets: ['k400'] });
  expect(clean.nonFiniteWeights).toBeUndefined();
});

test('labelMismatch names the first difference', () => {
  expect(labelMismatch(head('a', ['x', 'y']), ['x', 'y'])).toBeNull();
  expect(labelMismatch(head('a', ['x', 'y']), ['x', 'y', 'z'])).toBe('the head has 2 classes, the dataset 3');
  expect(labelMismatch(head('a', ['x', 'y']), ['x', 'q'])).toBe("class 1 is 'y' in the head but 'q' in the dataset");
});

test('evaluateCheckpoint leaks no tensors', async () => {
  const opts = { checkpoint: ck, data: {}, views: '1x1', split: 'val' as const, demoDir, demoSize: 'tiny' as const, maxSamples: 2 };
  await evaluateCheckpoint(opts); // burn-in
  const before = tf.memory().numTensors;
  await evaluateCheckpoint(opts);
  expect(tf.memory().numTensors).toBe(before);
});
