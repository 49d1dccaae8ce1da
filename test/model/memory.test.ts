// The memory plan's numbers (model/memory.ts): parameter counts equal the model's, optimizer slots per optimizer, and
// the activation estimate against the real peak of a training step on `tiny` and `small` (wasm, measured by counting the
// bytes tfjs mallocs and frees on the heap); the wasm heap's capacity (engine/capacity.ts). The preflight's fixes are
// checked by planning them again.

import { getPreset } from '../../src/config/presets';
import { activeNative } from '../../src/engine/accel/accel';
import { initBackend } from '../../src/engine/backend';
import { WASM_HEAP_MAX_BYTES, backendCapacity, fits } from '../../src/engine/capacity';
import { OutOfMemoryError } from '../../src/errors';
import { planTrainingMemory, TrainingShape, sizeForMemory } from '../../src/model/memory';
import { TimeSformer } from '../../src/model/timesformer';
import { measureWasmStep } from '../../bench/memory_fit';
import { fitTraining } from '../../src/train/memory_preflight';
import { RunConfig } from '../../src/run/run_config';

const head = (name: string, n: number) => ({ name, numClasses: n, labels: Array.from({ length: n }, (_, i) => `c${i}`) });
const shape = (preset: string, over: Partial<TrainingShape> = {}): TrainingShape => ({
  model: getPreset(preset), headClasses: [10], optimizer: 'adamw', batchSize: 2, microBatch: 2, path: 'tfjs', ...over,
});

test('parameter counts equal the model\'s, and base is the reference 121,566,352 with a 400-class head', async () => {
  await initBackend({ backend: 'cpu' });
  for (const preset of ['tiny', 'small']) {
    const model = new TimeSformer(getPreset(preset), [head('a', 10), head('b', 7)], 0);
    expect(planTrainingMemory(shape(preset, { headClasses: [10, 7] })).params).toBe(model.numParams());
    model.dispose();
  }
  const base = planTrainingMemory(shape('base', { headClasses: [400] }));
  expect(base.params).toBe(121_566_352);
  expect(base.weightsBytes).toBe(4 * 121_566_352);
});

test('optimizer slots: AdamW 2 per trained parameter, SGD 1; pretrain trains (and keeps state for) fewer', () => {
  const adamw = planTrainingMemory(shape('small'));
  const sgd = planTrainingMemory(shape('small', { optimizer: 'sgd' }));
  expect(adamw.slotsBytes).toBe(2 * 4 * adamw.params);
  expect(sgd.slotsBytes).toBe(4 * sgd.params);
  const frozen = planTrainingMemory(shape('small', { freezeTemporal: true }));
  expect(frozen.trainedParams).toBeLessThan(frozen.params);
  expect(frozen.slotsBytes).toBe(2 * 4 * frozen.trainedParams);
  // Accumulating micro-batches keeps a second set of gradients.
  expect(planTrainingMemory(shape('small', { batchSize: 4, microBatch: 2 })).gradsBytes).toBe(adamw.gradsBytes + 4 * adamw.params);
});

describe.each([['off'], ['auto']] as const)('the estimate against a real step on wasm (--accel %s)', (accel) => {
  test.each([['tiny', 4, false], ['small', 2, false], ['tiny', 4, true], ['small', 2, true]])(
    '%s at micro-batch %d (recompute %s) is within a factor 1.25 of the measured peak',
    async (preset, B, recompute) => {
      await initBackend({ backend: 'wasm', accel });
      const path = activeNative() ? 'fused' : 'tfjs';
      const peak = measureWasmStep(getPreset(preset), B, recompute);
      const plan = planTrainingMemory(shape(preset, { batchSize: B, microBatch: B, path, recompute }));
      const ratio = plan.totalBytes / peak;
      expect(ratio).toBeGreaterThan(1 / 1.25);
      expect(ratio).toBeLessThan(1.25);
    },
  );
});

describe('fitTraining', () => {
  const run = (over: Partial<RunConfig>): RunConfig =>
    ({ preset: 'tiny', batchSize: 8, microBatch: 8, optimizer: 'adamw', freezeTemporal: false, ...over }) as RunConfig;

  test('a tiny run fits; base does not without recompute, and only fixes that fit are offered', async () => {
    await initBackend({ backend: 'wasm', accel: 'off' });
    expect(fitTraining(run({}), [head('k400', 4)]).plan.totalBytes).toBeLessThan(2 ** 30);
    let err: OutOfMemoryError | undefined;
    try {
      fitTraining(run({ preset: 'base', recompute: 'off' }), [head('k400', 400)]);
    } catch (e) {
      err = e as OutOfMemoryError;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err!.exitCode).toBe(2);
    expect(err!.oneLine()).toMatch(/^--preset base needs about \d+ GiB to train \(weights 0\.45, grads 0\.45, AdamW slots 0\.91, activations at micro-batch 8 \d+\) but on the wasm backend the wasm heap holds at most 4 GiB \(fix: .*--preset small.*\)$/);
    // base does not fit at micro-batch 1 either without recompute, so that is not offered.
    expect(err!.suggestion).not.toMatch(/^--micro-batch/);
    expect(fits(planTrainingMemory(shape('base', { microBatch: 1, batchSize: 8 })).totalBytes, backendCapacity('wasm'))).toBe(false);
    // With recompute (auto) it does: base trains in the wasm heap, a few clips a pass.
    const auto = fitTraining(run({ preset: 'base', microBatch: undefined }), [head('k400', 400)]);
    expect(auto.recompute).toBe(true);
    expect(auto.microBatch).toBeGreaterThanOrEqual(1);
    expect(fits(auto.plan.totalBytes, backendCapacity('wasm'))).toBe(true);
  });

  test('the micro-batch offered is the largest that fits', async () => {
    await initBackend({ backend: 'wasm', accel: 'off' });
    let err: OutOfMemoryError | undefined;
    try {
      fitTraining(run({ preset: 'small', batchSize: 256, microBatch: 256, recompute: 'off' }), [head('k400', 5)]);
    } catch (e) {
      err = e as OutOfMemoryError;
    }
    const m = Number(/--micro-batch (\d+)/.exec(err!.suggestion ?? '')![1]);
    const cap = backendCapacity('wasm');
    expect(cap.limitBytes).toBe(WASM_HEAP_MAX_BYTES);
    const at = (micro: number) => planTrainingMemory(shape('small', { headClasses: [5], batchSize: 256, microBatch: micro })).totalBytes;
    expect(fits(at(m), cap)).toBe(true);
    expect(fits(at(m + 1), cap)).toBe(false);
  });

  test('with no --micro-batch (auto) the largest micro-batch that fits is chosen and said; an explicit one is kept or refused', async () => {
    await initBackend({ backend: 'wasm', accel: 'off' });
    const heads = [head('k400', 5)];
    // Fits as asked: the batch size, no recompute, nothing to say.
    const asked = fitTraining(run({ microBatch: undefined }), heads);
    expect([asked.microBatch, asked.recompute, asked.notes]).toEqual([8, false, []]);
    const auto = fitTraining(run({ preset: 'small', batchSize: 256, microBatch: undefined, recompute: 'off' }), heads);
    const cap = backendCapacity('wasm');
    const at = (micro: number) => planTrainingMemory(shape('small', { headClasses: [5], batchSize: 256, microBatch: micro })).totalBytes;
    expect(auto.microBatch).toBeLessThan(256);
    expect(auto.recompute).toBe(false);
    expect(fits(at(auto.microBatch), cap)).toBe(true);
    expect(fits(at(auto.microBatch + 1), cap)).toBe(false);
    expect(auto.notes).toHaveLength(1);
    expect(auto.notes[0]).toMatch(new RegExp(`^micro-batch ${auto.microBatch} \\(auto\\): batch 256 in one pass needs about \\d+(\\.\\d+)? GiB and the wasm heap holds at most 4 GiB; gradients accumulate over \\d+ passes`));
    // An explicit micro-batch is the user's: refused when it does not fit, never changed.
    expect(() => fitTraining(run({ preset: 'small', batchSize: 256, microBatch: 256, recompute: 'off' }), heads)).toThrow(OutOfMemoryError);
    // large fits wasm at no micro-batch, even recomputed: auto refuses too, with the numbers at micro-batch 1.
    expect(() => fitTraining(run({ preset: 'large', microBatch: undefined }), [head('k400', 400)])).toThrow(/activations at micro-batch 1 with recompute /);
  });

  test('--recompute auto recomputes only when the batch does not fit in one pass without it, and says why; off offers blocks as a fix', async () => {
    await initBackend({ backend: 'wasm', accel: 'off' });
    const heads = [head('k400', 5)];
    const cap = backendCapacity('wasm');
    const at = (batch: number, recompute: boolean) => planTrainingMemory(shape('small', { headClasses: [5], batchSize: batch, microBatch: batch, recompute })).totalBytes;
    // A batch that fits in one pass only with recompute.
    let batch = 8;
    while (fits(at(batch, false), cap)) batch *= 2;
    expect(fits(at(batch, true), cap)).toBe(true);
    const fit = fitTraining(run({ preset: 'small', batchSize: batch, microBatch: undefined }), heads);
    expect([fit.microBatch, fit.recompute]).toEqual([batch, true]);
    expect(fit.notes).toHaveLength(1);
    expect(fit.notes[0]).toMatch(new RegExp(`^recompute blocks \\(auto\\): batch ${batch} in one pass needs about [\\d.]+ GiB without it and the wasm heap holds at most 4 GiB; recomputing each block in the backward pass, about [\\d.]+ GiB`));
    // One that fits without: no recompute.
    expect(fitTraining(run({ preset: 'small', batchSize: batch / 2, microBatch: undefined }), heads).recompute).toBe(false);
    // --recompute off never recomputes: micro-batches instead, or (explicit micro-batch) a refusal offering blocks.
    expect(fitTraining(run({ preset: 'small', batchSize: batch, microBatch: undefined, recompute: 'off' }), heads)).toMatchObject({ recompute: false });
    let err: OutOfMemoryError | undefined;
    try {
      fitTraining(run({ preset: 'small', batchSize: batch, microBatch: batch, recompute: 'off' }), heads);
    } catch (e) {
      err = e as OutOfMemoryError;
    }
    // After --backend torch where the addon is built (no extra compute there), before the other fixes.
    expect(err!.suggestion).toMatch(/^(--backend torch[^,]*, or )?--recompute blocks(, or |$)/);
    // --recompute blocks always does.
    expect(fitTraining(run({ microBatch: undefined, recompute: 'blocks' }), heads)).toMatchObject({ microBatch: 8, recompute: true, notes: [] });
  });
});

describe('sizeForMemory (cover plan): a run against a device, nothing allocated', () => {
  const base = { model: getPreset('base'), headClasses: [400], optimizer: 'sgd' as const, batchSize: 8, microBatch: 8, path: 'torch' as const };

  test('the plan at the asked micro-batch, whether it fits, and the largest micro-batch and one-pass batch that do', () => {
    const gibs = 2 ** 30;
    const roomy = sizeForMemory(base, 80 * gibs);
    expect(roomy.plan).toEqual(planTrainingMemory(base));
    expect(roomy.fits).toBe(true);
    expect(roomy.largestMicroBatch).toBe(8);
    // The largest one-pass batch fits, one more does not.
    const n = roomy.largestBatchOnePass;
    expect(planTrainingMemory({ ...base, batchSize: n, microBatch: n }).totalBytes).toBeLessThanOrEqual(80 * gibs);
    expect(planTrainingMemory({ ...base, batchSize: n + 1, microBatch: n + 1 }).totalBytes).toBeGreaterThan(80 * gibs);

    const tight = sizeForMemory(base, 8 * gibs);
    expect(tight.fits).toBe(false);
    expect(planTrainingMemory({ ...base, microBatch: tight.largestMicroBatch }).totalBytes).toBeLessThanOrEqual(8 * gibs);
    expect(planTrainingMemory({ ...base, microBatch: tight.largestMicroBatch + 1 }).totalBytes).toBeGreaterThan(8 * gibs);

    // large at 16 x 448 holds tens of GiB a clip without recompute: one clip a pass on an 80 GiB GPU; with it, a batch of 8.
    const large = { ...base, model: getPreset('large') };
    const none = sizeForMemory(large, 80 * gibs);
    expect([none.fits, none.largestMicroBatch, none.largestBatchOnePass]).toEqual([false, 1, 1]);
    const recomputed = sizeForMemory({ ...large, recompute: true }, 80 * gibs);
    expect(recomputed.fits).toBe(true);
    expect(recomputed.largestBatchOnePass).toBeGreaterThan(8);
    expect(recomputed.plan.activationsBytes).toBeLessThan(none.plan.activationsBytes / 4);
  });
});
