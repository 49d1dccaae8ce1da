// The learning-rate schedule: a pure function of the step (nanoGPT `get_lr`, timm's scheduler `_get_lr`).
//
// Linear warm-up from 0 to `base` over `warmupSteps` updates, then one of
//   - 'step':     the reference recipe, PySlowFast `steps_with_relative_lrs` with STEPS [0, 11, 14], LRS [1, 0.1, 0.01]
//                 and MAX_EPOCH 15 (TimeSformer configs; docs/notes/cover-spec.md §1.10). Here the boundaries are fractions of
//                 training ([11/15, 14/15]) so the recipe carries over to any run length; the LR is multiplied by
//                 `stepFactor` (0.1) at each boundary.
//   - 'cosine':   half a cosine from `base` down to `minLr` over the steps after warm-up (SGDR without restarts).
//   - 'constant': `base` throughout.
// As in PySlowFast, warm-up ramps towards the schedule's own value at the end of warm-up (for 'cosine' that is `base`).
//
// `step` is the 0-based index of the update about to be applied: update 0 of a run without warm-up uses `base`.

import { ConfigError } from '../errors';

export type LrScheduleName = 'cosine' | 'step' | 'constant';
export const LR_SCHEDULES: readonly LrScheduleName[] = ['cosine', 'step', 'constant'];

/** The reference's decay points, as fractions of training: epochs 11 and 14 of 15. */
export const REFERENCE_STEP_FRACTIONS: readonly number[] = [11 / 15, 14 / 15];
/** The reference's relative LRs [1, 0.1, 0.01]: ×0.1 at each boundary. */
export const REFERENCE_STEP_FACTOR = 0.1;

export interface LrScheduleConfig {
  /** Peak LR (the reference: 0.005 for a global batch of 64, recipes.ts). */
  base: number;
  /** Updates of linear warm-up from 0 (the reference: none). */
  warmupSteps: number;
  /** Updates in the whole run, warm-up included. */
  totalSteps: number;
  schedule: LrScheduleName;
  /** 'step' only: boundaries as fractions of training, ascending, in (0, 1) (default REFERENCE_STEP_FRACTIONS). */
  steps?: number[];
  /** 'step' only: factor applied at each boundary (default 0.1). */
  stepFactor?: number;
  /** 'cosine' only: the LR at the last step (default 0). */
  minLr?: number;
}

/** Throws a ConfigError naming the bad field; returns the config so it can wrap a literal. */
export function validateLrSchedule(cfg: LrScheduleConfig): LrScheduleConfig {
  const bad = (what: string, suggestion: string): never => {
    throw new ConfigError(`learning-rate schedule: ${what}`, { suggestion });
  };
  if (!LR_SCHEDULES.includes(cfg.schedule)) bad(`unknown schedule '${cfg.schedule}'`, `use one of ${LR_SCHEDULES.join(', ')}`);
  if (!(Number.isFinite(cfg.base) && cfg.base > 0)) bad(`base LR ${cfg.base} is not a positive number`, 'set lr to e.g. 0.005');
  if (!(Number.isInteger(cfg.totalSteps) && cfg.totalSteps >= 1)) {
    bad(`totalSteps ${cfg.totalSteps} is not a positive integer`, 'train for at least one step');
  }
  if (!(Number.isInteger(cfg.warmupSteps) && cfg.warmupSteps >= 0 && cfg.warmupSteps <= cfg.totalSteps)) {
    bad(`warmupSteps ${cfg.warmupSteps} is not an integer in [0, totalSteps=${cfg.totalSteps}]`, 'use fewer warm-up steps than training steps');
  }
  const minLr = cfg.minLr ?? 0;
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= cfg.base)) {
    bad(`minLr ${minLr} is not in [0, base=${cfg.base}]`, 'set minLr below the base LR (e.g. 0)');
  }
  const factor = cfg.stepFactor ?? REFERENCE_STEP_FACTOR;
  if (!(Number.isFinite(factor) && factor > 0 && factor <= 1)) bad(`stepFactor ${factor} is not in (0, 1]`, 'use 0.1 as the reference does');
  const steps = cfg.steps ?? REFERENCE_STEP_FRACTIONS;
  steps.forEach((f, i) => {
    if (!(Number.isFinite(f) && f > 0 && f < 1)) bad(`step boundary ${f} is not a fraction in (0, 1)`, 'give boundaries as fractions of training, e.g. 0.733,0.933');
    if (i > 0 && f <= steps[i - 1]) bad(`step boundaries ${steps.join(',')} are not ascending`, 'list the boundaries in increasing order');
  });
  return cfg;
}

/** The update index at which each 'step' boundary takes effect: round(fraction × totalSteps). */
export function stepBoundaries(cfg: LrScheduleConfig): number[] {
  return (cfg.steps ?? REFERENCE_STEP_FRACTIONS).map((f) => Math.round(f * cfg.totalSteps));
}

/** The schedule's value before warm-up is applied. */
function decayedLr(step: number, cfg: LrScheduleConfig): number {
  switch (cfg.schedule) {
    case 'constant':
      return cfg.base;
    case 'step': {
      const factor = cfg.stepFactor ?? REFERENCE_STEP_FACTOR;
      const passed = stepBoundaries(cfg).filter((b) => step >= b).length;
      return cfg.base * factor ** passed;
    }
    case 'cosine': {
      const minLr = cfg.minLr ?? 0;
      const span = cfg.totalSteps - cfg.warmupSteps;
      // minLr is reached at step totalSteps (one past the last update, as nanoGPT's lr_decay_iters), so the last
      // update still moves the weights when minLr is 0; past the end the LR stays at minLr.
      const progress = span <= 0 ? 1 : Math.min(1, Math.max(0, (step - cfg.warmupSteps) / span));
      return minLr + 0.5 * (cfg.base - minLr) * (1 + Math.cos(Math.PI * progress));
    }
    default: {
      const never: never = cfg.schedule;
      throw new Error(`lr schedule: unhandled ${String(never)}`);
    }
  }
}

/**
 * The LR for update `step` (0-based).
 * @example
 * const cfg = { base: 0.005, warmupSteps: 0, totalSteps: 15, schedule: 'step' } as const;
 * [0, 10, 11, 13, 14].map((s) => lrAt(s, cfg)) // [0.005, 0.005, 0.0005, 0.0005, 0.00005] (up to rounding)
 */
export function lrAt(step: number, cfg: LrScheduleConfig): number {
  if (!(Number.isInteger(step) && step >= 0)) throw new Error(`lrAt: step ${step} is not a non-negative integer`);
  const target = decayedLr(step, cfg);
  if (step < cfg.warmupSteps) return (target * step) / cfg.warmupSteps; // [0, target): step 0 of warm-up is LR 0
  return target;
}

/** One line for the run header, e.g. `step lr 0.005, warm-up 0, ×0.1 at steps 733, 933 of 1000`. */
export function describeLrSchedule(cfg: LrScheduleConfig): string {
  const head = `${cfg.schedule} lr ${cfg.base}, warm-up ${cfg.warmupSteps}`;
  switch (cfg.schedule) {
    case 'constant':
      return `${head}, ${cfg.totalSteps} steps`;
    case 'step':
      return `${head}, ×${cfg.stepFactor ?? REFERENCE_STEP_FACTOR} at steps ${stepBoundaries(cfg).join(', ')} of ${cfg.totalSteps}`;
    case 'cosine':
      return `${head}, down to ${cfg.minLr ?? 0} at step ${cfg.totalSteps}`;
    default: {
      const never: never = cfg.schedule;
      throw new Error(`lr schedule: unhandled ${String(never)}`);
    }
  }
}
