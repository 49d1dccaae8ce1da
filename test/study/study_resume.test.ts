// A study stopped in the middle of an arm (the trainer's abort, as Ctrl-C raises it) continues where it stopped: the
// same call again resumes that arm from its checkpoint with the trainer's --resume, trains the arms not yet run, and
// the run that was stopped ends with every step logged once and its final evaluation.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/engine/backend';
import { runStudy, StudyInput } from '../../src/study/study';
import { RunConfig } from '../../src/run/run_config';
import { tinySuite } from '../helpers/tiny_suite';

test('stopped at step 2 of its first arm, the study resumes that arm and finishes the rest', async () => {
  await initBackend({ backend: 'wasm' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-study-'));
  const base: RunConfig = {
    kind: 'cotrain', datasets: [], data: {}, out: path.join(tmp, 'study'), preset: 'tiny', steps: 4, batchSize: 4, microBatch: 4,
    optimizer: 'adamw', lr: 5e-4, weightDecay: 0.05, warmup: 1, schedule: 'cosine', labelSmoothing: 0, mixup: 0, dropPath: 0,
    clipGrad: 1, seed: 0, temperature: 1, evalEvery: 0, evalSamples: 4, views: '1x1', checkpointEvery: 50, freezeTemporal: false,
    samplingRate: 2, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.5, concurrency: 2,
  };
  const input: StudyInput = {
    spec: { videos: ['k400', 'ssv2'], images: ['imnet'], transferTo: [], seeds: [5], steps: 4, finetuneSteps: 2, budget: 'steps', start: 'scratch' },
    base,
    demoDir: tinySuite(),
    demoSize: 'tiny',
  };
  const ctl = new AbortController();
  const first = await runStudy(input, { signal: ctl.signal, progress: (p) => p.step === 2 && ctl.abort() });
  expect(first.interrupted).toBe(true);
  expect(first.complete).toBe(false);
  const stopped = path.join(base.out, 'seed5', 'single_k400');
  const saved = JSON.parse(fs.readFileSync(path.join(stopped, 'checkpoint', 'config.json'), 'utf8')).extra.run;
  expect(saved.step).toBe(2);
  expect(saved.config.init).toBeUndefined(); // --from-scratch: random weights, no pretraining stage
  expect(JSON.parse(fs.readFileSync(path.join(base.out, 'study.json'), 'utf8')).arms.map((a: { status: string }) => a.status)).toEqual(Array(4).fill('pending'));

  const second = await runStudy(input);
  expect(second.interrupted).toBe(false);
  expect(second.complete).toBe(true);
  expect(second.arms.map((a) => `${a.id} ${a.status}`)).toEqual([
    'seed5/single_k400 resumed',
    'seed5/single_ssv2 trained',
    'seed5/videos trained',
    'seed5/cover trained',
  ]);
  const steps = fs.readFileSync(path.join(stopped, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"step"')).map((l) => JSON.parse(l).step);
  expect(steps).toEqual([1, 2, 3, 4]);
  expect(second.arms[0].evals?.k400.n).toBe(8);
  expect(second.summary.heads.map((h) => h.rows.map((r) => r.top1.n))).toEqual([[1, 1, 1], [1, 1, 1], [0, 1]]); // imnet: no pretraining stage, CoVeR
  fs.rmSync(tmp, { recursive: true, force: true });
}, 600_000);
