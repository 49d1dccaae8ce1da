// validateRunConfig: a library user (runTraining without the CLI) gets the ranges the CLI checks when it parses, as a
// ConfigError naming the setting by its flag, and the learning-rate schedule is checked too (validateLrSchedule).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../src/errors';
import { RunConfig, validateRunConfig } from '../../src/run/run_config';
import { runTraining } from '../../src/train/trainer';

const good: RunConfig = {
  kind: 'cotrain', datasets: [{ name: 'k400', spec: 'k400' }, { name: 'ssv2', spec: 'ssv2' }], data: {}, out: 'runs/x', preset: 'tiny',
  steps: 10, batchSize: 4, microBatch: 2, optimizer: 'adamw', lr: 1e-3, weightDecay: 0.05, warmup: 2, schedule: 'cosine',
  labelSmoothing: 0, mixup: 0, dropPath: 0.1, clipGrad: 1, seed: 0, temperature: 1, evalEvery: 5, evalSamples: 8, views: '1x3',
  checkpointEvery: 5, freezeTemporal: false, samplingRate: 4, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], maxBad: 0.05, concurrency: 2,
  memoryCache: 2048,
};

test('a good config passes (and so do the bounds themselves)', () => {
  expect(validateRunConfig(good)).toBe(good);
  expect(() => validateRunConfig({ ...good, batchSize: 1024, microBatch: 1024, seed: 4294967295, views: '10x1', maxBad: 7, epochs: 0.5, weightDecay: 0, clipGrad: 0, fixedCounts: { k400: 1024, ssv2: 0 } })).not.toThrow();
});

test.each([
  ['clipGrad', -1, /--clip-grad -1/],
  ['steps', 1.5, /--steps 1.5/],
  ['steps', 1e308, /--steps 1e\+308/],
  ['epochs', 0, /--epochs 0/],
  ['epochs', 1e308, /--epochs 1e\+308/],
  ['epochs', -2, /--epochs -2/],
  ['batchSize', 100000, /--batch-size 100000/],
  ['microBatch', 0, /--micro-batch 0/],
  ['lr', 0, /--lr 0/],
  ['lr', Infinity, /--lr Infinity/],
  ['weightDecay', -1, /--weight-decay -1/],
  ['warmup', 0.5, /--warmup 0.5/],
  ['labelSmoothing', 1, /--label-smoothing 1/],
  ['mixup', NaN, /--mixup NaN/],
  ['dropPath', -0.1, /--drop-path -0.1/],
  ['seed', -1, /--seed -1/],
  ['temperature', 0, /--temperature 0/],
  ['evalEvery', 0.5, /--eval-every 0.5/],
  ['evalEvery', -1, /--eval-every -1/],
  ['evalSamples', -3, /--eval-samples -3/],
  ['evalSamples', 0, /--eval-samples 0/],
  ['views', '2x2', /--views '2x2'/],
  ['views', '100000x3', /--views '100000x3'/],
  ['checkpointEvery', 0, /--checkpoint-every 0/],
  ['samplingRate', 0, /--sampling-rate 0/],
  ['maxBad', 1.5, /--max-bad 1.5/],
  ['maxBad', -1, /--max-bad -1/],
  ['concurrency', 100000, /--concurrency 100000/],
  ['memoryCache', -5, /--memory-cache -5/],
  ['optimizer', 'adam', /--optimizer 'adam'/],
  ['fixedCounts', { k400: 2, ssv2: 1 }, /--fixed-counts add up to 3 but --batch-size is 4/],
  ['fixedCounts', { k400: 2, mit: 2 }, /--fixed-counts names 'mit'/],
] as [keyof RunConfig, unknown, RegExp][])('%s = %p is a ConfigError naming the flag', (field, value, message) => {
  const attempt = () => validateRunConfig({ ...good, [field]: value });
  expect(attempt).toThrow(ConfigError);
  expect(attempt).toThrow(message);
});

test('the learning-rate schedule is validated too (validateLrSchedule)', () => {
  expect(() => validateRunConfig({ ...good, schedule: 'linear' as RunConfig['schedule'] })).toThrow(/learning-rate schedule: unknown schedule 'linear'/);
});

test('runTraining refuses a bad config before it writes anything', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cover-runcfg-')), 'run');
  const e = await runTraining({ ...good, out, clipGrad: -1 }).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(ConfigError);
  expect((e as ConfigError).oneLine()).toMatch(/--clip-grad -1 is not a number of at least 0 \(fix: use 0 \(off\) or a norm such as 1\)/);
  expect(fs.existsSync(out)).toBe(false);
});
