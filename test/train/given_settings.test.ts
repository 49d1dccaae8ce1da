// checkResumeSettings and dataLoadingGiven: --resume refuses a setting that changes what the run computes, and takes the
// data-loading ones (--concurrency, --cache-dir, --memory-cache, whose paths give the same pixels) in place of the saved.
import { UsageError } from '../../src/errors';
import { RunConfig } from '../../src/run/run_config';
import { checkResumeSettings, dataLoadingGiven } from '../../src/train/given_settings';

const saved: RunConfig = {
  kind: 'cotrain', datasets: [{ name: 'k400', spec: 'k400' }], data: {}, out: 'runs/x', preset: 'tiny',
  steps: 10, batchSize: 4, microBatch: 2, optimizer: 'adamw', lr: 1e-3, weightDecay: 0.05, warmup: 2, schedule: 'cosine',
  labelSmoothing: 0, mixup: 0, dropPath: 0.1, clipGrad: 1, seed: 0, temperature: 1, evalEvery: 5, evalSamples: 8, views: '1x3',
  checkpointEvery: 5, freezeTemporal: false, samplingRate: 4, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.05, concurrency: 2,
  memoryCache: 2048,
};

test('--memory-cache, --concurrency, --cache-dir and a longer --steps are taken; a setting that changes the run is refused', () => {
  const given = { memoryCache: 0, concurrency: 1, cacheDir: '/tmp/c', steps: 20, seed: 0 };
  expect(() => checkResumeSettings(given, saved, 'runs/x/checkpoint')).not.toThrow();
  expect(dataLoadingGiven(given)).toEqual({ memoryCache: 0, concurrency: 1, cacheDir: '/tmp/c' });
  expect(dataLoadingGiven({ seed: 0 })).toEqual({});
  const e = (() => {
    try {
      checkResumeSettings({ memoryCache: 0, lr: 0.1 }, saved, 'runs/x/checkpoint');
    } catch (err) {
      return err;
    }
  })();
  expect(e).toBeInstanceOf(UsageError);
  expect((e as UsageError).message).toBe('--resume continues the run with its saved settings: --lr 0.1 differs from its 0.001');
});
