// runTraining (the loop behind pretrain / cotrain / transfer) frees every tensor it creates.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { resolveRunDatasets } from '../../src/run/run_datasets';
import { runTraining } from '../../src/train/trainer';
import { RunConfig } from '../../src/run/run_config';
import { tinySuite } from '../helpers/tiny_suite';
import { head, tinyCheckpoint, tinyDemo } from '../helpers/tiny_checkpoint';
import { TRAIN_AUGMENT } from '../../src/train/recipes';

test('runTraining leaks no tensors and writes checkpoint, log, result and report', async () => {
  await initBackend({ backend: 'wasm' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-trainer-'));
  const { datasets, data } = await resolveRunDatasets(['k400', 'imnet'], {}, { demoDir: tinySuite(), demoSize: 'tiny' });
  const cfg: RunConfig = {
    kind: 'cotrain', datasets, data, out: path.join(tmp, 'run'), preset: 'tiny', steps: 3, batchSize: 4, microBatch: 2,
    optimizer: 'sgd', lr: 0.01, weightDecay: 1e-4, warmup: 1, schedule: 'step', labelSmoothing: 0.1, mixup: 0.2, dropPath: 0.1,
    clipGrad: 1, seed: 3, temperature: 1, evalEvery: 2, evalSamples: 4, views: '1x1', checkpointEvery: 2, freezeTemporal: false,
    samplingRate: 2, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.5, concurrency: 2,
  };
  const before = tf.memory().numTensors;
  const r = await runTraining(cfg);
  expect(tf.memory().numTensors).toBe(before);
  expect(r.steps).toBe(3);
  expect(r.evals.map((e) => e.head).sort()).toEqual(['imnet', 'k400']);
  for (const f of ['checkpoint/config.json', 'checkpoint/weights.safetensors', 'checkpoint/train_state.safetensors', 'log.jsonl', 'result.json', 'report.html']) {
    expect(fs.existsSync(path.join(cfg.out, f))).toBe(true);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a run from a checkpoint at another frame count and resolution (embeddings resized), on MiT and images, leaks no tensors', async () => {
  await initBackend({ backend: 'wasm' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-trainer-'));
  const { k400 } = await tinyDemo();
  const ck = path.join(tmp, 'ck-4x64');
  await tinyCheckpoint(ck, [head('k400', k400)], { model: { numFrames: 4, imgSize: 64 } });
  const { datasets, data } = await resolveRunDatasets(['k400', 'mit', 'imnet'], {}, { demoDir: tinySuite(), demoSize: 'tiny' });
  const cfg: RunConfig = {
    kind: 'cotrain', datasets, data, out: path.join(tmp, 'run'), preset: 'tiny', init: ck, steps: 2, batchSize: 4, microBatch: 2,
    optimizer: 'sgd', lr: 0.01, weightDecay: 1e-4, warmup: 0, schedule: 'step', labelSmoothing: 0, mixup: 0, dropPath: 0.1,
    clipGrad: 1, seed: 3, temperature: 1, evalEvery: 0, evalSamples: 2, views: '1x1', checkpointEvery: 2, freezeTemporal: false,
    samplingRate: 2, augment: TRAIN_AUGMENT, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.5, concurrency: 2,
  };
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const r = await runTraining(cfg, { log: (l) => lines.push(l) });
  expect(tf.memory().numTensors).toBe(before);
  expect(r.steps).toBe(2);
  expect(lines).toContain("  init: resized pos_embed 65→17 tokens (64→32 px) and time_embed 4→2 frames (nearest, as import and the reference's forward do)");
  fs.rmSync(tmp, { recursive: true, force: true });
});
