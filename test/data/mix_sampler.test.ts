// CoVeR's batch composition: draws proportional to dataset size (or tempered / fixed), seeded shuffled epochs per
// dataset, and an exact resume from the JSON state.

import { CheckpointError, ConfigError, DatasetError } from '../../src/errors';
import { expectedShares, mixProbabilities, MixDataset, MixDraw, MixSampler, MixSamplerOptions } from '../../src/data/feed/mix_sampler';

const small: MixDataset[] = [
  { name: 'k400', size: 5 },
  { name: 'ssv2', size: 3 },
  { name: 'imnet', size: 7 },
];

function run(s: MixSampler, batches: number): MixDraw[][] {
  return Array.from({ length: batches }, () => s.next());
}

describe('MixSampler', () => {
  test('same seed, same batches; another seed, other batches', () => {
    const opts = { batchSize: 4, seed: 3 };
    const a = run(new MixSampler(small, opts), 10);
    expect(run(new MixSampler(small, opts), 10)).toEqual(a);
    expect(run(new MixSampler(small, { ...opts, seed: 4 }), 10)).not.toEqual(a);
  });

  test('each batch has batchSize draws, grouped by dataset in the given order', () => {
    const order = small.map((d) => d.name);
    for (const batch of run(new MixSampler(small, { batchSize: 6, seed: 1 }), 30)) {
      expect(batch).toHaveLength(6);
      const ranks = batch.map((d) => order.indexOf(d.dataset));
      expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
      for (const d of batch) expect(d.index).toBeLessThan(small.find((s) => s.name === d.dataset)!.size);
    }
  });

  test('every epoch of a dataset is a permutation, reshuffled from one epoch to the next', () => {
    const draws = run(new MixSampler(small, { batchSize: 5, seed: 11 }), 60).flat();
    for (const d of small) {
      const seq = draws.filter((x) => x.dataset === d.name).map((x) => x.index);
      const epochs: number[][] = [];
      for (let i = 0; i + d.size <= seq.length; i += d.size) epochs.push(seq.slice(i, i + d.size));
      expect(epochs.length).toBeGreaterThanOrEqual(4);
      const identity = Array.from({ length: d.size }, (_, i) => i);
      for (const e of epochs) expect([...e].sort((x, y) => x - y)).toEqual(identity);
      expect(new Set(epochs.map((e) => e.join(','))).size).toBeGreaterThan(1);
    }
  });

  test('shares follow dataset size (CoVeR) and the temperature', () => {
    const sets: MixDataset[] = [
      { name: 'big', size: 900 },
      { name: 'small', size: 100 },
    ];
    expect(mixProbabilities(sets)).toEqual([0.9, 0.1]);
    expect(mixProbabilities(sets, 2)[0]).toBeCloseTo(0.75, 12); // 30 : 10
    expect(mixProbabilities(sets, 1e6)[0]).toBeCloseTo(0.5, 5);
    expect(mixProbabilities([{ name: 'a', size: 1e6 }, { name: 'b', size: 1 }], 0.01)).toEqual([1, 0]); // no overflow
    const draws = run(new MixSampler(sets, { batchSize: 16, seed: 0 }), 500).flat();
    const big = draws.filter((d) => d.dataset === 'big').length / draws.length;
    expect(big).toBeGreaterThan(0.88); // 8000 draws: sd 0.0034 around 0.9
    expect(big).toBeLessThan(0.92);
    const tempered = run(new MixSampler(sets, { batchSize: 16, seed: 0, temperature: 2 }), 500).flat();
    const bigT = tempered.filter((d) => d.dataset === 'big').length / tempered.length;
    expect(bigT).toBeGreaterThan(0.73);
    expect(bigT).toBeLessThan(0.77);
  });

  test('fixed counts give the same composition in every batch', () => {
    const s = new MixSampler(small, { batchSize: 4, seed: 2, fixedCounts: { k400: 1, imnet: 3 } });
    for (const batch of run(s, 12)) expect(batch.map((d) => d.dataset)).toEqual(['k400', 'imnet', 'imnet', 'imnet']);
    expect(s.epochs()).toEqual({ k400: 2 + 2 / 5, ssv2: 0, imnet: 36 / 7 });
  });

  test.each<[string, MixSamplerOptions]>([
    ['proportional', { batchSize: 4, seed: 5 }],
    ['tempered', { batchSize: 3, seed: 6, temperature: 3 }],
    ['fixed', { batchSize: 4, seed: 7, fixedCounts: { ssv2: 2, imnet: 2 } }],
  ])('restore continues exactly like an uninterrupted sampler (%s)', (_name, opts) => {
    const total = 40; // about 10 epochs of each small dataset
    const straight = run(new MixSampler(small, opts), total);
    for (const cut of [0, 1, 7, 13, 39]) {
      const first = new MixSampler(small, opts);
      const head = run(first, cut);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = MixSampler.restore(saved, small, opts);
      expect(resumed.batchesDone).toBe(cut);
      expect([...head, ...run(resumed, total - cut)]).toEqual(straight);
    }
  });

  test('restore refuses a state made for another setup, naming the checkpoint', () => {
    const opts = { batchSize: 4, seed: 5 };
    const s = new MixSampler(small, opts);
    run(s, 3);
    const state = s.state();
    const attempt = (f: () => unknown): CheckpointError => {
      try {
        f();
      } catch (e) {
        return e as CheckpointError;
      }
      throw new Error('no error');
    };
    const other = attempt(() => MixSampler.restore(state, [...small.slice(0, 2), { name: 'imnet', size: 8 }], opts, 'run/ckpt-3'));
    expect(other).toBeInstanceOf(CheckpointError);
    expect(other.oneLine()).toMatch(/^run\/ckpt-3: the saved batch sampler was made for datasets \[k400:5, ssv2:3, imnet:7\], not .*imnet:8.*\(fix: /);
    expect(attempt(() => MixSampler.restore(state, small, { ...opts, seed: 6 })).message).toMatch(/seed 5, not 6/);
    expect(attempt(() => MixSampler.restore(state, small, { ...opts, temperature: 2 })).message).toMatch(/temperature 1, not 2/);
    expect(MixSampler.restore(state, small, { ...opts, temperature: 1 }).batchesDone).toBe(3); // 1 is the default
    const corrupt = { ...state, cursors: { ...state.cursors, ssv2: { epoch: 0, position: 3 } } };
    expect(attempt(() => MixSampler.restore(corrupt, small, opts)).message).toMatch(/bad position for 'ssv2'/);
    expect(attempt(() => MixSampler.restore({ version: 2 } as never, small, opts)).message).toMatch(/unknown format/);
  });

  test('bad mixes and options are one clear error', () => {
    const make = (d: MixDataset[], o: MixSamplerOptions) => () => new MixSampler(d, o);
    expect(make([{ name: 'a', size: 0 }], { batchSize: 2, seed: 0 })).toThrow(DatasetError);
    expect(make([{ name: 'a', size: 0 }], { batchSize: 2, seed: 0 })).toThrow(/'a' has no training samples/);
    expect(make([], { batchSize: 2, seed: 0 })).toThrow(ConfigError);
    expect(make([small[0], small[0]], { batchSize: 2, seed: 0 })).toThrow(/appears twice/);
    expect(make(small, { batchSize: 0, seed: 0 })).toThrow(/batch size 0/);
    expect(make(small, { batchSize: 2, seed: 0, temperature: 0 })).toThrow(/temperature 0/);
    expect(make(small, { batchSize: 2, seed: 0, temperature: 1, fixedCounts: { k400: 2 } })).toThrow(/both a sampling temperature/);
    expect(make(small, { batchSize: 4, seed: 0, fixedCounts: { k400: 2 } })).toThrow(/add up to 2 but the batch size is 4/);
    expect(make(small, { batchSize: 2, seed: 0, fixedCounts: { k600: 2 } })).toThrow(/'k600', which is not in the mix/);
  });
});

test('expectedShares gives the run header its numbers', () => {
  const sets: MixDataset[] = [
    { name: 'k400', size: 240_000 },
    { name: 'ssv2', size: 160_000 },
  ];
  expect(expectedShares(sets, { batchSize: 10, seed: 0 })).toEqual([
    { name: 'k400', size: 240_000, probability: 0.6, perBatch: 6, stepsPerEpoch: 40_000 },
    { name: 'ssv2', size: 160_000, probability: 0.4, perBatch: 4, stepsPerEpoch: 40_000 },
  ]);
  expect(expectedShares(sets, { batchSize: 8, seed: 0, fixedCounts: { k400: 8 } })[1]).toEqual({
    name: 'ssv2',
    size: 160_000,
    probability: 0,
    perBatch: 0,
    stepsPerEpoch: null,
  });
});
