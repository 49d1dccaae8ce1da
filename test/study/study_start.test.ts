// Where a study's arms start. From pretraining (the default): each seed runs one `cover pretrain` stage on the images,
// first, and every arm (a) (b) (c) of that seed starts from its checkpoint, so they start from identical weights; a
// study again reuses the stages. With --init, every arm of every seed starts from the given weights and there is no
// stage. Every arm leaves its verdict on each val clip in predictions.csv, which the paired tests of study.json read.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/engine/backend';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint';
import { readPredictions } from '../../src/eval/predictions';
import { RunConfig } from '../../src/run/run_config';
import { resolveRunDatasets } from '../../src/run/run_datasets';
import { armConfig } from '../../src/study/run_arm';
import { runStudy, StudyInput } from '../../src/study/study';
import { buildModel } from '../../src/train/model_source';
import { tinySuite } from '../helpers/tiny_suite';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-study-start-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const base = (out: string): RunConfig => ({
  kind: 'cotrain', datasets: [], data: {}, out, preset: 'tiny', steps: 2, batchSize: 4, microBatch: 4,
  optimizer: 'adamw', lr: 5e-4, weightDecay: 0.05, warmup: 1, schedule: 'cosine', labelSmoothing: 0, mixup: 0, dropPath: 0,
  clipGrad: 1, seed: 0, temperature: 1, evalEvery: 0, evalSamples: 4, views: '1x1', checkpointEvery: 50, freezeTemporal: false,
  samplingRate: 2, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.5, concurrency: 2,
});
const savedInit = (dir: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'config.json'), 'utf8')).extra.run.config.init;

test('one pretraining stage per seed, shared by its arms, which start from identical weights; then --init', async () => {
  await initBackend({ backend: 'wasm' });
  const out = path.join(tmp, 'study');
  const input: StudyInput = {
    spec: { videos: ['k400', 'ssv2'], images: ['imnet'], transferTo: [], seeds: [3, 4], steps: 2, finetuneSteps: 1, budget: 'steps', start: 'pretrain', pretrainSteps: 2 },
    base: base(out),
    demoDir: tinySuite(),
    demoSize: 'tiny',
  };
  const lines: string[] = [];
  const r = await runStudy(input, { log: (l) => lines.push(l) });
  expect(r.complete).toBe(true);
  expect(r.arms.map((a) => `${a.id} ${a.kind} ${a.from ?? '-'}`)).toEqual([
    'seed3/pretrain pretrain -', 'seed3/single_k400 single seed3/pretrain', 'seed3/single_ssv2 single seed3/pretrain', 'seed3/videos videos seed3/pretrain', 'seed3/cover cover seed3/pretrain',
    'seed4/pretrain pretrain -', 'seed4/single_k400 single seed4/pretrain', 'seed4/single_ssv2 single seed4/pretrain', 'seed4/videos videos seed4/pretrain', 'seed4/cover cover seed4/pretrain',
  ]);
  expect(lines.filter((l) => /backbone: from checkpoint/.test(l))).toHaveLength(8);
  for (const a of r.arms) {
    const dir = path.join(out, a.id);
    if (a.kind === 'pretrain') {
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'config.json'), 'utf8')).extra.run.config).toMatchObject({ kind: 'pretrain', freezeTemporal: true, steps: 2, seed: a.seed });
      expect(savedInit(dir)).toBeUndefined();
    } else {
      expect(savedInit(dir)).toBe(path.join(out, `seed${a.seed}`, 'pretrain', 'checkpoint'));
    }
    // predictions.csv: one row per val clip and head, as many right as the evaluation's top-1 says.
    const clips = readPredictions(path.join(dir, 'predictions.csv'))!;
    expect([...clips.keys()].sort()).toEqual([...a.datasets].sort());
    for (const d of a.datasets) {
      const right = [...clips.get(d)!.values()].filter(Boolean).length;
      expect(clips.get(d)!.size).toBe(a.evals![d].n);
      expect(right / a.evals![d].n).toBeCloseTo(a.evals![d].top1, 12);
    }
  }
  // The image head's (a): the pretraining stage; every difference has a t interval over the 2 seeds and McNemar per seed.
  expect(r.summary.heads[2].rows.map((x) => [x.arm, x.top1.n])).toEqual([['single', 2], ['cover', 2]]);
  for (const d of r.summary.heads[0].diffs) {
    expect(d.interval).not.toBeNull();
    expect(d.tests.map((t) => [t.seed, t.n])).toEqual([[3, 8], [4, 8]]);
  }

  // Identical starts: (a) and (c) of a seed build the same backbone, the pretraining checkpoint's (temporal attention
  // seeded from the spatial one); the other seed's differs.
  const resolved = await resolveRunDatasets(['k400', 'ssv2', 'imnet'], {}, { demoDir: tinySuite(), demoSize: 'tiny' });
  const ctx = { root: out, base: base(out), pretrainBase: base(out), datasets: new Map(resolved.datasets.map((d) => [d.name, d])) };
  const heads = [{ name: 'probe', numClasses: 2, labels: ['a', 'b'] }];
  const arm = (id: string) => r.arms.find((a) => a.id === id)!;
  const [single, cover, other] = await Promise.all(['seed3/single_k400', 'seed3/cover', 'seed4/single_k400'].map((id) => buildModel(armConfig(arm(id), ctx), heads, () => {})));
  const ck = await loadCheckpoint(path.join(out, 'seed3', 'pretrain', 'checkpoint'), { trainState: false });
  let compared = 0;
  let differs = 0;
  for (const [name, v] of single.namedWeights()) {
    if (name.startsWith('heads.')) continue;
    expect(Array.from(cover.namedWeights().get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
    if (!name.includes('temporal')) {
      expect(Array.from(v.dataSync())).toEqual(Array.from(ck.weights.get(name)!.dataSync()));
      compared += 1;
    }
    if (Array.from(other.namedWeights().get(name)!.dataSync()).some((x, i) => x !== v.dataSync()[i])) differs += 1;
  }
  expect(compared).toBeGreaterThan(10);
  expect(differs).toBeGreaterThan(0);
  [single, cover, other].forEach((m) => m.dispose());
  ck.weights.forEach((t) => t.dispose());

  // Again: every arm, the stages included, is reused.
  const again = await runStudy(input);
  expect(again.arms.map((a) => a.status)).toEqual(Array(10).fill('reused'));
  expect(again.summary).toEqual(r.summary);

  // --init: the given weights for every arm of every seed, no stage.
  const given = path.join(out, 'seed3', 'pretrain', 'checkpoint');
  const outInit = path.join(tmp, 'study-init');
  const init = await runStudy({ ...input, spec: { ...input.spec, seeds: [0], start: 'init', pretrainSteps: undefined }, base: { ...base(outInit), init: given } });
  expect(init.arms.map((a) => a.id)).toEqual(['seed0/single_k400', 'seed0/single_ssv2', 'seed0/videos', 'seed0/cover']);
  for (const a of init.arms) expect(savedInit(path.join(outInit, a.id))).toBe(given);
  expect(fs.existsSync(path.join(outInit, 'seed0', 'pretrain'))).toBe(false);
}, 600_000);
