// The statistics of a study on known numbers: mean and sample std over seeds, paired differences seed by seed, and the
// summary's tables built from arm evaluations and their clips (t intervals and McNemar per seed).
import { binomialStdErr, formatSpread, pairedDifference, spread } from '../../src/study/stats';
import { ArmRecord, summarize } from '../../src/study/summary';

test('spread: mean and sample standard deviation (n - 1); one value has no spread', () => {
  const s = spread([0.5, 0.6, 0.7]);
  expect(s.mean).toBeCloseTo(0.6, 12);
  expect(s.std).toBeCloseTo(0.1, 12);
  expect(spread([0.42])).toEqual({ mean: 0.42, std: null, n: 1, values: [0.42] });
  expect(formatSpread(s)).toBe('60.0 ± 10.0');
  expect(formatSpread(spread([0.42]))).toBe('42.0 ± -');
});

test('paired difference: b - a seed by seed over the common seeds, then its spread', () => {
  const a = new Map([[0, 0.5], [1, 0.6], [2, 0.4], [3, 0.9]]);
  const b = new Map([[0, 0.55], [1, 0.62], [2, 0.47]]);
  const d = pairedDifference(a, b);
  expect(d.seeds).toEqual([0, 1, 2]);
  expect(d.values.map((v) => +v.toFixed(6))).toEqual([0.05, 0.02, 0.07]);
  expect(d.mean).toBeCloseTo(0.14 / 3, 12);
  expect(d.std).toBeCloseTo(Math.sqrt(((0.05 - 0.14 / 3) ** 2 + (0.02 - 0.14 / 3) ** 2 + (0.07 - 0.14 / 3) ** 2) / 2), 12);
  expect(formatSpread(d, { signed: true })).toBe('+4.7 ± 2.5');
  expect(binomialStdErr(0.5, 250)).toBeCloseTo(0.0316, 4);
});

test('summary: per head (a), (b), (c) and their paired differences; transfer rows and CoVeR minus each start', () => {
  const ev = (top1: number) => ({ top1, top5: 1, meanClassAccuracy: top1, n: 250 });
  const arm = (seed: number, kind: ArmRecord['kind'], datasets: string[], evals: Record<string, number>, extra: Partial<ArmRecord> = {}): ArmRecord => ({
    id: `seed${seed}/${kind}_${datasets.join('+')}_${extra.source ?? ''}`,
    seed,
    kind,
    label: kind,
    datasets,
    steps: 10,
    ownClips: {},
    status: 'trained',
    evals: Object.fromEntries(Object.entries(evals).map(([k, v]) => [k, ev(v)])),
    ...extra,
  });
  const arms: ArmRecord[] = [];
  for (const [seed, off] of [[0, 0], [1, 0.1]] as const) {
    arms.push(arm(seed, 'single', ['k400'], { k400: 0.5 + off }), arm(seed, 'single', ['ssv2'], { ssv2: 0.3 + off }));
    arms.push(arm(seed, 'videos', ['k400', 'ssv2'], { k400: 0.52 + off, ssv2: 0.33 + off }));
    arms.push(arm(seed, 'cover', ['k400', 'ssv2', 'imnet'], { k400: 0.55 + off, ssv2: 0.32 + off, imnet: 0.9 }));
    arms.push(arm(seed, 'transfer', ['ssv2'], { ssv2: 0.4 + off }, { source: 'k400', target: 'ssv2' }));
    arms.push(arm(seed, 'transfer', ['ssv2'], { ssv2: 0.35 + off }, { source: 'ssv2', target: 'ssv2' }));
    arms.push(arm(seed, 'transfer', ['ssv2'], { ssv2: 0.41 + off + (seed ? 0.02 : 0) }, { source: 'cover', target: 'ssv2' }));
  }
  // Clips: seed 0's CoVeR gets k400 clips 0-5 right where (a) gets 0-4 (one more); every other arm has no predictions.csv.
  const clipsOf = (right: number) => new Map([['k400', new Map(Array.from({ length: 10 }, (_, i) => [`k/${i}.mp4`, i < right]))]]);
  const clips = (id: string) => (id === arms[0].id ? clipsOf(5) : id === arms[3].id ? clipsOf(6) : null);
  const s = summarize({ videos: ['k400', 'ssv2'], images: ['imnet'], transferTo: ['ssv2'] }, arms, clips);
  const k400 = s.heads[0];
  expect(k400.rows.map((r) => [r.arm, +r.top1.mean.toFixed(4)])).toEqual([['single', 0.55], ['videos', 0.57], ['cover', 0.6]]);
  expect(k400.diffs.map((d) => [d.name, +d.diff.mean.toFixed(4), d.diff.std === null ? null : +d.diff.std.toFixed(4)])).toEqual([
    ['(b) − (a)', 0.02, 0],
    ['(c) − (a)', 0.05, 0],
    ['(c) − (b)', 0.03, 0],
  ]);
  // No spread over the seeds: the interval is the mean itself.
  expect(k400.diffs[1].interval).toMatchObject({ low: expect.closeTo(0.05, 12), high: expect.closeTo(0.05, 12), level: 0.95 });
  expect(k400.diffs[1].tests).toEqual([{ seed: 0, n: 10, onlyFirst: 0, onlySecond: 1, p: 1 }]);
  expect(k400.diffs[0].tests).toEqual([]);
  expect(s.heads[1].diffs[2].diff.mean).toBeCloseTo(-0.01, 12);
  expect(s.heads[2]).toMatchObject({ head: 'imnet', kind: 'image', valClips: 250 });
  expect(s.heads[2].rows.map((r) => [r.arm, r.top1.n])).toEqual([['single', 0], ['cover', 2]]); // no pretraining stage here
  const t = s.transfer[0];
  expect(t.rows.map((r) => r.label)).toEqual(['k400 → ssv2', 'ssv2 → ssv2', 'CoVeR → ssv2']);
  expect(t.diffs.map((d) => d.diff.values.map((v) => +v.toFixed(4)))).toEqual([[0.01, 0.03], [0.06, 0.08]]);
  expect(t.diffs[0].diff.std).toBeCloseTo(Math.SQRT2 * 0.01, 12);
  // [0.01, 0.03]: mean 0.02 ± t(0.975, 1) × 0.01414 / √2 = 0.02 ± 0.12706 (scipy.stats.t.interval)
  expect(t.diffs[0].interval!.low).toBeCloseTo(0.02 - 0.127062047361747, 10);
  expect(t.diffs[0].interval!.high).toBeCloseTo(0.02 + 0.127062047361747, 10);
});
