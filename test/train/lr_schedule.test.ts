// The LR schedule against values worked out by hand from the reference recipe (PySlowFast steps_with_relative_lrs,
// TimeSformer configs: BASE_LR 0.005, STEPS [0, 11, 14], LRS [1, 0.1, 0.01], MAX_EPOCH 15) and the cosine formula.

import { ConfigError } from '../../src/errors';
import { describeLrSchedule, lrAt, LrScheduleConfig, stepBoundaries, validateLrSchedule } from '../../src/run/lr_schedule';

describe('lrAt', () => {
  test("'step' with one update per epoch reproduces the reference's 15 epochs exactly", () => {
    const cfg: LrScheduleConfig = { base: 0.005, warmupSteps: 0, totalSteps: 15, schedule: 'step' };
    expect(stepBoundaries(cfg)).toEqual([11, 14]);
    const lrs = Array.from({ length: 15 }, (_, s) => lrAt(s, cfg));
    const want = [...Array(11).fill(0.005), ...Array(3).fill(0.0005), 0.00005];
    lrs.forEach((lr, s) => expect(lr).toBeCloseTo(want[s], 12));
  });

  test("'step' boundaries round fraction × totalSteps; custom steps and factor", () => {
    const cfg: LrScheduleConfig = { base: 1, warmupSteps: 0, totalSteps: 1000, schedule: 'step' };
    expect(stepBoundaries(cfg)).toEqual([733, 933]);
    expect(lrAt(732, cfg)).toBe(1);
    expect(lrAt(733, cfg)).toBeCloseTo(0.1, 15);
    expect(lrAt(933, cfg)).toBeCloseTo(0.01, 15);
    expect(lrAt(5000, cfg)).toBeCloseTo(0.01, 15); // past the end: stays at the last value
    const half: LrScheduleConfig = { base: 2, warmupSteps: 0, totalSteps: 10, schedule: 'step', steps: [0.5], stepFactor: 0.5 };
    expect([4, 5, 9].map((s) => lrAt(s, half))).toEqual([2, 1, 1]);
  });

  test('linear warm-up from 0, then cosine down to minLr', () => {
    const cfg: LrScheduleConfig = { base: 1, warmupSteps: 4, totalSteps: 12, schedule: 'cosine', minLr: 0.1 };
    expect([0, 1, 2, 3].map((s) => lrAt(s, cfg))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(lrAt(4, cfg)).toBe(1); // progress 0
    // progress (s - 4) / 8: 0.25 -> 0.1 + 0.45 (1 + cos(pi/4)), 0.5 -> 0.55, 0.75 -> 0.1 + 0.45 (1 - cos(pi/4))
    expect(lrAt(6, cfg)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 12);
    expect(lrAt(8, cfg)).toBeCloseTo(0.55, 12);
    expect(lrAt(10, cfg)).toBeCloseTo(0.1 + 0.45 * (1 - Math.SQRT1_2), 12);
    expect(lrAt(11, cfg)).toBeGreaterThan(0.1); // the last update still moves the weights
    expect(lrAt(12, cfg)).toBeCloseTo(0.1, 12);
    expect(lrAt(100, cfg)).toBeCloseTo(0.1, 12);
  });

  test('warm-up ramps to the step schedule value; constant stays constant', () => {
    const step: LrScheduleConfig = { base: 0.005, warmupSteps: 2, totalSteps: 15, schedule: 'step' };
    expect(lrAt(0, step)).toBe(0);
    expect(lrAt(1, step)).toBeCloseTo(0.0025, 15);
    expect(lrAt(2, step)).toBe(0.005);
    const c: LrScheduleConfig = { base: 0.3, warmupSteps: 0, totalSteps: 5, schedule: 'constant' };
    expect([0, 4, 9].map((s) => lrAt(s, c))).toEqual([0.3, 0.3, 0.3]);
  });

  test('cosine that is all warm-up, and bad steps', () => {
    const cfg: LrScheduleConfig = { base: 1, warmupSteps: 4, totalSteps: 4, schedule: 'cosine' };
    expect(lrAt(2, cfg)).toBe(0); // ramps towards the fully decayed value 0
    expect(() => lrAt(-1, cfg)).toThrow(/non-negative integer/);
    expect(() => lrAt(1.5, cfg)).toThrow(/non-negative integer/);
  });
});

describe('validateLrSchedule', () => {
  const ok: LrScheduleConfig = { base: 0.005, warmupSteps: 0, totalSteps: 100, schedule: 'step' };
  test.each<[string, Partial<LrScheduleConfig>, RegExp]>([
    ['negative base', { base: -1 }, /base LR -1/],
    ['zero steps', { totalSteps: 0 }, /totalSteps 0/],
    ['too much warm-up', { warmupSteps: 101 }, /warmupSteps 101/],
    ['unsorted boundaries', { steps: [0.9, 0.5] }, /not ascending/],
    ['boundary at 1', { steps: [1] }, /not a fraction/],
    ['factor above 1', { stepFactor: 2 }, /stepFactor 2/],
    ['minLr above base', { minLr: 1 }, /minLr 1/],
    ['unknown schedule', { schedule: 'linear' as never }, /unknown schedule 'linear'/],
  ])('%s', (_name, patch, msg) => {
    const err = (() => {
      try {
        validateLrSchedule({ ...ok, ...patch });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(msg);
    expect((err as ConfigError).suggestion).toBeTruthy();
  });

  test('accepts the reference recipe and describes it', () => {
    expect(validateLrSchedule(ok)).toBe(ok);
    expect(describeLrSchedule(ok)).toBe('step lr 0.005, warm-up 0, ×0.1 at steps 73, 93 of 100');
    expect(describeLrSchedule({ ...ok, schedule: 'cosine', minLr: 1e-5 })).toBe('cosine lr 0.005, warm-up 0, down to 0.00001 at step 100');
  });
});
