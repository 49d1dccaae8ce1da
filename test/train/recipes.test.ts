// Named recipes and the one resolution of a run's configuration (train/recipes.ts): the library holds every default,
// an explicit setting wins over the recipe, the reference LR is scaled to the run's batch, the stride follows the preset.
import { describeRecipe, resolveRunConfig, RunInput } from '../../src/train/recipes';
import { validateRunConfig } from '../../src/run/run_config';
import { DEFAULT_OPTIMIZER, Optimizer } from '../../src/train/optimizer';
import { UsageError } from '../../src/errors';

const where = { datasets: [{ name: 'k400', spec: 'k400' }], data: {}, out: 'runs/x' };
const resolve = (over: Partial<RunInput> & { settings?: RunInput['settings'] }) => resolveRunConfig({ kind: 'cotrain', settings: {}, ...where, ...over });

test('demo is the default recipe and keeps the defaults the CLI had', () => {
  const c = resolve({});
  expect(c.recipe).toBe('demo');
  expect(c).toMatchObject({
    preset: 'small', steps: 2400, batchSize: 8, optimizer: 'adamw', lr: 5e-4, weightDecay: 0.05, decayAll: false, warmup: 50,
    schedule: 'cosine', labelSmoothing: 0, mixup: 0, dropPath: 0.1, clipGrad: 1, seed: 0, temperature: 1, evalEvery: 100, evalSamples: 32,
    views: '1x3', checkpointEvery: 50, samplingRate: 10, targetFps: 30, maxBad: 0.05, concurrency: 2, overrides: [],
  });
  expect(c.epochs).toBeUndefined();
  expect(resolve({ kind: 'pretrain' })).toMatchObject({ steps: 300, lr: 1e-3, freezeTemporal: true });
  expect(resolve({ settings: { optimizer: 'sgd' } }).weightDecay).toBe(1e-4); // as --optimizer sgd gave before
  expect(validateRunConfig(c)).toBe(c);
});

test('timesformer: the reference recipe, 64 clips a step at 0.005; another batch scales the LR linearly and says so', () => {
  // As the reference: a global batch of 64 (micro-batches accumulate to it) at 0.005, nothing said about scaling.
  const c64 = resolve({ recipe: 'timesformer', settings: { preset: 'base' } });
  expect(c64).toMatchObject({
    batchSize: 64, optimizer: 'sgd', lr: 0.005, weightDecay: 1e-4, decayAll: true, warmup: 0, clipGrad: 0, schedule: 'step', epochs: 15,
    views: '1x3', samplingRate: 32, labelSmoothing: 0, mixup: 0, overrides: [],
  });
  expect(c64.microBatch).toBeUndefined(); // auto: the trainer picks the largest that fits and accumulates
  expect(describeRecipe(c64)[1]).toBe("  sgd nesterov momentum 0.9, lr 0.005 (the reference's, for its global batch of 64), weight decay 0.0001 on every parameter");
  expect(describeRecipe(c64).join('\n')).not.toContain('scaled');
  expect(resolve({ recipe: 'cover' })).toMatchObject({ batchSize: 64, lr: 0.005 });
  expect(resolve({}).batchSize).toBe(8); // demo keeps cover's CPU batch

  const c = resolve({ recipe: 'timesformer', settings: { preset: 'base', batchSize: 16 } });
  expect(c).toMatchObject({ batchSize: 16, lr: 0.00125, overrides: ['batchSize'] });
  expect(resolve({ recipe: 'timesformer', settings: { preset: 'large' } }).samplingRate).toBe(16);
  expect(resolve({ recipe: 'timesformer', settings: { batchSize: 8 } }).lr).toBe(0.000625);
  const lines = describeRecipe(c);
  expect(lines[1]).toBe('  sgd nesterov momentum 0.9, lr 0.00125, weight decay 0.0001 on every parameter');
  expect(lines[2]).toMatch(/^ {2}step schedule ×0\.1 at epochs 11 and 14 of 15 epochs .*no warm-up, no gradient clipping/);
  expect(lines[3]).toBe('  dense sampling: 8 frames, 32 apart at 30 fps, a clip spans 8.53 s; test views 1x3');
  expect(lines.filter((l) => l.includes('scaled'))).toEqual(["  batch 16, not the reference's 64: lr scaled linearly to 0.00125 = 0.005 x 16/64 (Goyal et al.'s rule, as PySlowFast)"]);
  // An explicit --lr is the user's: no scaling, nothing said about it.
  expect(describeRecipe(resolve({ recipe: 'timesformer', settings: { batchSize: 16, lr: 0.01 } })).join('\n')).not.toContain('scaled');
  // With the run's datasets, each one's own scheme: the header no longer says "dense" for SSv2, MiT and images.
  const each = describeRecipe(c, [
    { name: 'k400', sampling: 'dense', images: false },
    { name: 'ssv2', sampling: 'segments', images: false },
    { name: 'mit', sampling: 'uniform', images: false },
    { name: 'imnet', sampling: 'dense', images: true },
  ]);
  expect(each[3]).toBe(
    '  sampling: k400 dense (8 frames, 32 apart at 30 fps, a clip spans 8.53 s); ssv2 segments (8 frames, one from each of 8 equal parts, TSN); ' +
      "mit uniform (8 frames over the whole clip: in training a random one from each of 8 equal parts, TSN, cover's choice; at test evenly spread); " +
      "imnet images (one frame; Inception-style random-resized crop, 8-100% of the area at aspect 3/4-4/3, and flip: cover's choice); test views 1x3",
  );
  expect(c.augment).toEqual({ uniform: 'segments', images: 'inception' });
  // A run saved before augment (none in its config) says what it did: MiT's test frames, images cropped as videos.
  const old = describeRecipe({ ...c, augment: undefined }, [
    { name: 'mit', sampling: 'uniform', images: false },
    { name: 'imnet', sampling: 'dense', images: true },
  ]);
  expect(old[3]).toBe('  sampling: mit uniform (8 frames spread over the whole clip); imnet images (one frame, cropped as videos); test views 1x3');
});

test('each explicit setting wins over the recipe and is listed as given', () => {
  const c = resolve({ recipe: 'timesformer', settings: { steps: 7, lr: 0.1, clipGrad: 2, decayAll: false, samplingRate: 4, seed: 3 } });
  expect(c).toMatchObject({ steps: 7, lr: 0.1, clipGrad: 2, decayAll: false, samplingRate: 4, seed: 3, optimizer: 'sgd', warmup: 0 });
  expect(c.epochs).toBeUndefined(); // --steps replaces the recipe's 15 epochs
  expect(c.overrides).toEqual(['steps', 'lr', 'decayAll', 'clipGrad', 'samplingRate']);
  expect(describeRecipe(c).at(-1)).toBe('  given explicitly: --steps, --lr, --decay-all, --clip-grad, --sampling-rate');
  expect(describeRecipe(c)[1]).toContain('lr 0.1, '); // no claim of the reference's scaling once --lr is given
});

test('pretrain --recipe cover from random weights is refused with the fix; with --init it runs', () => {
  const refused = (() => {
    try {
      resolve({ kind: 'pretrain', recipe: 'cover' });
    } catch (e) {
      return e;
    }
  })();
  expect(refused).toBeInstanceOf(UsageError);
  expect((refused as UsageError).exitCode).toBe(2);
  expect((refused as UsageError).oneLine()).toMatch(/^pretrain --recipe cover from random weights: .*fix: give --init ViT weights .*, or use --recipe demo/);
  expect(resolve({ kind: 'pretrain', recipe: 'cover', settings: { init: 'vit.safetensors' } })).toMatchObject({ recipe: 'cover', freezeTemporal: true });
  expect(resolve({ kind: 'pretrain', recipe: 'demo' }).recipe).toBe('demo');
  expect(resolve({ kind: 'cotrain', recipe: 'cover' }).recipe).toBe('cover');
});

test('cover: what CoVeR publishes, the reference recipe for what it does not', () => {
  const c = resolve({ recipe: 'cover' });
  expect(c).toMatchObject({ optimizer: 'sgd', temperature: 1, views: '1x3', decayAll: true, epochs: 15 });
  expect(describeRecipe(c)[0]).toMatch(/^recipe cover \(CoVeR, arXiv 2112\.07175 .*not published, the TimeSformer reference's are used\)$/);
});

test('--decay-all decays the embeddings, CLS, norms and biases too (the reference); without it they are spared', () => {
  const opt = (decayAll: boolean) => new Optimizer({ ...DEFAULT_OPTIMIZER.sgd, decayAll });
  expect(['pos_embed', 'cls_token', 'time_embed', 'norm.weight', 'blocks.0.attn.qkv.bias'].map((n) => opt(true).decayOf(n, n.endsWith('bias') || n.startsWith('norm') ? 1 : 3))).toEqual([1e-4, 1e-4, 1e-4, 1e-4, 1e-4]);
  expect(['pos_embed', 'norm.weight'].map((n, i) => opt(false).decayOf(n, i === 0 ? 3 : 1))).toEqual([0, 0]);
  expect(opt(false).decayOf('blocks.0.attn.qkv.weight', 2)).toBe(1e-4);
});

test('a library caller with a bad augment gets one line naming it', () => {
  const c = resolve({});
  expect(() => validateRunConfig({ ...c, augment: { uniform: 'random', images: 'inception' } as unknown as typeof c.augment })).toThrow(/^augment \{"uniform":"random","images":"inception"\} is not/);
  expect(validateRunConfig({ ...c, augment: undefined })).toBeDefined(); // a run saved before augment
});
