// Metrics on hand-computed examples: logits summed over views (PySlowFast TestMeter "sum"), top-1, top-k with
// k = min(5, C), mean class accuracy over the classes present, the confusion matrix and its CSV.

import { DatasetError } from '../../src/errors';
import { argmax, confusionCsv, csvField, inTopK, MetricAccumulator, metricsFromCounts } from '../../src/eval/metrics';

describe('MetricAccumulator', () => {
  test('sums views, then scores a hand-worked 3-class example', () => {
    const m = new MetricAccumulator(['a', 'b', 'c']);
    m.accumulate('s1', Float32Array.of(1, 0, 0), 0);
    m.accumulate('s1', Float32Array.of(0, 2, 0), 0); // sum [1, 2, 0]: predicts b, wrong
    m.accumulate('s2', Float32Array.of(0, 3, 1), 1); // b, right
    m.accumulate('s3', Float32Array.of(0, 0, 5), 2);
    m.accumulate('s3', Float32Array.of(1, 1, 1), 2);
    m.accumulate('s3', Float32Array.of(0, 0, 0), 2); // sum [1, 1, 6]: c, right
    m.accumulate('s4', [4, 4, 0], 0); // a tie goes to the smaller id: a, right
    expect(m.size).toBe(4);
    const r = m.compute();
    expect(r.n).toBe(4);
    expect(r.top1).toBe(0.75);
    expect(r.k).toBe(3);
    expect(r.top5).toBe(1);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(r.perClass).toEqual([
      { label: 'a', support: 2, correct: 1, accuracy: 0.5 },
      { label: 'b', support: 1, correct: 1, accuracy: 1 },
      { label: 'c', support: 1, correct: 1, accuracy: 1 },
    ]);
    expect(r.meanClassAccuracy).toBeCloseTo(2.5 / 3, 12);
    expect(r.views).toEqual({ min: 1, max: 3 });
    expect(r.nonFinite).toBe(0);
  });

  test('summing changes the answer where one view alone would not', () => {
    const m = new MetricAccumulator(['cat', 'dog']);
    m.accumulate('v', Float32Array.of(2, 1), 0); // alone: cat, right
    m.accumulate('v', Float32Array.of(0, 4), 0); // sum [2, 5]: dog
    expect(m.compute().top1).toBe(0);
  });

  test('top-5 over 7 classes, and classes with no samples leave the mean class accuracy', () => {
    const labels = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const m = new MetricAccumulator(labels);
    m.accumulate(0, [7, 6, 5, 4, 3, 2, 1], 4); // 5th: in top-5, top-1 wrong
    m.accumulate(1, [7, 6, 5, 4, 3, 2, 1], 5); // 6th: out
    m.accumulate(2, [7, 6, 5, 4, 1, 1, 1], 5); // tied with c4 at the boundary: c4 wins the 5th place, c5 is 6th
    m.accumulate(3, [0, 0, 0, 0, 0, 0, 9], 6); // right
    const r = m.compute();
    expect(r.k).toBe(5);
    expect(r.top1).toBe(0.25);
    expect(r.top5).toBe(0.5);
    expect(r.perClass.map((p) => p.accuracy)).toEqual([null, null, null, null, 0, 0, 1]);
    expect(r.meanClassAccuracy).toBeCloseTo(1 / 3, 12);
    expect(r.confusion[5]).toEqual([2, 0, 0, 0, 0, 0, 0]);
  });

  test('accumulateBatch reads [n, C] rows like single calls', () => {
    const logits = Float32Array.of(0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4); // [4, 2]
    const ids = ['x', 'y', 'x', 'z'];
    const labels = Int32Array.of(1, 0, 1, 1);
    const batch = new MetricAccumulator(['n', 'p']);
    batch.accumulateBatch(ids, logits, labels);
    const single = new MetricAccumulator(['n', 'p']);
    ids.forEach((id, i) => single.accumulate(id, logits.subarray(2 * i, 2 * i + 2), labels[i]));
    expect(batch.compute()).toEqual(single.compute());
    expect(batch.compute().top1).toBe(2 / 3); // x: [0.4, 1.6] right, y right, z: [0.6, 0.4] wrong
    expect(batch.compute().views).toEqual({ min: 1, max: 2 });
    expect(() => batch.accumulateBatch(['q'], logits, labels)).toThrow(/8 logits for 1 samples × 2 classes/);
  });

  test('a NaN never counts as right; it is reported', () => {
    const m = new MetricAccumulator(['a', 'b']);
    m.accumulate('nan', [NaN, NaN], 0);
    m.accumulate('ok', [0, 1], 1);
    const r = m.compute();
    expect(r.top1).toBe(0.5);
    expect(r.top5).toBe(0.5); // k = 2 = C, yet the NaN sample still misses
    expect(r.nonFinite).toBe(1);
  });

  test('misuse is an error', () => {
    const m = new MetricAccumulator(['a', 'b']);
    expect(() => m.compute()).toThrow(DatasetError);
    expect(() => m.accumulate('s', [1, 2, 3], 0)).toThrow(/3 logits for 2 classes/);
    expect(() => m.accumulate('s', [1, 2], 2)).toThrow(/label 2 not in \[0, 2\)/);
    m.accumulate('s', [1, 2], 0);
    expect(() => m.accumulate('s', [1, 2], 1)).toThrow(/differs from an earlier view/);
  });
});

test('argmax and inTopK', () => {
  expect(argmax([1, 3, 3, 2])).toBe(1);
  expect(argmax([NaN, -1])).toBe(1);
  expect(inTopK([1, 3, 3, 2], 2, 1)).toBe(false);
  expect(inTopK([1, 3, 3, 2], 2, 2)).toBe(true);
  expect(inTopK([1, 3, 3, 2], 0, 3)).toBe(false);
  expect(inTopK([1, 3, 3, 2], 0, 4)).toBe(true);
});

describe('confusionCsv', () => {
  test('header of predicted labels, first column of true labels, awkward labels quoted', () => {
    const csv = confusionCsv(
      [
        [3, 1, 0],
        [0, 2, 0],
        [1, 0, 4],
      ],
      ['cat', 'dog, big', 'say "hi"'],
    );
    expect(csv).toBe(
      'true\\predicted,cat,"dog, big","say ""hi"""\n' + 'cat,3,1,0\n' + '"dog, big",0,2,0\n' + '"say ""hi""",1,0,4\n',
    );
  });

  test('fields and a shape check', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(() => confusionCsv([[1, 2]], ['a'])).toThrow(/not 1×1/);
  });
});

describe('metricsFromCounts: an evaluation sharded over ranks', () => {
  test("the ranks' counts added up are the metrics of one accumulator over every sample (an empty share included)", () => {
    const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const rows = Array.from({ length: 23 }, (_, i) => ({ id: i, label: (i * 5) % 6, logits: Float32Array.from(labels, (_, c) => Math.sin(i * 7 + c * 3) + (c === i % 6 ? 0.8 : 0)) }));
    rows[4].logits[2] = NaN;
    const one = new MetricAccumulator(labels);
    const shares = [new MetricAccumulator(labels), new MetricAccumulator(labels), new MetricAccumulator(labels)];
    rows.forEach((r, i) => {
      for (const v of [0, 1]) one.accumulate(r.id, r.logits.map((x) => x + v), r.label);
      for (const v of [0, 1]) shares[i < 10 ? 0 : 2].accumulate(r.id, r.logits.map((x) => x + v), r.label);
    });
    const parts = shares.map((s) => JSON.parse(JSON.stringify(s.counts()))); // as they travel between ranks
    expect(parts[1].n).toBe(0);
    expect(metricsFromCounts(labels, parts)).toEqual(one.compute());
    expect(() => metricsFromCounts(labels, [parts[1], parts[1]])).toThrow(DatasetError);
  });
});
